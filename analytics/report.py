"""SPEC §4 reports of one account: any period, series, the previous period, breakdowns.

Built from the account's `ReportIndex` (sorted columns of report items per kind and scope) and
its agents' facts. Each item — a creation, a first response, a resolution, a rating — counts in
a period Q when its own time is in Q and not after T. Periods are read on the quarter-hour grid
(`analytics.order_stats`): exact when each edge is T or on a quarter hour, as SPEC §4 asks. The
cost is O(periods × units of each period × log), independent of the number of conversations.

`prepare` runs on the event loop: it freezes the columns the query reads (O(columns)) and returns
a function that computes the report from that snapshot, on any thread, while the fold goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
import numpy as np

from analytics.agent_time import Timeline, was_active
from analytics.facts import AgentFacts
from analytics.figures import AgentRow, ChannelRow, PeriodFigures, PreviousReport, Report, SeriesPeriod
from analytics.order_stats import counts
from analytics.periods import Unit, format_instant, series_bounds
from analytics.report_column import QUARTER_US, Frozen, Ints
from analytics.report_figures import KINDS, Periods, has_items, row_figures
from analytics.report_index import ALL, ColumnKey, ReportIndex, Scope
from analytics.rounding import apportion_tenths_rows, round_ratio
from analytics.time import SECOND_US

Breakdown = Literal["channel", "agent"]
_UNLIMITED = 1 << 30


@dataclass(frozen=True)
class ReportQuery:
    """A checked report request (see `api.report_params`). Instants are µs since the epoch."""

    since_us: int
    until_us: int
    now_us: int  # T
    tz: ZoneInfo
    timezone: str
    series_bounds: tuple[int, ...] | None = None  # from `analytics.periods.series_bounds`
    group_by: Unit | None = None
    compare: bool = False
    breakdown: Breakdown | None = None


def _seconds(duration_us: int) -> int:
    return round_ratio(duration_us, SECOND_US)


class _Snapshot:
    """The frozen columns a report reads, and how to read periods from them."""

    def __init__(self, columns: dict[ColumnKey, Frozen], index: ReportIndex, now_us: int) -> None:
        self._columns, self._index, self._now_us = columns, index, now_us
        self._empty: dict[str, Frozen] = {}

    def column(self, kind: str, scope: Scope) -> Frozen:
        found = self._columns.get((kind, *scope))
        if found is None:
            found = self._empty.get(kind)
            if found is None:
                found = self._empty[kind] = self._index.empty(kind)
        return found

    def values(self, dimension: str) -> list[str]:
        return sorted({value for _, dim, value in self._columns if dim == dimension})

    def quarters(self, bounds_us: list[int]) -> tuple[Ints, Ints]:
        """Each period [bounds[i], bounds[i+1]) as quarter hours, cut at T. T's quarter counts whole:
        the columns hold no item after T (nor at T, for a period that ends at T)."""
        now_us, ends = self._now_us, np.array(bounds_us[1:], np.int64)
        lo = np.array(bounds_us[:-1], np.int64) // QUARTER_US
        hi = np.where(ends >= now_us, -(-(now_us + (ends > now_us)) // QUARTER_US), ends // QUARTER_US)
        return lo, np.maximum(lo, hi)

    def periods(self, scope: Scope, lo_q: Ints, hi_q: Ints) -> Periods:
        return Periods(lambda kind: self.column(kind, scope), lo_q, hi_q, KINDS)

    def row(self, scope: Scope, lo_q: Ints, hi_q: Ints, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
        return row_figures(lambda kind: self.column(kind, scope), int(lo_q[0]), int(hi_q[0]), kinds)

    def channel_mixes(self, lo_q: Ints, hi_q: Ints) -> list[dict[str, float]]:
        channels = self.values("channel")
        per_channel = [counts(self.column("created", ("channel", c)).arrays(), lo_q, hi_q) for c in channels]
        grid = np.stack(per_channel, axis=1) if channels else np.zeros((len(lo_q), 0), np.int64)
        return apportion_tenths_rows(grid, channels)


def _periods(
    snap: _Snapshot, bounds_us: tuple[int, ...] | None, since_us: int, until_us: int, tz: ZoneInfo
) -> tuple[list[msgspec.Struct], PeriodFigures]:
    """The SeriesPeriod of each [bounds[i], bounds[i+1]) (none without bounds), and the totals of P."""
    bounds = list(bounds_us or ())
    lo, hi = snap.quarters([*bounds, since_us, until_us])
    if bounds:  # leave out the pair (until, since) between the series and the totals
        lo, hi = np.delete(lo, len(bounds) - 1), np.delete(hi, len(bounds) - 1)
    figures, mixes = snap.periods(ALL, lo, hi), snap.channel_mixes(lo, hi)
    total = len(lo) - 1
    starts = [format_instant(b, tz) for b in bounds]
    series = [
        SeriesPeriod(start=starts[g], end=starts[g + 1], channel_mix=mixes[g], **figures.figures(g))
        for g in range(total)
    ]
    return series, PeriodFigures(channel_mix=mixes[total], **figures.figures(total))


def channel_rows(snap: _Snapshot, since_us: int, until_us: int) -> list[msgspec.Struct]:
    """A ChannelRow for each channel with any item in [since, until), most conversations first."""
    lo, hi = snap.quarters([since_us, until_us])
    found = []
    for channel in snap.values("channel"):
        figures = snap.row(("channel", channel), lo, hi)
        if has_items(figures):
            found.append({"channel": channel, **figures})
    found.sort(key=lambda row: (-row["total_conversations"], row["channel"]))
    return [ChannelRow(**row) for row in found]


def agent_rows(
    snap: _Snapshot,
    agents: Mapping[str, AgentFacts],
    timelines: dict[str, Timeline],
    since_us: int,
    until_us: int,
    now_us: int,
) -> list[AgentRow]:
    """Team performance: each agent with a resolution, first response or attributed rating in P, or active in it."""
    lo, hi = snap.quarters([since_us, until_us])
    status_end_us = min(until_us, now_us)
    found = []
    for agent_id in sorted({*snap.values("agent"), *agents}):
        figures = snap.row(("agent", agent_id), lo, hi, ("rated", "rated_good"))
        facts = agents.get(agent_id)
        history = () if facts is None else facts.history
        timeline = timelines.get(agent_id)
        if timeline is None or timeline.history is not history:  # built once per history, on first use
            timeline = timelines[agent_id] = Timeline(history)
        spent = timeline.spent_us(since_us, status_end_us)
        if not has_items(figures) and not was_active(spent, history, since_us, status_end_us):
            continue
        del figures["total_conversations"], figures["resolution_rate"]
        found.append(
            AgentRow(
                agent_id=agent_id,
                name=agent_id if facts is None or facts.name is None else facts.name[2],
                time_live=_seconds(spent.get("live", 0)),
                time_away=_seconds(spent.get("away", 0)),
                time_offline=_seconds(spent.get("offline", 0)),
                **figures,
            )
        )
    return sorted(found, key=lambda row: (-row.resolved, row.name, row.agent_id))


def prepare(
    index: ReportIndex, agents: Mapping[str, AgentFacts], timelines: dict[str, Timeline], query: ReportQuery
) -> Callable[[], Report]:
    """Freeze what `query` reads (on the loop, O(columns)); the returned function builds the report.

    `timelines` caches each agent's `Timeline` across reports (the function may add to it)."""
    dimensions = {"all", "channel", *([query.breakdown] if query.breakdown else [])}
    snap = _Snapshot(index.snapshot(dimensions, query.until_us > query.now_us), index, query.now_us)
    agents = dict(agents) if query.breakdown == "agent" else {}
    return lambda: build_report(snap, agents, timelines, query)


def build_report(
    snap: _Snapshot, agents: Mapping[str, AgentFacts], timelines: dict[str, Timeline], query: ReportQuery
) -> Report:
    """The whole SPEC §4 answer for `query`."""
    tz, now_us = query.tz, query.now_us

    def period(since_us: int, until_us: int, bounds: tuple[int, ...] | None) -> dict[str, Any]:
        parts: dict[str, Any] = {"since": format_instant(since_us, tz), "until": format_instant(until_us, tz)}
        series, parts["totals"] = _periods(snap, bounds, since_us, until_us, tz)
        if bounds is not None:
            parts["series"] = series
        if query.breakdown == "channel":
            parts["breakdown"] = channel_rows(snap, since_us, until_us)
        elif query.breakdown == "agent":
            parts["breakdown"] = agent_rows(snap, agents, timelines, since_us, until_us, now_us)
        return parts

    current = period(query.since_us, query.until_us, query.series_bounds)
    previous = None
    if query.compare:
        length_us = query.until_us - query.since_us
        start_us = query.since_us - length_us
        bounds = None
        if query.group_by is not None:
            bounds = tuple(series_bounds(start_us, query.since_us, query.group_by, tz, _UNLIMITED))
        previous = PreviousReport(**period(start_us, query.since_us, bounds))
    return Report(as_of=format_instant(now_us, tz), timezone=query.timezone, previous=previous, **current)
