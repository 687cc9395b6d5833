"""SPEC §4 figures at their edges, as tables with a comment per case (T is builders.T)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest

from analytics.periods import parse_instant, series_bounds, zone
from analytics.report import Breakdown, ReportQuery
from events.schema import Event
from tests.support.builders import ACCOUNT, MIN, T_US, US, D, H, S, agent, created, message, rated, status
from tests.support.fold import Folded

SINCE = -2 * D  # the period of most cases: [T - 2 days, T - 1 day)
UNTIL = -D


def us(at: timedelta) -> int:
    return T_US + at // US


def report(
    events: list[Event],
    since: timedelta = SINCE,
    until: timedelta = UNTIL,
    breakdown: Breakdown | None = None,
    zone_name: str = "UTC",
    group_by: str | None = None,
) -> dict[str, Any]:
    tz = zone(zone_name)
    bounds = None if group_by is None else tuple(series_bounds(us(since), us(until), group_by, tz, 1000))  # type: ignore[arg-type]
    query = ReportQuery(us(since), us(until), T_US, tz, zone_name, bounds, group_by, False, breakdown)
    return msgspec.to_builtins(Folded().feed_all(events, T_US).views.report(ACCOUNT, query))  # type: ignore[no-any-return]


# SPEC §4 is exact at edges on the quarter hour and at T; T itself (builders.T, 12:34:56.789) is off it.
GRID_SINCE = SINCE - timedelta(minutes=4, seconds=56, milliseconds=789)  # 12:30 two days before T
GRID_UNTIL = GRID_SINCE + D


@pytest.mark.parametrize(
    ("events", "since", "until", "expected"),
    [
        # created exactly at since counts
        ([created("c", GRID_SINCE)], GRID_SINCE, GRID_UNTIL, 1),
        # created 1 µs before since does not
        ([created("c", GRID_SINCE - US)], GRID_SINCE, GRID_UNTIL, 0),
        # 1 µs before until counts; at until it belongs to the next period
        ([created("c", GRID_UNTIL - US), created("d", GRID_UNTIL)], GRID_SINCE, GRID_UNTIL, 1),
        # an edge off the quarter hour: items more than 15 minutes either side of it fall on their side
        (
            [created("c", SINCE + 7 * MIN - 15 * MIN - US), created("d", SINCE + 7 * MIN + 15 * MIN)],
            SINCE + 7 * MIN,
            UNTIL,
            1,
        ),
        # until in the future: an item ahead of T is not counted yet, one at T is (T is off the grid)
        ([created("c", timedelta(0)), created("d", US)], SINCE, D, 1),
        # ... and one earlier in T's own quarter hour counts too, since that quarter holds nothing after T
        ([created("c", -4 * MIN), created("d", US)], GRID_SINCE, D, 1),
    ],
)
def test_period_edges(events: list[Event], since: timedelta, until: timedelta, expected: int) -> None:
    assert report(events, since, until)["totals"]["total_conversations"] == expected


def resolved_after(n: int, minutes: list[int]) -> list[Event]:
    """n conversations created at SINCE + 1 h, each resolved after the given minutes."""
    events: list[Event] = []
    for i, minute in enumerate(minutes[:n]):
        events += [created(f"c{i}", SINCE + H), status(f"c{i}", SINCE + H + minute * MIN, "resolved", "a1")]
    return events


@pytest.mark.parametrize(
    ("minutes", "median_s", "p90_s"),
    [
        ([7], 420, 420),  # one item is its own median and p90
        ([2, 1], 60, 120),  # two: the ⌈2/2⌉ = 1st and the ⌈1.8⌉ = 2nd smallest
        (list(range(1, 11)), 300, 540),  # ten: the 5th and the 9th
        (list(range(1, 12)), 360, 600),  # eleven: the 6th and the ⌈9.9⌉ = 10th
    ],
)
def test_median_and_p90_are_order_statistics(minutes: list[int], median_s: int, p90_s: int) -> None:
    totals = report(resolved_after(len(minutes), minutes))["totals"]
    assert (totals["resolved"], totals["median_handle_time"], totals["p90_handle_time"]) == (
        len(minutes),
        median_s,
        p90_s,
    )
    assert totals["avg_handle_time"] == round(sum(minutes) * 60 / len(minutes) + 1e-9)


def test_first_response_figures_and_happiness() -> None:
    events = [
        created("c1", SINCE),
        message("c1", SINCE + 10 * S),
        rated("c1", SINCE + H, 5),
        created("c2", SINCE),
        message("c2", SINCE + 31 * S, "contact"),
        message("c2", SINCE + 40 * S),
        rated("c2", SINCE + H, 3),
        created("c3", SINCE),
        message("c3", SINCE + 25 * S, "bot"),  # a bot is not a reply
    ]
    totals = report(events)["totals"]
    assert totals["first_responses"] == 2
    assert (totals["avg_first_response"], totals["median_first_response"], totals["p90_first_response"]) == (25, 10, 40)
    assert (totals["ratings"], totals["customer_happiness"]) == (2, 50)
    assert totals["resolution_rate"] == 0.0 and totals["channel_mix"] == {"whatsapp": 100.0}


def test_an_empty_period_has_zeros_and_no_happiness() -> None:
    totals = report([created("c", -5 * D)])["totals"]
    assert totals["total_conversations"] == 0 and totals["customer_happiness"] is None and totals["channel_mix"] == {}


def test_a_23_hour_day_is_one_period_of_the_series() -> None:
    # Berlin springs forward on 2025-03-30 (before T): that day has 23 hours, its last one 22:00-23:00 UTC+2.
    day_start = (parse_instant("2025-03-30", zone("Europe/Berlin")) - T_US) * US
    events = [
        created("c", day_start + 22 * H + 30 * MIN),
        created("d", day_start + 23 * H),
    ]  # 23:30 local; the next day
    answer = report(events, day_start, day_start + 24 * H, zone_name="Europe/Berlin", group_by="day")
    assert [(p["start"], p["end"], p["total_conversations"]) for p in answer["series"]] == [
        ("2025-03-30T00:00:00+01:00", "2025-03-31T00:00:00+02:00", 1),
        ("2025-03-31T00:00:00+02:00", "2025-03-31T01:00:00+02:00", 1),
    ]


# -- team performance (breakdown=agent) --------------------------------------------------------


def agent_rows(events: list[Event], **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {row["agent_id"]: row for row in report(events, breakdown="agent", **kwargs)["breakdown"]}


def test_an_agent_whose_only_status_is_before_the_period_holds_it_all_period() -> None:
    rows = agent_rows([agent("a1", -10 * D, "live", "Ann")])
    assert rows["a1"]["name"] == "Ann" and rows["a1"]["time_live"] == 24 * 3600 and rows["a1"]["time_away"] == 0


def test_status_changes_at_one_instant_the_later_event_id_wins_at_once() -> None:
    first = agent("a1", SINCE + H, "away")
    second = agent("a1", SINCE + H, "live")
    assert first.event_id < second.event_id
    rows = agent_rows([agent("a1", SINCE, "offline"), second, first])
    assert (rows["a1"]["time_offline"], rows["a1"]["time_away"], rows["a1"]["time_live"]) == (3600, 0, 23 * 3600)


def test_an_offline_agent_without_work_has_no_row_and_one_without_a_name_shows_its_id() -> None:
    rows = agent_rows([agent("a1", -10 * D, "offline"), created("c", SINCE), message("c", SINCE + MIN, agent="a9")])
    assert set(rows) == {"a9"} and rows["a9"]["name"] == "a9" and rows["a9"]["first_responses"] == 1


def test_first_reply_by_one_agent_resolution_by_another() -> None:
    events = [created("c", SINCE), message("c", SINCE + MIN, agent="a1"), status("c", SINCE + H, "resolved", "a2")]
    rows = agent_rows(events)
    assert (rows["a1"]["first_responses"], rows["a1"]["resolved"]) == (1, 0)
    assert (rows["a2"]["first_responses"], rows["a2"]["resolved"], rows["a2"]["median_handle_time"]) == (0, 1, 3600)


def test_a_rating_moves_with_the_resolver_and_counts_for_nobody_while_unresolved() -> None:
    reopened = [
        created("c", SINCE),
        status("c", SINCE + H, "resolved", "a1"),
        rated("c", SINCE + 2 * H, 5),
        status("c", SINCE + 3 * H, "open"),
        status("c", SINCE + 4 * H, "resolved", "a2"),
    ]
    rows = agent_rows(reopened)
    assert "a1" not in rows  # its resolution was withdrawn, and with it the rating
    assert (rows["a2"]["resolved"], rows["a2"]["ratings"], rows["a2"]["customer_happiness"]) == (1, 1, 100)
    unresolved = agent_rows([created("d", SINCE), message("d", SINCE + MIN, agent="a3"), rated("d", SINCE + H, 1)])
    assert rows and unresolved["a3"]["ratings"] == 0 and unresolved["a3"]["customer_happiness"] is None


def test_agent_rows_are_ordered_by_resolutions_then_name_then_id() -> None:
    events = [
        agent("b", -10 * D, "live", "Zed"),
        agent("a", -10 * D, "live", "Zed"),
        agent("c", -10 * D, "away", "Amy"),
    ]
    for n in range(2):
        events += [created(f"x{n}", SINCE), status(f"x{n}", SINCE + H, "resolved", "b")]
    assert [row["agent_id"] for row in report(events, breakdown="agent")["breakdown"]] == ["b", "c", "a"]


# -- breakdown=channel ---------------------------------------------------------------------------


def test_a_channel_that_only_appears_through_resolutions_of_older_conversations() -> None:
    events = [created("old", -20 * D, "email"), status("old", SINCE + H, "resolved", "a1"), created("new", SINCE)]
    rows = report(events, breakdown="channel")["breakdown"]
    assert [(r["channel"], r["total_conversations"], r["resolved"]) for r in rows] == [
        ("whatsapp", 1, 0),
        ("email", 0, 1),
    ]
    assert "channel_mix" not in rows[0]
