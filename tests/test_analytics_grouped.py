"""Per-group duration statistics equal a plain reference, for ordinary and for extreme durations."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.grouped import QUARTER_US, duration_stats, period_of

GROUPS = 4
# Ordinary durations take the combined-key sort; ones spanning more than 2**60 µs, the lexsort.
DURATIONS = st.one_of(st.integers(0, 10**12), st.integers(-(2**62), 2**62))
ITEMS = st.lists(st.tuples(st.integers(0, GROUPS - 1), DURATIONS), max_size=40)


def reference(items: list[tuple[int, int]], group: int) -> tuple[int, int, int | None, int | None]:
    values = sorted(value for g, value in items if g == group)
    n = len(values)
    if not n:
        return 0, 0, None, None
    return n, sum(values), values[(n + 1) // 2 - 1], values[(9 * n + 9) // 10 - 1]


@given(ITEMS)
def test_duration_stats_equal_sorting_each_group(items: list[tuple[int, int]]) -> None:
    groups = np.array([g for g, _ in items], np.int64)
    durations = np.array([value for _, value in items], np.int64)
    stats = duration_stats(groups, durations, GROUPS)
    for g in range(GROUPS):
        assert (stats.count[g], stats.sum_us[g], stats.median_us[g], stats.p90_us[g]) == reference(items, g)


def test_both_orderings_on_one_example() -> None:
    groups = np.array([1, 0, 1, 0, 1], np.int64)
    for scale in (1, 2**60):  # combined key; then too wide for one, lexsort
        durations = np.array([5, 3, -1, 7, 2], np.int64) * scale
        stats = duration_stats(groups, durations, 2)
        assert (stats.median_us, stats.p90_us) == ([3 * scale, 2 * scale], [7 * scale, 5 * scale])


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(10**12), 10**12),
    st.lists(st.integers(1, 3000), min_size=1, max_size=30),
    st.booleans(),
    st.data(),
)
def test_the_quarter_hour_table_finds_the_same_periods_as_a_binary_search(
    start_us: int, quarters: list[int], aligned: bool, data: st.DataObject
) -> None:
    # Inner bounds on quarter hours (every zone's unit starts) use the table, others the search.
    first = start_us - start_us % QUARTER_US
    inner = list(itertools.accumulate((q * QUARTER_US for q in quarters[:-1]), initial=first))[1:]
    if not aligned and inner:
        inner[0] += 1
    bounds = np.array([start_us, *[b for b in inner if b > start_us], first + sum(quarters) * QUARTER_US + 7], np.int64)
    times = np.array(data.draw(st.lists(st.integers(int(bounds[0]), int(bounds[-1]) - 1), max_size=50)), np.int64)
    assert period_of(times, bounds).tolist() == (np.searchsorted(bounds, times, side="right") - 1).tolist()
