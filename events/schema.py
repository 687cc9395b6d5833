"""SPEC §1 as typed schemas: one msgspec Struct per event type, tagged by ``type``.

msgspec validates while it decodes (in C), so a record is parsed and checked in one pass;
rules msgspec cannot express declaratively live in ``__post_init__`` and raise ``ValueError``,
which msgspec turns into a ``ValidationError`` like any other rule.
Unknown extra fields are ignored, as SPEC §1 asks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional, Union

import msgspec

Id128 = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
AccountId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Channel = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
AgentName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]
# tz=True rejects a timestamp without an offset; msgspec keeps microseconds.
Timestamp = Annotated[datetime, msgspec.Meta(tz=True)]

SenderType = Literal["contact", "agent", "bot"]
ConversationStatus = Literal["open", "pending", "snoozed", "resolved"]
AgentStatus = Literal["live", "away", "offline"]


class BaseEvent(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    """Fields common to every event."""

    event_id: Id128
    account_id: AccountId
    occurred_at: Timestamp


class ConversationCreated(BaseEvent, tag="conversation.created"):
    conversation_id: Id128
    channel: Channel


class MessageCreated(BaseEvent, tag="conversation.message_created"):
    conversation_id: Id128
    sender_type: SenderType
    agent_id: Optional[Id128] = None

    def __post_init__(self) -> None:
        if self.sender_type == "agent" and self.agent_id is None:
            raise ValueError("`agent_id` is required when `sender_type` is 'agent' - at `$.agent_id`")


class ConversationStatusChanged(BaseEvent, tag="conversation.status_changed"):
    conversation_id: Id128
    status: ConversationStatus
    agent_id: Optional[Id128] = None


class ConversationRated(BaseEvent, tag="conversation.rated"):
    conversation_id: Id128
    rating: Rating


class AgentStatusChanged(BaseEvent, tag="agent.status_changed"):
    agent_id: Id128
    status: AgentStatus
    name: Optional[AgentName] = None


ConversationEvent = Union[ConversationCreated, MessageCreated, ConversationStatusChanged, ConversationRated]
Event = Union[ConversationEvent, AgentStatusChanged]
