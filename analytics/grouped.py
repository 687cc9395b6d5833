"""Vectorised counts, exact sums and order statistics of report items, per group (SPEC §4, §5).

The SPEC §5 reports (`analytics.sliced_report`) select items (conversation rows whose time for that item is in a period) and group
them, by series period, channel, agent, team, inbox or label. Everything here is numpy over int64 arrays:
counts with `bincount`; sums exactly, as Python ints (µs sums could overflow int64 for long
durations, so seconds and sub-second parts are summed apart, each far below 2**53); the k-th
smallest per group from one `lexsort` — the true median and p90, not a sketch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analytics.time import HOUR_US, SECOND_US

QUARTER_US = HOUR_US // 4

Ints = npt.NDArray[np.int64]


def select(times_us: Ints, lo_us: int, hi_us: int) -> Ints:
    """Indices of the items whose time is in [lo_us, hi_us)."""
    return np.flatnonzero((times_us >= lo_us) & (times_us < hi_us))


def period_of(times_us: Ints, bounds_us: Ints) -> Ints:
    """For times inside [bounds[0], bounds[-1]): the index of the period [bounds[i], bounds[i+1]) holding each."""
    inner = bounds_us[1:-1]
    if len(inner) == 0:
        return np.zeros(len(times_us), np.int64)
    if np.any(inner % QUARTER_US):  # a unit start off the quarter hour: no zone has one today
        return np.searchsorted(bounds_us, times_us, side="right") - 1
    # Every unit starts on a quarter hour, so a table of quarter hours → period replaces a binary
    # search per item (~10x faster over a million items).
    base_us = int(bounds_us[0]) - int(bounds_us[0]) % QUARTER_US
    quarters = (int(bounds_us[-1]) - 1 - base_us) // QUARTER_US + 1
    period_of_quarter = np.searchsorted((inner - base_us) // QUARTER_US, np.arange(quarters), side="right")
    return period_of_quarter[(times_us - base_us) // QUARTER_US]


def counts(groups: Ints, n_groups: int, weights: Ints | None = None) -> list[int]:
    """How many items (or how much of `weights`, small non-negative ints) each group has."""
    if weights is None:
        return [int(x) for x in np.bincount(groups, minlength=n_groups)]
    return [int(x) for x in np.bincount(groups, weights=weights, minlength=n_groups)]


@dataclass(frozen=True)
class DurationStats:
    """Per group: count, exact sum (µs), ⌈n/2⌉-th and ⌈9n/10⌉-th smallest (µs; None when empty)."""

    count: list[int]
    sum_us: list[int]
    median_us: list[int | None]
    p90_us: list[int | None]


def duration_stats(groups: Ints, durations_us: Ints, n_groups: int) -> DurationStats:
    if n_groups == 1:
        return _one_group(durations_us)
    n = np.bincount(groups, minlength=n_groups)
    whole = np.bincount(groups, weights=durations_us // SECOND_US, minlength=n_groups)
    part = np.bincount(groups, weights=durations_us % SECOND_US, minlength=n_groups)
    sums = [int(w) * SECOND_US + int(p) for w, p in zip(whole, part, strict=True)]
    ordered = _by_group_then_value(groups, durations_us)
    starts = np.cumsum(n) - n
    present = n > 0
    medians = _kth(ordered, starts, (n + 1) // 2, present)
    p90s = _kth(ordered, starts, (9 * n + 9) // 10, present)
    return DurationStats(n.tolist(), sums, medians, p90s)


def _one_group(durations_us: Ints) -> DurationStats:
    """A period's totals: two selections in linear time instead of a sort."""
    n = len(durations_us)
    if n == 0:
        return DurationStats([0], [0], [None], [None])
    median_at, p90_at = (n + 1) // 2 - 1, (9 * n + 9) // 10 - 1
    chosen = np.partition(durations_us, (median_at, p90_at))
    total_us = int((durations_us // SECOND_US).sum()) * SECOND_US + int((durations_us % SECOND_US).sum())
    return DurationStats([n], [total_us], [int(chosen[median_at])], [int(chosen[p90_at])])


def _by_group_then_value(groups: Ints, values: Ints) -> Ints:
    """`values` sorted by group, then value.

    One sort of a combined key (group in the high bits, value above the minimum in the low ones)
    where it fits in an int64, as it does for any realistic durations: ~7x faster than `lexsort`.
    """
    if len(values) == 0:
        return values
    low = int(values.min())
    value_bits = (int(values.max()) - low).bit_length()
    if value_bits + int(groups.max()).bit_length() > 62:
        ordered: Ints = values[np.lexsort((values, groups))]
        return ordered
    keys = (groups << value_bits) | (values - low)
    keys.sort()
    return (keys & ((1 << value_bits) - 1)) + low


def _kth(ordered: Ints, starts: Ints, ranks: Ints, present: npt.NDArray[np.bool_]) -> list[int | None]:
    """The ranks[g]-th smallest (1-based) of each present group; None for empty ones."""
    picked = np.zeros(len(starts), np.int64)
    picked[present] = ordered[starts[present] + ranks[present] - 1]
    return [int(value) if here else None for value, here in zip(picked.tolist(), present.tolist(), strict=True)]
