"""A deliberately naive SPEC §4: from the list of events straight to report figures.

Shares no code with `analytics`: deduplicate, replay each conversation's and agent's events in
(occurred_at, event_id) order, apply each definition literally with Fractions, round at the end.
Periods are given as instants (µs); the caller picks them, so any edge can be tested. Series periods
come from `tests.support.local_units`, which reads them off the local clock.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import msgspec

from events.schema import (
    AgentStatusChanged,
    ConversationAssigned,
    ConversationCreated,
    ConversationLabelsChanged,
    ConversationRated,
    ConversationStatusChanged,
    Event,
    MessageCreated,
)
from tests.support import local_units
from tests.support.reference import _channel_mix, histories, instant_us


def _round(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


@dataclass
class Conversation:
    created_us: int
    channel: str
    status: str
    resolved_us: int | None
    resolver: str | None
    reply_us: int | None
    responder: str | None
    rated_us: int | None
    rating: int | None
    # SPEC §5, current values
    inbox_id: str | None = None
    team_id: str | None = None
    assignee_id: str | None = None
    labels: frozenset[str] = frozenset()


def _latest_assigned(history: list[Event], field: str) -> str | None:
    """The field of the latest assigned event that carries it (null: cleared); None if none does."""
    carrying = [e for e in history if isinstance(e, ConversationAssigned) and getattr(e, field) is not msgspec.UNSET]
    return getattr(carrying[-1], field) if carrying else None


def conversations_of(events: Iterable[Event], account_id: str) -> tuple[list[Conversation], dict[str, list]]:
    by_conversation, agents = histories(events, account_id)
    found = []
    for history in by_conversation.values():
        history.sort(key=lambda e: (instant_us(e.occurred_at), e.event_id))
        created = [e for e in history if isinstance(e, ConversationCreated)]
        if not created:
            continue
        statuses = [e for e in history if isinstance(e, ConversationStatusChanged)]
        replies = [e for e in history if isinstance(e, MessageCreated) and e.sender_type == "agent"]
        ratings = [e for e in history if isinstance(e, ConversationRated)]
        labelled = [e for e in history if isinstance(e, ConversationLabelsChanged)]
        resolved = bool(statuses) and statuses[-1].status == "resolved"
        found.append(
            Conversation(
                created_us=instant_us(created[0].occurred_at),
                channel=created[0].channel,
                status=statuses[-1].status if statuses else "open",
                resolved_us=instant_us(statuses[-1].occurred_at) if resolved else None,
                resolver=statuses[-1].agent_id if resolved else None,
                reply_us=instant_us(replies[0].occurred_at) if replies else None,
                responder=replies[0].agent_id if replies else None,
                rated_us=instant_us(ratings[-1].occurred_at) if ratings else None,
                rating=ratings[-1].rating if ratings else None,
                inbox_id=created[0].inbox_id,
                team_id=_latest_assigned(history, "team_id"),
                assignee_id=_latest_assigned(history, "agent_id"),
                labels=frozenset(labelled[-1].labels) if labelled else frozenset(),
            )
        )
    for changes in agents.values():
        changes.sort(key=lambda e: (instant_us(e.occurred_at), e.event_id))
    return found, agents


def _kth(values: list[int], rank: int) -> int:
    return _round(Fraction(sorted(values)[rank - 1], 10**6))


def _durations(values: list[int], prefix: str) -> dict[str, int]:
    n = len(values)
    if not n:
        return {f"median_{prefix}": 0, f"p90_{prefix}": 0, f"avg_{prefix}": 0}
    return {
        f"median_{prefix}": _kth(values, math.ceil(n / 2)),
        f"p90_{prefix}": _kth(values, math.ceil(9 * n / 10)),
        f"avg_{prefix}": _round(Fraction(sum(values), 10**6 * n)),
    }


def figures(conversations: list[Conversation], lo_us: int, hi_us: int, now_us: int) -> dict[str, Any]:
    """SPEC §4's figures of the period [lo, hi) as of T = now_us, in SPEC order."""

    def in_q(t: int | None) -> bool:
        return t is not None and lo_us <= t < hi_us and t <= now_us

    made = [c for c in conversations if in_q(c.created_us)]
    resolved = [c for c in conversations if in_q(c.resolved_us)]
    answered = [c for c in conversations if in_q(c.reply_us)]
    rated = [c for c in conversations if in_q(c.rated_us)]
    mix: dict[str, int] = defaultdict(int)
    for c in made:
        mix[c.channel] += 1
    handles = [max(0, c.resolved_us - c.created_us) for c in resolved]  # type: ignore[operator]
    replies = [max(0, c.reply_us - c.created_us) for c in answered]  # type: ignore[operator]
    good = sum(c.rating >= 4 for c in rated)  # type: ignore[operator]
    handle = _durations(handles, "handle_time")
    reply = _durations(replies, "first_response")
    return {
        "total_conversations": len(made),
        "resolution_rate": _round(Fraction(1000 * sum(c.status == "resolved" for c in made), len(made))) / 10
        if made
        else 0.0,
        "channel_mix": _channel_mix(mix),  # type: ignore[arg-type]
        "resolved": len(resolved),
        "median_handle_time": handle["median_handle_time"],
        "p90_handle_time": handle["p90_handle_time"],
        "avg_handle_time": handle["avg_handle_time"],
        "first_responses": len(answered),
        "avg_first_response": reply["avg_first_response"],
        "median_first_response": reply["median_first_response"],
        "p90_first_response": reply["p90_first_response"],
        "ratings": len(rated),
        "customer_happiness": _round(Fraction(100 * good, len(rated))) if rated else None,
    }


def channel_rows(conversations: list[Conversation], lo_us: int, hi_us: int, now_us: int) -> list[dict[str, Any]]:
    rows = []
    for channel in sorted({c.channel for c in conversations}):
        row = figures([c for c in conversations if c.channel == channel], lo_us, hi_us, now_us)
        if row["total_conversations"] or row["resolved"] or row["first_responses"] or row["ratings"]:
            del row["channel_mix"]
            rows.append({"channel": channel, **row})
    return sorted(rows, key=lambda row: (-row["total_conversations"], row["channel"]))


def _time_in(changes: list[AgentStatusChanged], lo_us: int, end_us: int) -> dict[str, int]:
    spent: dict[str, int] = defaultdict(int)
    for i, change in enumerate(changes):
        start = instant_us(change.occurred_at)
        stop = instant_us(changes[i + 1].occurred_at) if i + 1 < len(changes) else end_us
        overlap = min(stop, end_us) - max(start, lo_us)
        if overlap > 0:
            spent[change.status] += overlap
    return spent


def agent_rows(
    conversations: list[Conversation],
    agents: dict[str, list],
    lo_us: int,
    hi_us: int,
    now_us: int,
    time_alone: bool = True,
) -> list[dict[str, Any]]:
    """Team performance; with `time_alone` False (a filtered report, SPEC §5) time live or away adds no row."""
    end_us = min(hi_us, now_us)
    ids = {c.resolver for c in conversations} | {c.responder for c in conversations} | set(agents)
    rows = []
    for agent_id in sorted(i for i in ids if i is not None):
        mine_resolved = [c for c in conversations if c.resolver == agent_id]
        mine_answered = [c for c in conversations if c.responder == agent_id]
        f_resolved = figures(mine_resolved, lo_us, hi_us, now_us)
        f_answered = figures(mine_answered, lo_us, hi_us, now_us)
        changes = agents.get(agent_id, [])
        spent = _time_in(changes, lo_us, end_us)
        active = time_alone and (spent["live"] > 0 or spent["away"] > 0)  # a positive time in P ∩ (−∞, T]
        if not (f_resolved["resolved"] or f_answered["first_responses"] or f_resolved["ratings"] or active):
            continue
        named = [c.name for c in changes if c.name is not None]
        rows.append(
            {
                "agent_id": agent_id,
                "name": named[-1] if named else agent_id,
                **{k: f_resolved[k] for k in ("resolved", "median_handle_time", "p90_handle_time", "avg_handle_time")},
                **{
                    k: f_answered[k]
                    for k in ("first_responses", "avg_first_response", "median_first_response", "p90_first_response")
                },
                "ratings": f_resolved["ratings"],  # resolver's conversations, which are resolved now by construction
                "customer_happiness": f_resolved["customer_happiness"],
                "time_live": _round(Fraction(spent["live"], 10**6)),
                "time_away": _round(Fraction(spent["away"], 10**6)),
                "time_offline": _round(Fraction(spent["offline"], 10**6)),
            }
        )
    return sorted(rows, key=lambda row: (-row["resolved"], row["name"], row["agent_id"]))


def passing(conversations: list[Conversation], filters: Any) -> list[Conversation]:
    """The conversations every given SPEC §5 filter holds for (a `Filters`, or None)."""
    if filters is None:
        return conversations
    return [
        c
        for c in conversations
        if (filters.channel is None or c.channel == filters.channel)
        and (filters.inbox_id is None or c.inbox_id == filters.inbox_id)
        and (filters.team_id is None or c.team_id == filters.team_id)
        and (filters.assignee_id is None or c.assignee_id == filters.assignee_id)
        and (filters.label is None or filters.label in c.labels)
    ]


def dimension_rows(
    conversations: list[Conversation], breakdown: str, lo_us: int, hi_us: int, now_us: int
) -> list[dict[str, Any]]:
    """SPEC §5 team, inbox or label rows: most conversations first, then the key; no team/inbox last."""
    if breakdown == "label":
        field = "label"
        groups = [
            (label, [c for c in conversations if label in c.labels])
            for label in {name for c in conversations for name in c.labels}
        ]
    else:
        field = f"{breakdown}_id"
        groups = [
            (value, [c for c in conversations if getattr(c, field) == value])
            for value in {getattr(c, field) for c in conversations}
        ]
    rows = []
    for value, members in groups:
        row = figures(members, lo_us, hi_us, now_us)
        if row["total_conversations"] or row["resolved"] or row["first_responses"] or row["ratings"]:
            rows.append({field: value, **row})
    return sorted(rows, key=lambda row: (row[field] is None, -row["total_conversations"], row[field] or ""))


def breakdown_rows(
    query: Any, conversations: list[Conversation], agents: dict[str, list], lo_us: int, hi_us: int
) -> list[dict[str, Any]] | None:
    """The breakdown the query asks for over [lo, hi), or None."""
    if query.breakdown == "channel":
        return channel_rows(conversations, lo_us, hi_us, query.now_us)
    if query.breakdown == "agent":
        filtered = bool(getattr(query, "filters", None))
        return agent_rows(conversations, agents, lo_us, hi_us, query.now_us, time_alone=not filtered)
    if query.breakdown is not None:
        return dimension_rows(conversations, query.breakdown, lo_us, hi_us, query.now_us)
    return None


def expected_report(events: list[Event], account_id: str, query: Any) -> dict[str, Any]:
    """The whole answer to a report request (a `ReportQuery`), as JSON builtins: series periods from
    `tests.support.local_units`, timestamps written in the zone's offset at each instant."""
    conversations, agents = conversations_of(events, account_id)
    conversations = passing(conversations, getattr(query, "filters", None))
    now_us, tz = query.now_us, query.tz

    def written(instant_us: int) -> str:
        return local_units.reading(instant_us, tz).isoformat()

    def period(since_us: int, until_us: int) -> dict[str, Any]:
        parts: dict[str, Any] = {
            "since": written(since_us),
            "until": written(until_us),
            "totals": figures(conversations, since_us, until_us, now_us),
        }
        if query.group_by is not None:
            bounds = local_units.series_bounds(since_us, until_us, query.group_by, tz)
            parts["series"] = [
                {"start": written(lo), "end": written(hi), **figures(conversations, lo, hi, now_us)}
                for lo, hi in itertools.pairwise(bounds)
            ]
        if (rows := breakdown_rows(query, conversations, agents, since_us, until_us)) is not None:
            parts["breakdown"] = rows
        return parts

    expected = {"as_of": written(now_us), "timezone": query.timezone, **period(query.since_us, query.until_us)}
    if query.compare:
        expected["previous"] = period(2 * query.since_us - query.until_us, query.since_us)
    return expected


def expected_parts(events: list[Event], account_id: str, query: Any) -> dict[str, Any]:
    """The parts of a report (a `ReportQuery`) the reference can give: totals, series figures, breakdown,
    previous — everything but the echoed instants, which `analytics.periods` writes."""
    conversations, agents = conversations_of(events, account_id)
    conversations = passing(conversations, getattr(query, "filters", None))
    now_us = query.now_us

    def period(since_us: int, until_us: int) -> dict[str, Any]:
        parts: dict[str, Any] = {"totals": figures(conversations, since_us, until_us, now_us)}
        if (rows := breakdown_rows(query, conversations, agents, since_us, until_us)) is not None:
            parts["breakdown"] = rows
        return parts

    expected = period(query.since_us, query.until_us)
    if query.series_bounds is not None:
        bounds = query.series_bounds
        expected["series"] = [figures(conversations, lo, hi, now_us) for lo, hi in itertools.pairwise(bounds)]
    if query.compare:
        expected["previous"] = period(2 * query.since_us - query.until_us, query.since_us)
    return expected


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """A report answer cut to what `expected_parts` gives."""
    parts = {key: answer[key] for key in ("totals", "breakdown") if key in answer}
    if "series" in answer:
        parts["series"] = [{k: v for k, v in p.items() if k not in ("start", "end")} for p in answer["series"]]
    if "previous" in answer:
        parts["previous"] = {
            key: answer["previous"][key] for key in ("totals", "breakdown") if key in answer["previous"]
        }
    return parts
