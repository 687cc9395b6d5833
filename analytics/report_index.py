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

from collections import Counter
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
from sortedcontainers import SortedDict

from analytics.contribution import Contribution
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


def _replies(part: Contribution, channel: Scope) -> list[Entry]:
    reply = part.first_reply
    if reply is None:
        return []
    return [(("reply", *scope), reply.ts_us, reply.duration_us) for scope in (channel, ("agent", reply.responder))]


def _resolver_scopes(part: Contribution, channel: Scope) -> tuple[Scope, ...]:
    resolver = None if part.resolution is None else part.resolution.resolver
    return (channel,) if resolver is None else (channel, ("agent", resolver))


def _handles(part: Contribution, channel: Scope) -> list[Entry]:
    resolution = part.resolution
    if resolution is None:
        return []
    return [(("handle", *s), resolution.ts_us, resolution.handle_us) for s in _resolver_scopes(part, channel)]


def _ratings(part: Contribution, channel: Scope) -> list[Entry]:
    rating = part.rating
    if rating is None:
        return []
    kinds = ("rated", "rated_good") if rating.good else ("rated",)
    return [((kind, *s), rating.ts_us, 0) for s in _resolver_scopes(part, channel) for kind in kinds]


_GROUPS = (_created, _replies, _handles, _ratings)


def entries(part: Contribution) -> list[Entry]:
    """The report items a conversation's contribution makes, each in every scope it counts in but
    the account's: a channel's column passes its changes on to the account's (every item has a channel)."""
    channel = ("channel", part.created.channel)
    return [entry for group in _GROUPS for entry in group(part, channel)]


def _changed_groups(before: Contribution, after: Contribution) -> list[Callable[[Contribution, Scope], list[Entry]]]:
    """The groups of items whose inputs differ, for contributions of the same channel."""
    resolvers = (before.resolution and before.resolution.resolver) != (after.resolution and after.resolution.resolver)
    changed = (
        before.created != after.created,
        before.first_reply != after.first_reply,
        before.resolution != after.resolution,
        before.rating != after.rating or resolvers,
    )
    return [group for group, differs in zip(_GROUPS, changed, strict=True) if differs]


class ReportIndex:
    """The columns of one account's report items, fed contribution changes."""

    def __init__(self) -> None:
        self._columns: dict[ColumnKey, Column] = {}
        self._watermark_us = -_AFTER_ALL_US
        self._pending: SortedDict = SortedDict()  # time µs > watermark -> [(column, duration, sign)]
        self._next_due_us = _AFTER_ALL_US

    def change(self, before: Contribution | None, after: Contribution | None) -> None:
        """Replace the items of `before` by those of `after`; only the ones that differ move (most
        changes touch one group: a reply, a resolution, a rating)."""
        if before is None or after is None or before.created.channel != after.created.channel:
            self._move([] if before is None else entries(before), [] if after is None else entries(after))
            return
        channel = ("channel", after.created.channel)
        for group in _changed_groups(before, after):
            self._move(group(before, channel), group(after, channel))

    def _move(self, was: list[Entry], now: list[Entry]) -> None:
        for entry in was:
            if entry not in now:
                self._place(entry, -1)
        for entry in now:
            if entry not in was:
                self._place(entry, 1)

    def advance(self, now_us: int) -> None:
        """Move the watermark to `now_us` (never back): pending items up to it join their columns."""
        if now_us <= self._watermark_us:
            return
        self._watermark_us = now_us
        if self._next_due_us >= now_us:
            return
        while self._pending and self._pending.peekitem(0)[0] < now_us:
            ts_us, waiting = self._pending.popitem(0)
            for key, duration_us, sign in waiting:
                self._column(key).change(ts_us, duration_us, sign)
        self._next_due_us = self._pending.peekitem(0)[0] if self._pending else _AFTER_ALL_US

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
            self._next_due_us = min(self._next_due_us, ts_us)
        waiting.append((key, duration_us, sign))
