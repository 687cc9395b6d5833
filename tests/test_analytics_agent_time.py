"""Time in each status from an agent's status history (SPEC §2 step function, SPEC §4 `time_*`), as tables."""

from __future__ import annotations

import pytest

from analytics.agent_time import Timeline, status_at, was_active

# live from 10; at 20 away and offline at the same instant (the later event_id wins at once, so away
# holds for zero time); live again from 40, for ever.
HISTORY = [(10, "e1", "live"), (20, "e2", "away"), (20, "e3", "offline"), (40, "e4", "live")]


@pytest.mark.parametrize(
    ("lo_us", "hi_us", "spent"),
    [
        (0, 100, {"live": 70, "offline": 20}),  # nothing before the first change; away held for no time
        (15, 30, {"live": 5, "offline": 10}),  # both ends clipped
        (25, 35, {"offline": 10}),  # the change in force at lo holds from lo
        (20, 30, {"offline": 10}),  # lo on a tie: the later event_id is in force
        (10, 20, {"live": 10}),  # hi is not in the period
        (100, 200, {"live": 100}),  # the last change holds for ever
        (0, 5, {}),  # before the first change: no status
        (0, 10, {}),
        (40, 40, {}),  # an empty period
        (15, 15, {}),
        (50, 45, {}),
    ],
)
def test_time_in_each_status(lo_us: int, hi_us: int, spent: dict[str, int]) -> None:
    assert Timeline(HISTORY).spent_us(lo_us, hi_us) == spent


def test_every_change_inside_the_period_counts_and_repeated_statuses_add_up() -> None:
    history = [(10, "e1", "live"), (20, "e2", "away"), (30, "e3", "live"), (40, "e4", "offline")]
    assert Timeline(history).spent_us(0, 50) == {"live": 20, "away": 10, "offline": 10}


def test_no_history_spends_no_time() -> None:
    assert Timeline([]).spent_us(0, 100) == {}


@pytest.mark.parametrize(
    ("at_us", "status"),
    [(0, None), (9, None), (10, "live"), (19, "live"), (20, "offline"), (39, "offline"), (40, "live"), (10**9, "live")],
)
def test_status_at(at_us: int, status: str | None) -> None:
    assert status_at(HISTORY, at_us) == status


@pytest.mark.parametrize(
    ("lo_us", "last_us", "active"),
    [
        (0, 100, True),  # live for a while
        (0, 30, True),  # live for a while, offline at the end
        (25, 39, False),  # offline throughout
        (25, 40, False),  # turned live at the very last instant: zero time is no time (SPEC §4)
        (25, 41, True),  # ... one µs later it has a positive time live
        (0, 10, False),  # live from 10 on: none of it before 10
        (0, 11, True),
        (0, 9, False),  # no status yet
        (30, 29, False),  # an empty period
        (20, 20, False),  # away at 20 only for zero time, then offline
        (10, 10, False),  # a period of no length, at whose instant it turned live: no time
    ],
)
def test_active_means_a_positive_time_live_or_away(lo_us: int, last_us: int, active: bool) -> None:
    assert was_active(Timeline(HISTORY).spent_us(lo_us, last_us)) is active
