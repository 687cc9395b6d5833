"""Terse constructors for decoded events, timed relative to a fixed request time T.

`created("c1", -2 * H)` is a conversation created two hours before T. Event ids are unique unless
given, so ties on `occurred_at` can be set up explicitly with chosen ids.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import msgspec

from events.schema import (
    AgentStatusChanged,
    ConversationAssigned,
    ConversationCreated,
    ConversationLabelsChanged,
    ConversationRated,
    ConversationStatusChanged,
    MessageCreated,
)

ACCOUNT = "acme"
# Deliberately not on an hour boundary, so bucket edges and the window edge do not coincide.
T = datetime(2025, 6, 1, 12, 34, 56, 789000, tzinfo=UTC)
T_US = 1_748_781_296_789_000

US = timedelta(microseconds=1)
S = timedelta(seconds=1)
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

_ids = itertools.count(1)


def _id(event_id: str | None) -> str:
    return event_id if event_id is not None else f"e{next(_ids):06d}"


def created(
    conversation: str,
    at: timedelta,
    channel: str = "whatsapp",
    *,
    inbox: str | None = None,
    event_id: str | None = None,
    account: str = ACCOUNT,
) -> ConversationCreated:
    return ConversationCreated(
        event_id=_id(event_id),
        account_id=account,
        occurred_at=T + at,
        conversation_id=conversation,
        channel=channel,
        inbox_id=inbox,
    )


def message(
    conversation: str,
    at: timedelta,
    sender: str = "agent",
    agent: str | None = "a1",
    *,
    event_id: str | None = None,
    account: str = ACCOUNT,
) -> MessageCreated:
    return MessageCreated(
        event_id=_id(event_id),
        account_id=account,
        occurred_at=T + at,
        conversation_id=conversation,
        sender_type=sender,  # type: ignore[arg-type]
        agent_id=agent if sender == "agent" else None,
    )


def status(
    conversation: str,
    at: timedelta,
    new_status: str,
    agent: str | None = None,
    *,
    event_id: str | None = None,
    account: str = ACCOUNT,
) -> ConversationStatusChanged:
    return ConversationStatusChanged(
        event_id=_id(event_id),
        account_id=account,
        occurred_at=T + at,
        conversation_id=conversation,
        status=new_status,  # type: ignore[arg-type]
        agent_id=agent,
    )


def rated(
    conversation: str, at: timedelta, rating: int, *, event_id: str | None = None, account: str = ACCOUNT
) -> ConversationRated:
    return ConversationRated(
        event_id=_id(event_id), account_id=account, occurred_at=T + at, conversation_id=conversation, rating=rating
    )


# An `assigned` field left out of the event (SPEC §5: absent leaves it as it was; None clears it).
ABSENT = msgspec.UNSET


def assigned(
    conversation: str,
    at: timedelta,
    *,
    team: str | msgspec.UnsetType | None = ABSENT,
    assignee: str | msgspec.UnsetType | None = ABSENT,
    event_id: str | None = None,
    account: str = ACCOUNT,
) -> ConversationAssigned:
    return ConversationAssigned(
        event_id=_id(event_id),
        account_id=account,
        occurred_at=T + at,
        conversation_id=conversation,
        team_id=team,
        agent_id=assignee,
    )


def labelled(
    conversation: str, at: timedelta, *labels: str, event_id: str | None = None, account: str = ACCOUNT
) -> ConversationLabelsChanged:
    return ConversationLabelsChanged(
        event_id=_id(event_id),
        account_id=account,
        occurred_at=T + at,
        conversation_id=conversation,
        labels=list(labels),
    )


def agent(
    agent_id: str, at: timedelta, new_status: str, name: str | None = None, *, account: str = ACCOUNT
) -> AgentStatusChanged:
    return AgentStatusChanged(
        event_id=_id(None),
        account_id=account,
        occurred_at=T + at,
        agent_id=agent_id,
        status=new_status,  # type: ignore[arg-type]
        name=name,
    )


def created_now(n: int, *, ago_s: float, account: str = ACCOUNT) -> dict[str, str]:
    """Conversation `c<n>`'s `created` event as JSON fields, `ago_s` before the wall clock (for live workers)."""
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - ago_s)) + "Z"
    return {
        "event_id": f"e{n}",
        "type": "conversation.created",
        "account_id": account,
        "occurred_at": at,
        "conversation_id": f"c{n}",
        "channel": "widget",
    }
