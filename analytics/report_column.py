"""One sorted column of report items — one kind of item (creations, first responses, …) in one
scope (the account, a channel, an agent) — kept so that any run of whole quarter hours is a
contiguous slice (SPEC §4 is exact on the quarter-hour grid).

An item is (time, duration). Its key is `unit << 40 | duration_ms` for the unit (quarter hour,
hour or day since the epoch) holding its time: sorted keys put each unit's items together,
sorted by duration, so counts are slice lengths and each unit is a sorted segment for the k-th
smallest search (`analytics.order_stats`). Durations are kept to the ms there, which changes no
answer: figures are whole seconds rounded half away from zero, x.5 s is a whole ms, and
truncating is monotone. Sums must be exact in µs, so the quarter level also keeps prefix sums of
whole seconds and of the µs beyond them (each far from overflowing int64).

The fold only counts changes into a small `delta` (O(1) per item); `snapshot` freezes it, and
`Frozen.arrays` merges it into a new base (never mutating the old one, which older snapshots
may still read) — on whichever thread computes the report — and hands the result back.
"""

from __future__ import annotations

import itertools
import threading
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from analytics.time import HOUR_US, SECOND_US

QUARTER_US = HOUR_US // 4
MS_BITS = 40
MS_MASK = (1 << MS_BITS) - 1
UNIT_QUARTERS = (1, 4, 96)  # the levels: quarter hour, hour, UTC day
_QUARTER_RANGE = (-(2**22), 2**22 - 1)  # ±119 years around 1970; beyond, times clamp (never in a report)
_MERGE_AT = 4096  # delta entries (plus an eighth of the base) that make the fold merge on its own

Ints = npt.NDArray[np.int64]
Delta = list[tuple[int, int, int]]  # changes in order: (time µs, duration µs, +1 added / -1 removed)


class Arrays(NamedTuple):
    """A merged column: sorted keys per level, and (durations only) prefix sums at the quarter level."""

    levels: tuple[Ints, ...]  # keys at the quarter, hour and day level; only the quarter one without durations
    seconds: Ints | None  # seconds[i] = sum of the whole seconds of the first i items, in key order
    micros: Ints | None  # the same for the µs beyond whole seconds


def _empty(durations: bool) -> Arrays:
    none = np.zeros(0, np.int64)
    if not durations:
        return Arrays((none,), None, None)
    return Arrays((none, none, none), np.zeros(1, np.int64), np.zeros(1, np.int64))


def quarter_keys(ts_us: Ints, duration_us: Ints) -> tuple[Ints, Ints]:
    """(quarter index, duration ms), clamped into the key's fields."""
    quarters = np.clip(ts_us // QUARTER_US, *_QUARTER_RANGE)
    return quarters, np.clip(duration_us // 1000, 0, MS_MASK)


def _net(deltas: list[Delta]) -> tuple[Ints, Ints, Ints, Ints]:
    """(times, durations) of the items `deltas` add, net, and of those they remove, each as often as it does."""
    changes = np.array(list(itertools.chain.from_iterable(deltas)), np.int64).reshape(-1, 3)
    changes = changes[np.lexsort((changes[:, 1], changes[:, 0]))]
    ts, durations = changes[:, 0], changes[:, 1]
    first = np.flatnonzero(np.concatenate(([True], (ts[1:] != ts[:-1]) | (durations[1:] != durations[:-1]))))
    net = np.add.reduceat(changes[:, 2], first) if len(first) else first
    added, removed = net > 0, net < 0
    add_ts, add_dur = (np.repeat(column[first][added], net[added]) for column in (ts, durations))
    rem_ts, rem_dur = (np.repeat(column[first][removed], -net[removed]) for column in (ts, durations))
    return add_ts, add_dur, rem_ts, rem_dur


def _occurrence(sorted_keys: Ints) -> Ints:
    """For each entry of a sorted array, how many equal ones come before it."""
    return np.arange(len(sorted_keys)) - np.searchsorted(sorted_keys, sorted_keys, side="left")


def _remove_keys(keys: Ints, removed: Ints) -> Ints:
    removed = np.sort(removed)
    return np.delete(keys, np.searchsorted(keys, removed, side="left") + _occurrence(removed))


def _insert_keys(keys: Ints, added: Ints) -> Ints:
    added = np.sort(added)
    return np.insert(keys, np.searchsorted(keys, added, side="right"), added)


def _quarter_positions(keys: Ints, removed: Ints, values: Ints, removed_values: Ints) -> Ints:
    """Where each removed (key, duration µs) sits: equal keys (same quarter and ms) are told apart by µs."""
    left = np.searchsorted(keys, removed, side="left")
    right = np.searchsorted(keys, removed, side="right")
    positions = left.copy()
    _, key_counts = np.unique(removed, return_counts=True)
    if np.all(right - left == 1) and len(key_counts) == len(removed):
        return positions
    taken: set[int] = set()
    for i in range(len(removed)):
        lo, hi = int(left[i]), int(right[i])
        if hi - lo == 1 and lo not in taken:
            positions[i] = lo
        else:
            matches = np.flatnonzero(values[lo:hi] == removed_values[i]) + lo
            positions[i] = next(int(p) for p in matches if int(p) not in taken)
        taken.add(int(positions[i]))
    return positions


def merge(base: Arrays, deltas: list[Delta]) -> Arrays:
    """`base` with the net changes of `deltas` applied: a new Arrays (base is left as it was)."""
    add_ts, add_dur, rem_ts, rem_dur = _net(deltas)
    add_q, add_ms = quarter_keys(add_ts, add_dur)
    rem_q, rem_ms = quarter_keys(rem_ts, rem_dur)
    if base.seconds is None or base.micros is None:
        keys = _insert_keys(_remove_keys(base.levels[0], rem_q << MS_BITS), add_q << MS_BITS)
        return Arrays((keys,), None, None)
    levels = []
    for unit, keys in zip(UNIT_QUARTERS[1:], base.levels[1:], strict=True):
        keys = _remove_keys(keys, (rem_q // unit) << MS_BITS | rem_ms)
        levels.append(_insert_keys(keys, (add_q // unit) << MS_BITS | add_ms))
    # The quarter level carries each item's exact µs (as the prefix sums' steps) along with its key.
    keys, values = base.levels[0], np.diff(base.seconds) * SECOND_US + np.diff(base.micros)
    rem_keys = rem_q << MS_BITS | rem_ms
    gone = _quarter_positions(keys, rem_keys, values, rem_dur)
    keys, values = np.delete(keys, gone), np.delete(values, gone)
    order = np.argsort(add_q << MS_BITS | add_ms, kind="stable")
    add_keys = (add_q << MS_BITS | add_ms)[order]
    at = np.searchsorted(keys, add_keys, side="right")
    keys, values = np.insert(keys, at, add_keys), np.insert(values, at, add_dur[order])
    seconds = np.concatenate(([0], np.cumsum(values // SECOND_US)))
    micros = np.concatenate(([0], np.cumsum(values % SECOND_US)))
    return Arrays((keys, *levels), seconds, micros)


class Column:
    """The items of one (kind, scope): a merged base and the changes since (see the module doc)."""

    def __init__(self, durations: bool, parent: Column | None = None) -> None:
        self.base = _empty(durations)
        self._parent = parent  # a column that holds this one's items too (the account's, for a channel's)
        self._frozen: tuple[Delta, ...] = ()  # deltas handed to snapshots, not merged into base yet
        self._delta: Delta = []
        self._merge_at = _MERGE_AT
        self._lock = threading.Lock()  # between the fold's thread and a report's merge handing back

    def change(self, ts_us: int, duration_us: int, sign: int) -> None:
        change = (ts_us, duration_us, sign)
        for column in (self,) if self._parent is None else (self, self._parent):
            delta = column._delta
            delta.append(change)
            if len(delta) > column._merge_at:
                column.snapshot().arrays()  # bounds the delta's memory when no report comes to merge it

    def snapshot(self, extra: Delta | None = None) -> Frozen:
        """What the column holds now (and `extra` on top, for this snapshot only), immutable: safe
        to read on another thread while the fold goes on."""
        with self._lock:
            if self._delta:
                self._frozen, self._delta = (*self._frozen, self._delta), []
            return Frozen(self, self.base, self._frozen, extra)

    def adopt(self, base: Arrays, frozen: tuple[Delta, ...], merged: Arrays) -> None:
        """Take `merged` (= `base` + `frozen`) as the base, if no other merge came first."""
        with self._lock:
            done = len(frozen)
            ahead = self._frozen[:done]
            if self.base is base and len(ahead) == done and all(a is b for a, b in zip(ahead, frozen, strict=True)):
                self.base, self._frozen = merged, self._frozen[done:]
                self._merge_at = _MERGE_AT + len(merged.levels[0]) // 8


class Frozen:
    """A column as of one snapshot."""

    def __init__(self, column: Column, base: Arrays, frozen: tuple[Delta, ...], extra: Delta | None) -> None:
        self._column, self._base, self._frozen, self._extra = column, base, frozen, extra
        self._arrays: Arrays | None = None if frozen or extra else base

    def arrays(self) -> Arrays:
        if self._arrays is None:
            self._arrays = merge(self._base, [*self._frozen, self._extra or []])
            if self._extra is None:  # the column's own content: the next snapshots start from it
                self._column.adopt(self._base, self._frozen, self._arrays)
        return self._arrays
