"""Reports from the report index equal a naive selection over the conversations' final facts.

Histories are fed as fact changes straight into an `AccountView`, with many items inside the
queried periods (and around T), while the clock runs: conversations created late, replied,
resolved, reopened, resolved again by someone else, rated and re-rated, and forgotten (retention).
Periods have edges on quarter hours or at T; series by hour, day, week and month in UTC,
Europe/Berlin (across its autumn DST change), Asia/Kathmandu (+05:45) and Australia/Lord_Howe
(whose 30-minute change falls in the same month).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import order_stats
from analytics.facts import ConversationFacts
from analytics.periods import series_bounds, zone
from analytics.report import ReportQuery
from analytics.window import AccountView
from tests.support.reference import _channel_mix

SECOND_US = 10**6
QUARTER_US = 900 * SECOND_US
DAY_US = 86_400 * SECOND_US
# 2025-10-27 (the day after Berlin's clocks went back; Lord Howe's went forward on the 5th), off the grid.
T_US = int(datetime(2025, 10, 27, 10, 7, 13, 250_000, tzinfo=UTC).timestamp()) * SECOND_US + 250_000
ZONES = ["UTC", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe"]
CHANNELS = ["email", "widget", "whatsapp"]
AGENTS = ["a0", "a1", "a2"]
SPAN_US = 32 * DAY_US


def _time(draw: st.DrawFn) -> int:
    """Mostly inside the last 32 days, some on quarter hours exactly, some just after T."""
    offset = draw(
        st.one_of(st.integers(-SPAN_US, 5 * 60 * SECOND_US), st.integers(-40, 2).map(lambda q: q * QUARTER_US))
    )
    at = T_US + offset if draw(st.booleans()) else (T_US // QUARTER_US) * QUARTER_US + offset
    return at - at % draw(st.sampled_from([1, 1000, SECOND_US]))


@st.composite
def facts_of(draw: st.DrawFn, conversation_id: str) -> ConversationFacts | None:
    """One state of a conversation's facts (None: forgotten, or never seen)."""
    if draw(st.integers(0, 9)) == 0:
        return None
    created_us = _time(draw)
    later = st.integers(-60 * SECOND_US, 3 * DAY_US).map(lambda d: created_us + d)  # before creation: counts 0 s
    reply = draw(st.none() | st.tuples(later, st.just("m"), st.sampled_from(AGENTS)))
    status = draw(
        st.none()
        | st.tuples(
            later, st.just("s"), st.sampled_from(["open", "resolved", "resolved"]), st.none() | st.sampled_from(AGENTS)
        )
    )
    rating = draw(
        st.none() | st.tuples(st.integers(-SPAN_US, 0).map(lambda d: T_US + d), st.just("r"), st.integers(1, 5))
    )
    created = None if draw(st.integers(0, 9)) == 0 else (created_us, "c", draw(st.sampled_from(CHANNELS)))
    return ConversationFacts(T_US, created, reply, status, rating, conversation_id)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, ConversationFacts | None]]:
    ids = [f"c{n}" for n in range(draw(st.integers(1, 12)))]
    return [(cid, draw(facts_of(cid))) for cid in draw(st.lists(st.sampled_from(ids), max_size=40))]


@st.composite
def queries(draw: st.DrawFn) -> ReportQuery:
    name = draw(st.sampled_from(ZONES))
    unit = draw(st.sampled_from([None, "hour", "day", "week", "month"]))
    first_q = T_US // QUARTER_US - draw(st.integers(1, (3 if unit == "hour" else 31) * 96))
    since_us = first_q * QUARTER_US
    until_us = draw(
        st.one_of(st.just(T_US), st.integers(first_q + 1, T_US // QUARTER_US + 8).map(lambda q: q * QUARTER_US))
    )
    bounds = None if unit is None else tuple(series_bounds(since_us, until_us, unit, zone(name), 10_000))  # type: ignore[arg-type]
    breakdown = draw(st.sampled_from([None, "channel", "agent"]))
    return ReportQuery(since_us, until_us, T_US, zone(name), name, bounds, unit, False, breakdown)  # type: ignore[arg-type]


def _round(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def _durations(values: list[int]) -> tuple[int, int, int]:
    """(median, p90, mean) in whole seconds, from the sorted µs durations."""
    if not values:
        return 0, 0, 0
    ordered, n = sorted(values), len(values)
    pick = [ordered[math.ceil(n / 2) - 1], ordered[math.ceil(9 * n / 10) - 1]]
    return (
        _round(Fraction(pick[0], SECOND_US)),
        _round(Fraction(pick[1], SECOND_US)),
        _round(Fraction(sum(values), n * SECOND_US)),
    )


def naive(
    conversations: list[ConversationFacts], lo_us: int, hi_us: int, keep: Any = lambda c, kind: True
) -> dict[str, Any]:
    """SPEC §4's figures of [lo, hi) as of T, selecting each item straight from the facts."""

    def inside(t: int) -> bool:
        return lo_us <= t < hi_us and t <= T_US

    existing = [c for c in conversations if c.created is not None]
    made = [c for c in existing if inside(c.created[0]) and keep(c, "created")]  # type: ignore[index]
    resolved = [
        c for c in existing if c.status and c.status[2] == "resolved" and inside(c.status[0]) and keep(c, "handle")
    ]
    answered = [c for c in existing if c.first_reply and inside(c.first_reply[0]) and keep(c, "reply")]
    rated = [c for c in existing if c.rating and inside(c.rating[0]) and keep(c, "rated")]
    handles = [max(0, c.status[0] - c.created[0]) for c in resolved]  # type: ignore[index]
    replies = [max(0, c.first_reply[0] - c.created[0]) for c in answered]  # type: ignore[index]
    median_h, p90_h, avg_h = _durations(handles)
    median_r, p90_r, avg_r = _durations(replies)
    now_resolved = sum(1 for c in made if c.status and c.status[2] == "resolved")
    good = sum(1 for c in rated if c.rating[2] >= 4)  # type: ignore[index]
    return {
        "total_conversations": len(made),
        "resolution_rate": _round(Fraction(1000 * now_resolved, len(made))) / 10 if made else 0.0,
        "channel_mix": _channel_mix(Counter(c.created[2] for c in made)),  # type: ignore[index]
        "resolved": len(resolved),
        "median_handle_time": median_h,
        "p90_handle_time": p90_h,
        "avg_handle_time": avg_h,
        "first_responses": len(answered),
        "avg_first_response": avg_r,
        "median_first_response": median_r,
        "p90_first_response": p90_r,
        "ratings": len(rated),
        "customer_happiness": _round(Fraction(100 * good, len(rated))) if rated else None,
    }


def _any_item(c: ConversationFacts, query: ReportQuery) -> bool:
    times = [c.created[0]] if c.created else []  # type: ignore[index]
    times += [c.first_reply[0]] if c.first_reply else []
    times += [c.status[0]] if c.status and c.status[2] == "resolved" else []
    times += [c.rating[0]] if c.rating else []
    return any(query.since_us <= t < query.until_us and t <= T_US for t in times)


def fed(
    history: list[tuple[str, ConversationFacts | None]], clock: list[int]
) -> tuple[AccountView, list[ConversationFacts]]:
    view, facts = AccountView(), dict[str, ConversationFacts | None]()
    nows = sorted(T_US - tick for tick in clock)
    for n, (cid, new) in enumerate(history):
        view.apply_conversation(facts.get(cid), new, nows[min(n, len(nows) - 1)])
        facts[cid] = new
    return view, [f for f in facts.values() if f is not None]


@settings(max_examples=250, deadline=None)
@given(
    histories(),
    queries(),
    st.lists(st.integers(0, 2 * DAY_US), min_size=1, max_size=40),
    st.sampled_from([0, 10**9]),  # the k-th search across units always, or never (sorting each slice)
)
def test_index_reports_equal_a_naive_selection(
    history: list[tuple[str, ConversationFacts | None]], query: ReportQuery, clock: list[int], gather: int
) -> None:
    view, conversations = fed(history, clock)
    saved, order_stats._GATHER_AT_MOST = order_stats._GATHER_AT_MOST, gather
    try:
        answer = msgspec.to_builtins(view.report(query))
    finally:
        order_stats._GATHER_AT_MOST = saved
    assert answer["totals"] == naive(conversations, query.since_us, query.until_us)
    if query.series_bounds is not None:
        bounds = query.series_bounds
        assert [{k: v for k, v in p.items() if k not in ("start", "end")} for p in answer["series"]] == [
            naive(conversations, a, b) for a, b in itertools.pairwise(bounds)
        ]
    if query.breakdown == "channel":
        with_items = {c.created[2] for c in conversations if c.created and _any_item(c, query)}
        assert {row["channel"] for row in answer["breakdown"]} == with_items
        for row in answer["breakdown"]:
            expected = naive(
                conversations, query.since_us, query.until_us, lambda c, _, ch=row["channel"]: c.created[2] == ch
            )
            del expected["channel_mix"]
            assert row == {"channel": row["channel"], **expected}
    if query.breakdown == "agent":
        for row in answer["breakdown"]:  # (which agents have rows: test_analytics_report's tables)
            agent = row["agent_id"]

            def by(c: ConversationFacts, kind: str, agent: str = agent) -> bool:
                resolver = c.status[3] if c.status and c.status[2] == "resolved" else None
                return (
                    (c.first_reply is not None and c.first_reply[2] == agent) if kind == "reply" else resolver == agent
                )

            expected = naive(conversations, query.since_us, query.until_us, by)
            for name in ("total_conversations", "resolution_rate", "channel_mix"):
                del expected[name]
            assert {k: v for k, v in row.items() if not k.startswith(("time_", "agent_id", "name"))} == expected


def test_an_item_at_exactly_t_on_the_quarter_hour_counts_only_for_a_period_reaching_past_t() -> None:
    t_us = T_US // QUARTER_US * QUARTER_US
    view = AccountView()
    for n, at_us in enumerate([t_us - 1, t_us, t_us + 1]):  # before T, at T, after T (still pending)
        view.apply_conversation(None, ConversationFacts(at_us, (at_us, "c", "email"), conversation_id=f"c{n}"), t_us)

    def total(until_us: int) -> int:
        query = ReportQuery(t_us - DAY_US, until_us, t_us, zone("UTC"), "UTC")
        return view.report(query).totals.total_conversations

    # P = [since, T): the item at T is not in it; P reaching past T: it is, the one after T is not
    assert (total(t_us), total(t_us + QUARTER_US), total(t_us + DAY_US)) == (1, 2, 2)
