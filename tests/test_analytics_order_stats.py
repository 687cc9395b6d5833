"""A column's counts, exact sums and true order statistics over periods of whole quarter hours
equal sorting the period's items (⌈n/2⌉-th and ⌈9n/10⌉-th smallest), on every path: one whole
unit, the period's slice sorted, and the k-th search across units."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import order_stats
from analytics.order_stats import decompose, stats
from analytics.report_column import QUARTER_US, Arrays, Column

DAY_Q = 96  # quarter hours in a day
START_Q = 20_000 * DAY_Q  # 2024-10-04 00:00 UTC, a UTC midnight


def column_of(items: list[tuple[int, int]]) -> Arrays:
    """A merged column holding (time µs, duration µs) items, added (and some removed again) change by change."""
    column = Column(durations=True)
    for ts_us, duration_us in items:
        column.change(ts_us, duration_us, 1)
        column.change(ts_us + 1, duration_us, 1)  # a neighbour, retracted below
    for ts_us, duration_us in items:
        column.change(ts_us + 1, duration_us, -1)
    return column.snapshot().arrays()


def expected(items: list[tuple[int, int]], lo_q: int, hi_q: int) -> tuple[int, int, int | None, int | None]:
    """Count, sum µs, and the ⌈n/2⌉-th and ⌈9n/10⌉-th smallest durations truncated to ms, by sorting."""
    chosen = sorted(d for t, d in items if lo_q * QUARTER_US <= t < hi_q * QUARTER_US)
    n = len(chosen)
    if not n:
        return 0, 0, None, None
    return n, sum(chosen), chosen[math.ceil(n / 2) - 1] // 1000, chosen[math.ceil(9 * n / 10) - 1] // 1000


def actual(arrays: Arrays, lo_q: int, hi_q: int) -> tuple[int, int, int | None, int | None]:
    found = stats(arrays, np.array([lo_q, lo_q], np.int64), np.array([hi_q, hi_q], np.int64))  # the vectorised path
    n = int(found.count[0])
    sum_us = int(found.seconds[0]) * 10**6 + int(found.micros[0])
    median, p90 = (int(found.median_ms[0]), int(found.p90_ms[0])) if n else (None, None)
    one = order_stats.stats_one(arrays, lo_q, hi_q)  # and the one-period path agrees
    assert one == (n, sum_us, median or 0, p90 or 0)
    return n, sum_us, median, p90


@pytest.mark.parametrize(
    ("lo_q", "hi_q", "runs"),
    [
        # one quarter hour: nothing coarser fits
        (5, 6, ((0, 5, 6, 1),)),
        # one UTC hour: one hour unit
        (8, 12, ((1, 2, 3, 1),)),
        # a Kathmandu hour (:15 to :15): the nearest hour, a quarter added before, one taken off after
        (9, 13, ((1, 2, 3, 1), (0, 8, 9, -1), (0, 12, 13, 1))),
        # three quarters: shorter than an hour, so quarters
        (9, 12, ((0, 9, 12, 1),)),
        # one UTC day: one day unit
        (DAY_Q, 2 * DAY_Q, ((2, 1, 2, 1),)),
        # a Berlin summer day (22:00 to 22:00 UTC): a day, two hours added before, two taken off at the end
        (DAY_Q - 8, 2 * DAY_Q - 8, ((2, 1, 2, 1), (1, 22, 24, 1), (1, 46, 48, -1))),
        # empty
        (7, 7, ()),
    ],
)
def test_a_period_is_whole_units_plus_and_minus_finer_ones(lo_q: int, hi_q: int, runs: tuple[object, ...]) -> None:
    assert decompose(lo_q, hi_q) == runs


# Every case for each path: n = 1, 2, 10, 11 (where ⌈n/2⌉ and ⌈9n/10⌉ move), ties, zero durations.
SIZES = [
    # one item: median and p90 are it
    [7_000_123],
    # two: the median is the smaller, the p90 the larger
    [2_000_000, 1_000_000],
    # ten: the 5th and the 9th
    [k * 1_000_000 for k in range(10, 0, -1)],
    # eleven: the 6th and the 10th
    [k * 1_500_000 for k in range(11)],
    # ties in the ms, told apart by µs for the sum
    [5_000_001, 5_000_002, 5_000_003],
    # all zero (replies before creation count as 0 s)
    [0, 0, 0, 0],
]


@pytest.mark.parametrize("durations", SIZES)
@pytest.mark.parametrize(
    ("lo_q", "hi_q"),
    [
        # one UTC day: the direct path
        (START_Q, START_Q + DAY_Q),
        # a Berlin day and a Kathmandu day, several days: the search across units (forced below)
        (START_Q - 8, START_Q + DAY_Q - 8),
        (START_Q - 23, START_Q + 3 * DAY_Q - 23),
    ],
)
@pytest.mark.parametrize("gather_at_most", [0, 10**9])  # always search / always sort the slice
def test_order_statistics_equal_sorting(
    durations: list[int], lo_q: int, hi_q: int, gather_at_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_stats, "_GATHER_AT_MOST", gather_at_most)
    # Spread over the period (and outside it, which must not count).
    span_us = (hi_q - lo_q + 8) * QUARTER_US
    items = [((lo_q - 4) * QUARTER_US + (k * 7_919_000_001) % span_us, d) for k, d in enumerate(durations)]
    arrays = column_of(items)
    assert actual(arrays, lo_q, hi_q) == expected(items, lo_q, hi_q)


ITEMS = st.lists(
    st.tuples(
        st.integers(START_Q * QUARTER_US, (START_Q + 4 * DAY_Q) * QUARTER_US),
        st.one_of(st.integers(0, 10**7), st.integers(0, 10**12), st.sampled_from([0, 500_000, 1_500_000])),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(
    ITEMS,
    st.integers(START_Q - DAY_Q, START_Q + 4 * DAY_Q),
    st.integers(0, 5 * DAY_Q),
    st.sampled_from([0, 10**9]),
)
def test_any_quarter_hour_period_equals_sorting(
    items: list[tuple[int, int]], lo_q: int, length: int, gather: int
) -> None:
    saved = order_stats._GATHER_AT_MOST
    order_stats._GATHER_AT_MOST = gather
    try:
        arrays = column_of(items)
        assert actual(arrays, lo_q, lo_q + length) == expected(items, lo_q, lo_q + length)
    finally:
        order_stats._GATHER_AT_MOST = saved
