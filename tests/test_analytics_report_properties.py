"""Reports over arbitrary small histories and periods equal a naive reference (hypothesis, SPEC §4)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.periods import series_bounds, zone
from analytics.report import ReportQuery
from analytics.time import DAY_US, HOUR_US
from events.schema import Event
from tests.support import report_reference as ref
from tests.support.builders import ACCOUNT, T_US, agent, created, message, rated, status
from tests.support.fold import Folded

MINUTE_US = 60 * 10**6
QUARTER_US = 15 * MINUTE_US
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York"]

OFFSETS = st.one_of(
    st.sampled_from([0, 1, -1, -QUARTER_US, -HOUR_US, -DAY_US, 2 * MINUTE_US]),
    st.integers(-40 * DAY_US, 3 * MINUTE_US),
)
AT = OFFSETS.map(lambda offset_us: timedelta(microseconds=offset_us))
CONVERSATIONS = st.sampled_from(["c0", "c1", "c2", "c3", "c4"])
AGENTS = st.sampled_from(["a0", "a1", "a2"])
ACCOUNTS = st.sampled_from([ACCOUNT, ACCOUNT, ACCOUNT, "other"])
EVENT = st.one_of(
    st.builds(created, CONVERSATIONS, AT, st.sampled_from(["email", "widget", "whatsapp"]), account=ACCOUNTS),
    st.builds(message, CONVERSATIONS, AT, st.sampled_from(["agent", "agent", "contact"]), AGENTS, account=ACCOUNTS),
    st.builds(
        status,
        CONVERSATIONS,
        AT,
        st.sampled_from(["open", "pending", "resolved", "resolved"]),
        st.one_of(st.none(), AGENTS),
        account=ACCOUNTS,
    ),
    st.builds(rated, CONVERSATIONS, AT, st.integers(1, 5), account=ACCOUNTS),
    st.builds(
        agent,
        AGENTS,
        AT,
        st.sampled_from(["live", "away", "offline"]),
        st.sampled_from([None, "Ann", "Bob"]),
        account=ACCOUNTS,
    ),
)
HISTORIES = st.lists(EVENT, max_size=40)
# Period edges on quarter hours, where SPEC §4 promises exactness (until may also be T, below).
EDGE = st.integers(-41 * DAY_US // QUARTER_US, 0).map(lambda q: (T_US // QUARTER_US + q) * QUARTER_US)


@st.composite
def queries(draw: st.DrawFn) -> ReportQuery:
    since_us = draw(EDGE)
    until_us = draw(
        st.one_of(st.none(), st.integers(1, 45 * DAY_US // QUARTER_US).map(lambda n: since_us + n * QUARTER_US))
    )
    until_us = T_US if until_us is None else until_us
    if until_us <= since_us:
        until_us = since_us + HOUR_US
    compare = draw(st.booleans())
    if compare and (until_us - since_us) % QUARTER_US:
        # The previous period starts at since - (until - since): on the grid only for a whole number of quarters.
        until_us = since_us + (until_us - since_us) // QUARTER_US * QUARTER_US + QUARTER_US
    name = draw(st.sampled_from(ZONES))
    unit = draw(st.sampled_from([None, "day", "week", "month", "hour"]))
    if unit == "hour" and until_us - since_us > 3 * DAY_US:
        unit = "day"
    bounds = None if unit is None else tuple(series_bounds(since_us, until_us, unit, zone(name), 10_000))
    return ReportQuery(
        since_us=since_us,
        until_us=until_us,
        now_us=T_US,
        tz=zone(name),
        timezone=name,
        series_bounds=bounds,
        group_by=unit,
        compare=compare,
        breakdown=draw(st.sampled_from([None, "channel", "agent"])),
    )


def report(events: list[Event], query: ReportQuery) -> dict[str, Any]:
    folded = Folded().feed_all(events, T_US)
    return msgspec.to_builtins(folded.views.report(ACCOUNT, query))  # type: ignore[no-any-return]


@settings(max_examples=300, deadline=None)
@given(HISTORIES, queries())
def test_a_report_equals_the_reference(events: list[Event], query: ReportQuery) -> None:
    assert ref.comparable(report(events, query)) == ref.expected_parts(events, ACCOUNT, query)


ADDITIVE = ("total_conversations", "resolved", "first_responses", "ratings")


@settings(max_examples=200, deadline=None)
@given(HISTORIES, queries())
def test_series_and_channel_rows_add_up_to_the_totals(events: list[Event], query: ReportQuery) -> None:
    answer = report(events, dataclasses.replace(query, breakdown="channel"))
    totals = answer["totals"]
    for name in ADDITIVE:
        assert sum(row[name] for row in answer["breakdown"]) == totals[name]
        if query.series_bounds is not None:
            assert sum(period[name] for period in answer["series"]) == totals[name]


@settings(max_examples=200, deadline=None)
@given(HISTORIES, queries(), st.data())
def test_any_order_and_duplication_give_the_same_report(events: list[Event], query: ReportQuery, data: Any) -> None:
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=10)) if events else []
    messy = data.draw(st.permutations(events + duplicates))
    assert report(messy, query) == report(events, query)
