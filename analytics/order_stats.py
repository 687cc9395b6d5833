"""Counts, exact sums and true order statistics of a column's items over periods of whole quarter hours.

A period [lo, hi) (in quarter-hour indices) is one contiguous slice of the quarter level, so its
count and sum are two `searchsorted` and a difference. Its k-th smallest duration:
* directly, when the period is one unit (an hour, a UTC day) of a level: that unit's segment is sorted;
* from the slice itself (`np.partition`), when it holds few items;
* otherwise by a binary search on the value over the period's units, for all such periods and
  both ranks at once: each step counts, in one `searchsorted` per level, the items ≤ the guess
  in every unit of every period. A period is written as whole days, plus or minus whole hours,
  plus or minus quarter hours (`decompose`), so a Berlin day is 5 units and a 90-day total ~100,
  and a step costs O(units), not O(items).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from analytics.report_column import MS_BITS, MS_MASK, UNIT_QUARTERS, Arrays, Ints
from analytics.time import SECOND_US

_GATHER_AT_MOST = 2048  # items of a period below which sorting its slice beats the search
Run = tuple[int, int, int, int]  # (level, first unit, end unit, sign)


@lru_cache(maxsize=4096)
def decompose(lo_q: int, hi_q: int, level: int = len(UNIT_QUARTERS) - 1) -> tuple[Run, ...]:
    """[lo_q, hi_q) as signed runs of whole units: rounded to the nearest unit of the coarsest level
    no longer than the period, the difference to the true edges taken at finer levels (added or
    subtracted)."""
    if lo_q == hi_q:
        return ()
    if lo_q > hi_q:
        return tuple((lv, a, b, -sign) for lv, a, b, sign in decompose(hi_q, lo_q, level))
    unit = UNIT_QUARTERS[level]
    if level == 0:
        return ((0, lo_q, hi_q, 1),)
    first, end = (lo_q + unit // 2) // unit, (hi_q + unit // 2) // unit
    if hi_q - lo_q < unit or first >= end:
        return decompose(lo_q, hi_q, level - 1)
    edges = decompose(lo_q, first * unit, level - 1) + decompose(end * unit, hi_q, level - 1)
    return ((level, first, end, 1), *edges)


@dataclass(frozen=True)
class Stats:
    """Per period: count, sum of durations as whole seconds and µs beyond them, ⌈n/2⌉-th and
    ⌈9n/10⌉-th smallest (ms; 0 when empty)."""

    count: Ints
    seconds: Ints
    micros: Ints
    median_ms: Ints
    p90_ms: Ints


def positions(arrays: Arrays, quarters: Ints) -> Ints:
    """Where each quarter hour's items start in the quarter level."""
    found: Ints = np.searchsorted(arrays.levels[0], quarters << MS_BITS, side="left")
    return found


def counts(arrays: Arrays, lo_q: Ints, hi_q: Ints) -> Ints:
    found: Ints = positions(arrays, hi_q) - positions(arrays, lo_q)
    return found


def stats(arrays: Arrays, lo_q: Ints, hi_q: Ints) -> Stats:
    """Everything a period needs of a duration column, for each [lo_q[i], hi_q[i])."""
    assert arrays.seconds is not None and arrays.micros is not None
    start, stop = positions(arrays, lo_q), positions(arrays, hi_q)
    n = stop - start
    ranks = np.stack(((n + 1) // 2, (9 * n + 9) // 10), axis=1)  # 1-based; 0 when empty
    chosen = np.zeros((len(n), 2), np.int64)
    if len(n) == 1:  # one period (a breakdown row, the totals): no vectorising overhead
        pending = np.zeros(1, np.bool_)
        if n[0]:
            chosen[0] = _one(arrays, int(lo_q[0]), int(hi_q[0]), int(start[0]), int(stop[0]), ranks[0])
    else:
        pending = n > 0
        for level in range(len(arrays.levels) - 1, -1, -1):  # one whole unit: its segment is sorted
            unit = UNIT_QUARTERS[level]
            one = pending & (hi_q - lo_q == unit) & (lo_q % unit == 0)
            if np.any(one):
                keys = arrays.levels[level]
                at = np.searchsorted(keys, (lo_q[one] // unit) << MS_BITS)
                chosen[one] = keys[at[:, None] + ranks[one] - 1] & MS_MASK
                pending &= ~one
    searched = []
    for i in np.flatnonzero(pending).tolist():
        if n[i] <= _GATHER_AT_MOST:  # few items: sort out the slice itself
            chosen[i] = np.partition(arrays.levels[0][start[i] : stop[i]] & MS_MASK, ranks[i] - 1)[ranks[i] - 1]
        else:
            searched.append(i)
    if searched:
        chosen[searched] = _search(arrays, [decompose(int(lo_q[i]), int(hi_q[i])) for i in searched], ranks[searched])
    seconds, micros = arrays.seconds[stop] - arrays.seconds[start], arrays.micros[stop] - arrays.micros[start]
    return Stats(n, seconds, micros, chosen[:, 0], chosen[:, 1])


def count_one(arrays: Arrays, lo_q: int, hi_q: int) -> int:
    """`counts` of one period, with Python ints (a breakdown row: no vectorising overhead)."""
    start, stop = arrays.levels[0].searchsorted((lo_q << MS_BITS, hi_q << MS_BITS)).tolist()
    return int(stop - start)


def stats_one(arrays: Arrays, lo_q: int, hi_q: int) -> tuple[int, int, int, int]:
    """`stats` of one period, with Python ints: (count, sum µs, median ms, p90 ms)."""
    assert arrays.seconds is not None and arrays.micros is not None
    start, stop = arrays.levels[0].searchsorted((lo_q << MS_BITS, hi_q << MS_BITS)).tolist()
    n = stop - start
    if not n:
        return 0, 0, 0, 0
    seconds, micros = arrays.seconds, arrays.micros
    sum_us = (int(seconds[stop]) - int(seconds[start])) * SECOND_US + int(micros[stop]) - int(micros[start])
    median_ms, p90_ms = _one(arrays, lo_q, hi_q, start, stop, np.array(((n + 1) // 2, (9 * n + 9) // 10))).tolist()
    return n, sum_us, median_ms, p90_ms


def _one(arrays: Arrays, lo_q: int, hi_q: int, start: int, stop: int, ranks: Ints) -> Ints:
    """The two ranks of one non-empty period."""
    for level, unit in enumerate(UNIT_QUARTERS):
        if hi_q - lo_q == unit and lo_q % unit == 0:  # one whole unit: its segment is sorted
            keys = arrays.levels[level]
            at = int(np.searchsorted(keys, (lo_q // unit) << MS_BITS))
            found: Ints = keys[at + ranks - 1] & MS_MASK
            return found
    if stop - start <= _GATHER_AT_MOST:
        picked: Ints = np.partition(arrays.levels[0][start:stop] & MS_MASK, ranks - 1)[ranks - 1]
        return picked
    searched: Ints = _search(arrays, [decompose(lo_q, hi_q)], ranks[None, :])[0]
    return searched


def _search(arrays: Arrays, periods: list[tuple[Run, ...]], ranks: Ints) -> Ints:
    """The ranks[p][j]-th smallest (1-based) of each period's items, by binary search on the value."""
    queries = ranks.reshape(-1)  # query 2p + j: period p, rank j
    lo = np.full(len(queries), MS_MASK, np.int64)
    hi = np.zeros(len(queries), np.int64)
    needles = []  # per level: (keys, needle bases, segment starts, signs, query of each needle)
    for level, keys in enumerate(arrays.levels):
        units = [
            (p, u, sign)
            for p, runs in enumerate(periods)
            for lv, a, b, sign in runs
            if lv == level
            for u in range(a, b)
        ]
        if not units:
            continue
        owner, unit, sign = (np.array(column, np.int64) for column in zip(*units, strict=True))
        base = unit << MS_BITS
        start = np.searchsorted(keys, base, side="left")
        end = np.searchsorted(keys, base + (1 << MS_BITS), side="left")
        # The answer lies between the smallest and the largest item of the period's added units.
        filled = (sign > 0) & (end > start)
        for j in (0, 1):
            np.minimum.at(lo, 2 * owner[filled] + j, keys[start[filled]] & MS_MASK)
            np.maximum.at(hi, 2 * owner[filled] + j, keys[end[filled] - 1] & MS_MASK)
        both = np.concatenate((2 * owner, 2 * owner + 1))
        needles.append((keys, np.tile(base, 2), np.tile(start, 2), np.tile(sign, 2), both))
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        at_most = np.zeros(len(queries), np.float64)  # counts well below 2**53: exact
        for keys, base, start, sign, query in needles:
            found = np.searchsorted(keys, base | mid[query], side="right") - start
            at_most += np.bincount(query, weights=found * sign, minlength=len(queries))
        enough = at_most >= queries
        hi = np.where(enough, mid, hi)
        lo = np.where(enough, lo, mid + 1)
    return lo.reshape(-1, 2)
