"""Reports over arbitrary small histories and periods equal a naive reference (hypothesis, SPEC §4).

A case is a query first, then a history made for it: whole conversation lifecycles created in the
queried period (and the compared one), so most cases have several resolutions, first responses and
ratings there (a test below holds the strategy to that), mixed with arbitrary events anywhere. Some
periods straddle a daylight-saving change of their zone, Lord Howe's 30-minute ones included.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.periods import series_bounds, zone
from analytics.report import ReportQuery
from analytics.time import DAY_US, HOUR_US, epoch_us
from events.schema import Event
from tests.support import report_reference as ref
from tests.support.builders import ACCOUNT, T_US, agent, created, message, rated, status
from tests.support.fold import Folded
from tests.support.lifecycles import MINUTE_US, counts_in, lifecycles, share_of_examples

QUARTER_US = 15 * MINUTE_US
ZONES = [
    "UTC",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
]
# Daylight-saving changes within 90 days before T (2025-06-01), as instants: periods around them.
CHANGES_US = [
    epoch_us(datetime(*when, tzinfo=UTC))
    for when in [
        (2025, 3, 9, 7),  # New York springs forward
        (2025, 3, 30, 1),  # Berlin springs forward
        (2025, 4, 5, 15),  # Lord Howe falls back 30 minutes, 02:00 → 01:30
        (2025, 4, 6, 3),  # Santiago falls back, 00:00 → 23:00 of the day before
    ]
]


def at(offsets_us: st.SearchStrategy[int]) -> st.SearchStrategy[timedelta]:
    return offsets_us.map(lambda offset_us: timedelta(microseconds=offset_us))


CONVERSATIONS = st.sampled_from(["c0", "c1", "c2", "c3", "c4", "L00"])  # L00: sometimes a lifecycle's
AGENTS = st.sampled_from(["a0", "a1", "a2"])
ACCOUNTS = st.sampled_from([ACCOUNT, ACCOUNT, ACCOUNT, "other"])


def arbitrary_event(offsets_us: st.SearchStrategy[int]) -> st.SearchStrategy[Event]:
    when = at(offsets_us)
    return st.one_of(
        st.builds(created, CONVERSATIONS, when, st.sampled_from(["email", "widget", "whatsapp"]), account=ACCOUNTS),
        st.builds(
            message, CONVERSATIONS, when, st.sampled_from(["agent", "agent", "contact"]), AGENTS, account=ACCOUNTS
        ),
        st.builds(
            status,
            CONVERSATIONS,
            when,
            st.sampled_from(["open", "pending", "resolved", "resolved"]),
            st.one_of(st.none(), AGENTS),
            account=ACCOUNTS,
        ),
        st.builds(rated, CONVERSATIONS, when, st.integers(1, 5), account=ACCOUNTS),
        st.builds(
            agent,
            AGENTS,
            when,
            st.sampled_from(["live", "away", "offline"]),
            st.sampled_from([None, "Ann", "Bob"]),
            account=ACCOUNTS,
        ),
    )


@st.composite
def queries(draw: st.DrawFn) -> ReportQuery:
    name = draw(st.sampled_from(ZONES))
    unit = draw(st.sampled_from([None, "day", "week", "month", "hour"]))
    longest_us = 3 * DAY_US if unit == "hour" else 45 * DAY_US
    length_us = draw(st.one_of(st.integers(QUARTER_US, 6 * HOUR_US), st.integers(6 * HOUR_US, longest_us)))
    if draw(st.booleans()):  # ending at most 40 days before T
        since_us = T_US - length_us - draw(st.integers(0, 40 * DAY_US))
    else:  # around a daylight-saving change
        since_us = draw(st.sampled_from(CHANGES_US)) - draw(st.integers(0, length_us))
    # Edges on quarter hours (and T), where SPEC §4 promises exactness: the report index is exact there only.
    since_us -= since_us % QUARTER_US
    until_us = draw(st.sampled_from([since_us + length_us - length_us % QUARTER_US, T_US]))
    if until_us <= since_us:
        until_us = since_us + HOUR_US
    # The previous period starts at since - (until - since): on the grid only for a whole number of quarters.
    compare = draw(st.booleans()) and (until_us - since_us) % QUARTER_US == 0
    tz = zone(name)
    return ReportQuery(
        since_us=since_us,
        until_us=until_us,
        now_us=T_US,
        tz=tz,
        timezone=name,
        series_bounds=None if unit is None else tuple(series_bounds(since_us, until_us, unit, tz, 10_000)),
        group_by=unit,  # type: ignore[arg-type]
        compare=compare,
        breakdown=draw(st.sampled_from([None, "channel", "agent"])),
    )


def counted(query: ReportQuery) -> list[tuple[int, int]]:
    """The periods whose items the report counts, as [lo, hi) in µs: P, and the previous one if asked."""
    periods = [(query.since_us, min(query.until_us, T_US + 1))]  # an item also needs its time ≤ T
    if query.compare:
        periods.append((2 * query.since_us - query.until_us, query.since_us))
    return periods


@st.composite
def report_cases(draw: st.DrawFn) -> tuple[list[Event], ReportQuery]:
    query = draw(queries())
    events: list[Event] = []
    for n, (lo_us, hi_us) in enumerate(counted(query)):
        # Nine steps of at most a twentieth of the period: most of a lifecycle stays inside it.
        step_us = max(MINUTE_US, min(6 * HOUR_US, (hi_us - lo_us) // 20))
        inside = st.integers(lo_us - T_US, max(lo_us, hi_us - 9 * step_us) - T_US)
        around = st.integers(lo_us - T_US - 2 * DAY_US, min(hi_us - T_US + DAY_US, 3 * MINUTE_US))
        events += draw(lifecycles(inside, around, step_us, prefix=f"L{n}"))
    offsets = st.one_of(
        st.sampled_from([0, 1, -1, -QUARTER_US, -HOUR_US, -DAY_US, 2 * MINUTE_US]),
        st.integers(-40 * DAY_US, 3 * MINUTE_US),
        st.integers(query.since_us - T_US - DAY_US, min(query.until_us - T_US, 3 * MINUTE_US)),
    )
    events += draw(st.lists(arbitrary_event(offsets), max_size=20))
    return draw(st.permutations(events)), query


def report(events: list[Event], query: ReportQuery) -> dict[str, Any]:
    folded = Folded().feed_all(events, T_US)
    return msgspec.to_builtins(folded.views.report(ACCOUNT, query))  # type: ignore[no-any-return]


def exercised(case: tuple[list[Event], ReportQuery]) -> bool:
    events, query = case
    return all(min(counts_in(events, lo_us, hi_us).values()) >= 3 for lo_us, hi_us in counted(query))


def test_most_cases_have_several_resolutions_first_responses_and_ratings_in_the_period() -> None:
    # Otherwise the properties below compare medians and averages of empty sets.
    assert share_of_examples(report_cases(), exercised) >= 0.8


@settings(max_examples=300, deadline=None)
@given(report_cases())
def test_a_report_equals_the_reference(case: tuple[list[Event], ReportQuery]) -> None:
    events, query = case
    for name, count in counts_in(events, *counted(query)[0]).items():
        # `pytest --hypothesis-show-statistics`: 5 = five or more
        hypothesis.event(f"{name} in the period", min(count, 5))
    assert report(events, query) == ref.expected_report(events, ACCOUNT, query)


ADDITIVE = ("total_conversations", "resolved", "first_responses", "ratings")


@settings(max_examples=200, deadline=None)
@given(report_cases())
def test_series_and_channel_rows_add_up_to_the_totals(case: tuple[list[Event], ReportQuery]) -> None:
    events, query = case
    answer = report(events, dataclasses.replace(query, breakdown="channel"))
    for part in [answer, answer.get("previous")]:
        if part is None:
            continue
        for name in ADDITIVE:
            assert sum(row[name] for row in part["breakdown"]) == part["totals"][name]
            if query.series_bounds is not None:
                assert sum(period[name] for period in part["series"]) == part["totals"][name]


@settings(max_examples=200, deadline=None)
@given(report_cases(), st.data())
def test_any_order_and_duplication_give_the_same_report(case: tuple[list[Event], ReportQuery], data: Any) -> None:
    events, query = case
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=10)) if events else []
    messy = data.draw(st.permutations(events + duplicates))
    assert report(messy, query) == report(events, query)
