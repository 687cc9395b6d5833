"""SPEC §1 in pydantic v2, rule for rule, as the contender to ``events.decode`` in decode_bench.

Only the benchmark imports this (pydantic is the optional ``bench`` extra). The pipeline around
the library mirrors ``decode_event`` step for step — UTF-8 check, one validating parse, key check,
clock check — so the numbers compare the libraries and not the glue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from analytics.time import epoch_us

Id128 = Annotated[str, StringConstraints(min_length=1, max_length=128)]
# pydantic-core's Rust regex reads $ as end of text, so no \Z is needed to refuse "acme\n".
AccountId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Channel = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
AgentName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Rating = Annotated[int, Field(ge=1, le=5)]


class Base(BaseModel):
    # strict: a JSON 4.0 or true is no rating, and a number is no timestamp; as in msgspec.
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    event_id: Id128
    account_id: AccountId
    occurred_at: AwareDatetime


class ConversationCreated(Base):
    type: Literal["conversation.created"]
    conversation_id: Id128
    channel: Channel


class MessageCreated(Base):
    type: Literal["conversation.message_created"]
    conversation_id: Id128
    sender_type: Literal["contact", "agent", "bot"]
    agent_id: Id128 | None = None

    @model_validator(mode="after")
    def _agent_needs_id(self) -> MessageCreated:
        if self.sender_type == "agent" and self.agent_id is None:
            raise ValueError("`agent_id`: required when `sender_type` is 'agent'")
        return self


class ConversationStatusChanged(Base):
    type: Literal["conversation.status_changed"]
    conversation_id: Id128
    status: Literal["open", "pending", "snoozed", "resolved"]
    agent_id: Id128 | None = None


class ConversationRated(Base):
    type: Literal["conversation.rated"]
    conversation_id: Id128
    rating: Rating


class AgentStatusChanged(Base):
    type: Literal["agent.status_changed"]
    agent_id: Id128
    status: Literal["live", "away", "offline"]
    name: AgentName | None = None


Event = Annotated[
    ConversationCreated | MessageCreated | ConversationStatusChanged | ConversationRated | AgentStatusChanged,
    Field(discriminator="type"),
]
ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class Rejected(Exception):
    """A record pydantic's pipeline refuses; the bench only counts these."""


def decode_event(value: bytes, *, key: bytes | None, now_us: int, max_ahead_us: int) -> BaseModel:
    if not value.isascii():
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Rejected(f"not valid UTF-8: {exc.reason}") from exc
    try:
        event = ADAPTER.validate_json(value)
    except ValidationError as exc:
        raise Rejected(str(exc)) from exc
    if key is not None and key != event.account_id.encode("ascii"):
        raise Rejected("key differs from account_id")
    occurred_at: datetime = event.occurred_at
    if epoch_us(occurred_at) - now_us > max_ahead_us:
        raise Rejected("occurred_at too far ahead")
    return event
