"""A deliberately naive SPEC §3: from the whole list of events straight to the overview.

No facts, buckets, running totals or shared code with `analytics`: group the deduplicated events,
apply each definition of SPEC §2 and §3 literally over the exact window (start, T], compute with
Fractions and round at the end. Slow and obviously right, so the fast fold is checked against it.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction
from typing import Any

from events.schema import (
    AgentStatusChanged,
    ConversationCreated,
    ConversationRated,
    ConversationStatusChanged,
    Event,
    MessageCreated,
)

THIRTY_DAYS_US = 30 * 24 * 3600 * 10**6

# An account without data in W, in SPEC order: zeros, and no happiness rather than a made-up one.
ZERO: dict[str, Any] = {
    "total_conversations": 0,
    "avg_first_response": 0,
    "resolution_rate": 0.0,
    "active_agents": 0,
    "channel_mix": {},
    "top_agents": [],
    "quick_pulse_open": 0,
    "median_handle_time": 0,
    "avg_handle_time": 0,
    "customer_happiness": None,
}


def instant_us(dt: datetime) -> int:
    return calendar.timegm(dt.utctimetuple()) * 10**6 + dt.microsecond


def _order(event: Event) -> tuple[int, str]:
    # SPEC §2: "latest"/"earliest" by (occurred_at as an instant, then event_id).
    return instant_us(event.occurred_at), event.event_id


def _round(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))  # halves away from zero; x is never negative here


def _seconds(duration_us: int) -> Fraction:
    return Fraction(duration_us, 10**6)


def _channel_mix(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values())
    if not total:
        return {}
    exact = {channel: Fraction(1000 * n, total) for channel, n in counts.items()}
    tenths = {channel: math.floor(share) for channel, share in exact.items()}
    by_remainder = sorted(exact, key=lambda channel: (-(exact[channel] - tenths[channel]), channel))
    for channel in by_remainder[: 1000 - sum(tenths.values())]:
        tenths[channel] += 1
    ordered = sorted(tenths.items(), key=lambda kv: (-kv[1], kv[0]))
    return {channel: t / 10 for channel, t in ordered}


def histories(
    events: Iterable[Event], account_id: str
) -> tuple[dict[str, list[Event]], dict[str, list[AgentStatusChanged]]]:
    """The account's deduplicated events per conversation and per agent, unordered."""
    unique: dict[str, Event] = {}
    for event in events:
        if event.account_id == account_id:
            unique.setdefault(event.event_id, event)
    conversations: dict[str, list[Event]] = defaultdict(list)
    agents: dict[str, list[AgentStatusChanged]] = defaultdict(list)
    for event in unique.values():
        if isinstance(event, AgentStatusChanged):
            agents[event.agent_id].append(event)
        else:
            conversations[event.conversation_id].append(event)
    return conversations, agents


def reference_overview(
    events: Iterable[Event], account_id: str, now_us: int, window_start_us: int | None = None
) -> dict[str, Any]:
    """The overview of `account_id` at T = `now_us` over W = (window_start_us, T] (default T - 30 days)."""
    start_us = now_us - THIRTY_DAYS_US if window_start_us is None else window_start_us

    def in_window(ts_us: int) -> bool:
        return start_us < ts_us <= now_us

    conversations, agents = histories(events, account_id)
    total = resolved_of_total = open_now = 0
    channels: Counter[str] = Counter()
    first_responses: list[int] = []
    handle_times: list[int] = []
    resolved_by: Counter[str] = Counter()
    ratings: list[int] = []
    for history in conversations.values():
        history.sort(key=_order)
        created = [e for e in history if isinstance(e, ConversationCreated)]
        if not created:
            continue  # does not exist
        created_us = instant_us(created[0].occurred_at)
        statuses = [e for e in history if isinstance(e, ConversationStatusChanged)]
        status = statuses[-1].status if statuses else "open"
        open_now += status == "open"
        if in_window(created_us):
            total += 1
            resolved_of_total += status == "resolved"
            channels[created[0].channel] += 1
        replies = [e for e in history if isinstance(e, MessageCreated) and e.sender_type == "agent"]
        if replies and in_window(instant_us(replies[0].occurred_at)):
            first_responses.append(max(0, instant_us(replies[0].occurred_at) - created_us))
        if status == "resolved" and in_window(instant_us(statuses[-1].occurred_at)):
            handle_times.append(max(0, instant_us(statuses[-1].occurred_at) - created_us))
            if statuses[-1].agent_id is not None:
                resolved_by[statuses[-1].agent_id] += 1
        rated = [e for e in history if isinstance(e, ConversationRated)]
        if rated and in_window(instant_us(rated[-1].occurred_at)):
            ratings.append(rated[-1].rating)

    names: dict[str, str] = {}
    active = 0
    for agent_id, changes in agents.items():
        changes.sort(key=_order)
        active += changes[-1].status in ("live", "away")
        named = [e.name for e in changes if e.name is not None]
        names[agent_id] = named[-1] if named else agent_id
    top = sorted(resolved_by.items(), key=lambda kv: (-kv[1], names.get(kv[0], kv[0]), kv[0]))[:5]

    handle_times.sort()
    return {
        "total_conversations": total,
        "avg_first_response": _round(_seconds(sum(first_responses)) / len(first_responses)) if first_responses else 0,
        "resolution_rate": _round(Fraction(1000 * resolved_of_total, total)) / 10 if total else 0.0,
        "active_agents": active,
        "channel_mix": _channel_mix(channels),
        "top_agents": [{"name": names.get(a, a), "resolved": n, "agent_id": a} for a, n in top],
        "quick_pulse_open": open_now,
        "median_handle_time": (
            _round(_seconds(handle_times[math.ceil(len(handle_times) / 2) - 1])) if handle_times else 0
        ),
        "avg_handle_time": _round(_seconds(sum(handle_times)) / len(handle_times)) if handle_times else 0,
        "customer_happiness": (_round(Fraction(100 * sum(r >= 4 for r in ratings), len(ratings))) if ratings else None),
    }
