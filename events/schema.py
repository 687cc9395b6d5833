"""SPEC §1 as typed schemas: one msgspec Struct per event type, tagged by ``type``.

msgspec validates while it decodes (in C), so a record is parsed and checked in one pass;
rules msgspec cannot express declaratively live in ``__post_init__`` and raise ``ValueError``,
which msgspec turns into a ``ValidationError`` like any other rule.
Unknown extra fields are ignored, as SPEC §1 asks.

Each constrained type carries a ``description``: ``events.decode`` quotes it when a value breaks
the rule, so the words a dead letter shows sit right next to the rule they describe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

import msgspec

Id128 = Annotated[str, msgspec.Meta(min_length=1, max_length=128, description="a string of 1 to 128 characters")]
# Patterns end in \Z, not $: msgspec applies them with re.search, where $ also matches
# before a trailing newline and would let "acme\n" through.
AccountId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+\Z",
        description="1 to 64 characters from A-Z, a-z, 0-9, '_', '.', '-'",
    ),
]


def _conforms(text: str, rule: object) -> bool:
    try:
        msgspec.convert(text, rule)
    except msgspec.ValidationError:
        return False
    return True


def is_account_id(text: str) -> bool:
    """Whether `text` is a SPEC §1 account id (the `AccountId` rule, for ids that come from elsewhere)."""
    return _conforms(text, AccountId)


Channel = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,31}\Z",
        description="a channel name: 1 to 32 of a-z, 0-9, '_', '-', starting with a letter or digit",
    ),
]


def is_channel(text: str) -> bool:
    """Whether `text` is a SPEC §1 channel name (the `Channel` rule, for a report filter)."""
    return _conforms(text, Channel)


AgentName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="a string of 1 to 200 characters")]
# SPEC §5: a label is any text of 1 to 64 characters without control characters.
Label = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[^\x00-\x1f\x7f]+\Z",
        description="a string of 1 to 64 characters without control characters",
    ),
]
MAX_LABELS = 20  # distinct labels per conversation (SPEC §5)
Rating = Annotated[int, msgspec.Meta(ge=1, le=5, description="an integer from 1 to 5")]
# tz=True rejects a timestamp without an offset; msgspec keeps microseconds (and rounds finer digits).
Timestamp = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="an RFC 3339 timestamp with an offset (Z or ±hh:mm)"),
]

SenderType = Literal["contact", "agent", "bot"]
ConversationStatus = Literal["open", "pending", "snoozed", "resolved"]
AgentStatus = Literal["live", "away", "offline"]


class BaseEvent(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    """Fields common to every event."""

    event_id: Id128
    account_id: AccountId
    occurred_at: Timestamp


class ConversationCreated(BaseEvent, tag="conversation.created", frozen=True):
    conversation_id: Id128
    channel: Channel
    inbox_id: Id128 | None = None  # SPEC §5: the inbox it came in through


class MessageCreated(BaseEvent, tag="conversation.message_created", frozen=True):
    conversation_id: Id128
    sender_type: SenderType
    agent_id: Id128 | None = None

    def __post_init__(self) -> None:
        # msgspec reports this message verbatim, so it is already worded as a dead-letter reason.
        if self.sender_type == "agent" and self.agent_id is None:
            raise ValueError("`agent_id`: required when `sender_type` is 'agent'")


class ConversationStatusChanged(BaseEvent, tag="conversation.status_changed", frozen=True):
    conversation_id: Id128
    status: ConversationStatus
    agent_id: Id128 | None = None


class ConversationRated(BaseEvent, tag="conversation.rated", frozen=True):
    conversation_id: Id128
    rating: Rating


class ConversationAssigned(BaseEvent, tag="conversation.assigned", frozen=True):
    """SPEC §5: at least one of `agent_id` and `team_id`; null clears it, an absent field leaves it as it was."""

    conversation_id: Id128
    agent_id: Id128 | msgspec.UnsetType | None = msgspec.UNSET
    team_id: Id128 | msgspec.UnsetType | None = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.agent_id is msgspec.UNSET and self.team_id is msgspec.UNSET:
            raise ValueError("`agent_id`, `team_id`: at least one is required (null clears it)")


class ConversationLabelsChanged(BaseEvent, tag="conversation.labels_changed", frozen=True):
    """SPEC §5: the conversation's whole set of labels from now on; `[]` removes every label."""

    conversation_id: Id128
    labels: Annotated[list[Label], msgspec.Meta(description="an array of labels")]

    def __post_init__(self) -> None:
        distinct = len(set(self.labels))
        if distinct > MAX_LABELS:
            raise ValueError(f"`labels`: at most {MAX_LABELS} distinct labels, got {distinct}")


class AgentStatusChanged(BaseEvent, tag="agent.status_changed", frozen=True):
    agent_id: Id128
    status: AgentStatus
    name: AgentName | None = None


ConversationEvent = (
    ConversationCreated
    | MessageCreated
    | ConversationStatusChanged
    | ConversationRated
    | ConversationAssigned
    | ConversationLabelsChanged
)
Event = ConversationEvent | AgentStatusChanged

# The `type` value of each event class, e.g. "conversation.rated" -> ConversationRated.
EVENT_TYPES: dict[str, type[BaseEvent]] = {cls.__struct_config__.tag: cls for cls in get_args(Event)}
