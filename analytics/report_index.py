"""Every report item of one account, in sorted columns per (kind, scope) (SPEC §4's raw material).

Kinds: `created` (every existing conversation at created_at), `created_resolved` (those whose
status is now resolved), `reply` (first responses, with their durations), `handle` (resolutions,
with handle times), `rated` and `rated_good` (current ratings, those ≥ 4). Scopes are
(dimension, value): `("all", "")` the account, `("channel", c)`, and `("agent", a)` — the first
responder of a reply, the resolver of a resolution and of the rating of a conversation resolved
now (SPEC §4). A new dimension (a team, a label: SPEC §5) is one more scope per item.

An item enters its columns only once the watermark (the latest "now" seen, as in the window)
passes its time: until then it waits in `pending`, by instant. So after `advance(T)` the
columns hold exactly the items with time < T, and the quarter hour holding T counts whole: a
period ending at T (P = [since, T)) is exact, and one reaching past T adds the few items at
exactly T from `pending` to its snapshot.
The fold's cost is O(scopes) per changed item (`Column.change`); merging happens in reports.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection
from typing import Any

import numpy as np

from analytics.contribution import Contribution, FirstReply, Rating, Resolution
from analytics.report_column import Column, Delta, Frozen
from analytics.time import SECOND_US

Scope = tuple[str, str]
ColumnKey = tuple[str, str, str]  # (kind, dimension, value)
Entry = tuple[ColumnKey, int, int]  # (column, time µs, duration µs — 0 for kinds without one)

ALL: Scope = ("all", "")
DURATION_KINDS = frozenset({"reply", "handle"})
_AFTER_ALL_US = 2**63


def _created(part: Contribution, channel: Scope) -> list[Entry]:
    created = part.created
    found: list[Entry] = [(("created", *channel), created.ts_us, 0)]
    if created.resolved_now:
        found.append((("created_resolved", *channel), created.ts_us, 0))
    return found


def _resolver(resolution: Resolution | None) -> str | None:
    return None if resolution is None else resolution.resolver


def reply_entries(reply: FirstReply | None, channel: Scope) -> list[Entry]:
    if reply is None:
        return []
    return [(("reply", *scope), reply.ts_us, reply.duration_us) for scope in (channel, ("agent", reply.responder))]


def handle_entries(resolution: Resolution | None, channel: Scope) -> list[Entry]:
    if resolution is None:
        return []
    scopes = (channel,) if resolution.resolver is None else (channel, ("agent", resolution.resolver))
    return [(("handle", *scope), resolution.ts_us, resolution.handle_us) for scope in scopes]


def rating_entries(rating: Rating | None, resolver: str | None, channel: Scope) -> list[Entry]:
    """A rating counts in its channel, and for the resolver of a conversation resolved now (SPEC §4)."""
    if rating is None:
        return []
    kinds = ("rated", "rated_good") if rating.good else ("rated",)
    scopes = (channel,) if resolver is None else (channel, ("agent", resolver))
    return [((kind, *scope), rating.ts_us, 0) for scope in scopes for kind in kinds]


def entries(part: Contribution) -> list[Entry]:
    """The report items a conversation's contribution makes, each in every scope it counts in but
    the account's: a channel's column passes its changes on to the account's (every item has a channel)."""
    channel = ("channel", part.created.channel)
    return [
        *_created(part, channel),
        *reply_entries(part.first_reply, channel),
        *handle_entries(part.resolution, channel),
        *rating_entries(part.rating, _resolver(part.resolution), channel),
    ]


class ReportIndex:
    """The columns of one account's report items, fed contribution changes."""

    def __init__(self) -> None:
        self._columns: dict[ColumnKey, Column] = {}
        self._watermark_us = -_AFTER_ALL_US
        self._pending: dict[
            int, list[tuple[ColumnKey, int, int]]
        ] = {}  # time µs ≥ watermark -> (column, duration, sign)
        self._due: list[int] = []  # the pending instants, a heap (cheaper than a sorted dict in the fold)
        self._next_due_us = _AFTER_ALL_US

    def change(self, before: Contribution | None, after: Contribution | None) -> None:
        """Replace the items of `before` by those of `after`; only the ones that differ move."""
        self.move([] if before is None else entries(before), [] if after is None else entries(after))

    def move_resolution(
        self, channel: Scope, created_us: int, was: Resolution | None, now: Resolution | None, rating: Rating | None
    ) -> None:
        """A conversation's resolution changed (nothing else): its handle time, whether its creation
        counts as resolved now, and for whom its current `rating` counts."""
        self.move(handle_entries(was, channel), handle_entries(now, channel))
        resolved_by = (now is not None) - (was is not None)
        if resolved_by:
            self._place((("created_resolved", *channel), created_us, 0), resolved_by)
        if rating is not None and _resolver(was) != _resolver(now):
            self.move(rating_entries(rating, _resolver(was), channel), rating_entries(rating, _resolver(now), channel))

    def move(self, was: list[Entry], now: list[Entry]) -> None:
        """Retract the entries of `was` and add those of `now`, but those in both."""
        for entry in was:
            if not now or entry not in now:
                self._place(entry, -1)
        for entry in now:
            if not was or entry not in was:
                self._place(entry, 1)

    def advance(self, now_us: int) -> None:
        """Move the watermark to `now_us` (never back): pending items up to it join their columns."""
        if now_us <= self._watermark_us:
            return
        self._watermark_us = now_us
        if self._next_due_us >= now_us:
            return
        while self._due and self._due[0] < now_us:
            ts_us = heapq.heappop(self._due)
            waiting = self._pending.pop(ts_us)
            for key, duration_us, sign in waiting:
                self._column(key).change(ts_us, duration_us, sign)
        self._next_due_us = self._due[0] if self._due else _AFTER_ALL_US

    def snapshot(self, dimensions: Collection[str], with_now: bool) -> dict[ColumnKey, Frozen]:
        """The columns of every value of `dimensions` ("all" for the account's own), frozen: their
        items before the watermark, and `with_now` those at exactly the watermark too."""
        at_now: dict[ColumnKey, Delta] = {}
        for key, duration_us, sign in self._pending.get(self._watermark_us, []) if with_now else []:
            for scope in (key, (key[0], *ALL)) if key[1] == "channel" else (key,):
                if scope[1] in dimensions:
                    at_now.setdefault(scope, []).append((self._watermark_us, duration_us, sign))
        for key in at_now:
            self._column(key)
        return {
            key: column.snapshot(at_now.get(key)) for key, column in list(self._columns.items()) if key[1] in dimensions
        }

    def placed(self) -> dict[str, dict[Any, Any]]:
        """What the index holds, net: per non-empty column its (key, duration µs) in order, and
        per pending instant its net entries — so that tests can compare an index with a rebuild."""
        columns = {}
        for key, frozen in self.snapshot({key[1] for key in self._columns}, with_now=False).items():
            arrays = frozen.arrays()
            if len(arrays.levels[0]):
                durations = [0] * len(arrays.levels[0])
                if arrays.seconds is not None and arrays.micros is not None:
                    durations = (np.diff(arrays.seconds) * SECOND_US + np.diff(arrays.micros)).tolist()
                columns[key] = sorted(zip(arrays.levels[0].tolist(), durations, strict=True))
        pending = {}
        for ts_us, waiting in self._pending.items():
            net: Counter[tuple[ColumnKey, int]] = Counter()
            for key, duration_us, sign in waiting:
                net[key, duration_us] += sign
            if any(net.values()):
                pending[ts_us] = {entry: n for entry, n in net.items() if n}
        return {"columns": columns, "pending": pending}

    def empty(self, kind: str) -> Frozen:
        return Column(kind in DURATION_KINDS).snapshot()

    def _column(self, key: ColumnKey) -> Column:
        column = self._columns.get(key)
        if column is None:
            parent = self._column((key[0], *ALL)) if key[1] == "channel" else None
            column = self._columns[key] = Column(key[0] in DURATION_KINDS, parent)
        return column

    def _place(self, entry: Entry, sign: int) -> None:
        key, ts_us, duration_us = entry
        if ts_us < self._watermark_us:
            column = self._columns.get(key)
            (self._column(key) if column is None else column).change(ts_us, duration_us, sign)
            return
        waiting = self._pending.get(ts_us)
        if waiting is None:
            waiting = self._pending[ts_us] = []
            heapq.heappush(self._due, ts_us)
            self._next_due_us = min(self._next_due_us, ts_us)
        waiting.append((key, duration_us, sign))
