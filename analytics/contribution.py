"""What one conversation, or one agent, contributes to an account's figures (SPEC §2 → §3).

A contribution is a pure function of the facts, so a view can retract the old contribution and
add the new one whenever the facts change, and a rebuild from the facts gives the same view.
Window items carry their own event time (`ts_us`): the window decides where they count.
"""

from __future__ import annotations

from typing import NamedTuple

from analytics.facts import AgentFacts, ConversationFacts, RatingFact, ReplyFact, StatusFact


class Created(NamedTuple):
    """Counts towards total_conversations, resolution_rate and channel_mix at created_at."""

    ts_us: int
    channel: str
    resolved_now: bool


class FirstReply(NamedTuple):
    """Counts towards the first-response figures at first_reply_at, for its first responder."""

    ts_us: int
    duration_us: int
    responder: str


class Resolution(NamedTuple):
    """Counts towards the handle times and top_agents at resolved_at, while the status is resolved."""

    ts_us: int
    handle_us: int
    resolver: str | None


class Rating(NamedTuple):
    """Counts towards customer_happiness at the time of the current rating."""

    ts_us: int
    good: bool


WindowItem = Created | FirstReply | Resolution | Rating


class Contribution(NamedTuple):
    created: Created
    first_reply: FirstReply | None
    resolution: Resolution | None
    rating: Rating | None
    is_open: bool  # a now-figure (quick_pulse_open), not windowed


class AgentContribution(NamedTuple):
    agent_id: str
    is_active: bool  # a now-figure (active_agents)
    name: str  # display name for top_agents


# tuple.__new__ skips the NamedTuple constructors' Python frames (~0.15 µs each): a contribution is
# computed twice for most events.
_new = tuple.__new__


def first_reply_item(reply: ReplyFact | None, created_us: int) -> FirstReply | None:
    if reply is None:
        return None
    reply_us = reply[0]
    return _new(FirstReply, (reply_us, max(0, reply_us - created_us), reply[2]))


def resolution_item(status: StatusFact | None, created_us: int) -> Resolution | None:
    if status is None or status[2] != "resolved":
        return None
    resolved_us = status[0]
    return _new(Resolution, (resolved_us, max(0, resolved_us - created_us), status[3]))


def rating_item(rating: RatingFact | None) -> Rating | None:
    return None if rating is None else _new(Rating, (rating[0], rating[2] >= 4))


def is_open(status: StatusFact | None) -> bool:
    """`ConversationFacts.status_now == "open"`, from the status fact."""
    return status is None or status[2] == "open"


def contribution(facts: ConversationFacts) -> Contribution | None:
    """The conversation's contribution, or None while it does not exist (no created event yet)."""
    created = facts.created
    if created is None:
        return None
    created_us, status = created[0], facts.status
    resolution = resolution_item(status, created_us)
    return _new(
        Contribution,
        (
            _new(Created, (created_us, created[2], resolution is not None)),
            first_reply_item(facts.first_reply, created_us),
            resolution,
            rating_item(facts.rating),
            is_open(status),
        ),
    )


def agent_contribution(facts: AgentFacts) -> AgentContribution:
    return AgentContribution(
        agent_id=facts.agent_id,
        is_active=facts.status[2] in ("live", "away"),
        name=facts.agent_id if facts.name is None else facts.name[2],
    )
