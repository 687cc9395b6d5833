"""SPEC §4 reports of one account: any period, series, the previous period, breakdowns.

Built from the account's `ConversationRows` (one row per existing conversation) and its agents'
facts. Each item — a creation, a first response, a resolution, a rating — counts in a period Q
when its own time is in Q and not after T, so every figure is exact at any edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
import numpy as np

from analytics.agent_time import status_time_us, was_active
from analytics.facts import AgentFacts
from analytics.figures import AgentRow, ChannelRow, PeriodFigures, PreviousReport, Report, SeriesPeriod
from analytics.filters import NO_FILTERS, Filters
from analytics.grouped import DurationStats, Ints, counts, duration_stats, period_of, select
from analytics.periods import Unit, format_instant, series_bounds
from analytics.report_rows import NOBODY, ConversationRows
from analytics.rounding import apportion_tenths, percent_tenths, round_ratio
from analytics.time import SECOND_US

Breakdown = Literal["channel", "agent", "team", "inbox", "label"]
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
    filters: Filters = NO_FILTERS  # SPEC §5


def _seconds(duration_us: int | None) -> int:
    return 0 if duration_us is None else round_ratio(duration_us, SECOND_US)


def _mean_seconds(sum_us: int, count: int) -> int:
    return round_ratio(sum_us, count * SECOND_US) if count else 0


def _happiness(good: int, ratings: int) -> int | None:
    return round_ratio(100 * good, ratings) if ratings else None


class _Grouped:
    """Every item kind of the selected rows, counted per group."""

    def __init__(self, rows: ConversationRows, n: int, groups: dict[str, tuple[Ints, Ints]]) -> None:
        # groups[kind] = (row indices, group of each); kinds: created, reply, resolved, rated
        created, reply, resolved, rated = (groups[kind] for kind in ("created", "reply", "resolved", "rated"))
        self.created = counts(created[1], n)
        self.created_resolved = counts(created[1], n, rows.column("resolved_now")[created[0]])
        self.replies: DurationStats = duration_stats(reply[1], rows.column("reply_duration_us")[reply[0]], n)
        self.handles: DurationStats = duration_stats(resolved[1], rows.column("handle_us")[resolved[0]], n)
        self.ratings = counts(rated[1], n)
        self.good = counts(rated[1], n, rows.column("good")[rated[0]])
        self._rows, self._created = rows, created

    def channel_mix(self, n: int) -> list[dict[str, float]]:
        channels = self._rows.channels.names
        codes = self._rows.column("channel")[self._created[0]]
        grid = np.bincount(self._created[1] * len(channels) + codes, minlength=n * len(channels))
        grid = grid.reshape(n, len(channels)) if channels else np.zeros((n, 0), np.int64)
        return [apportion_tenths({c: int(k) for c, k in zip(channels, line, strict=True) if k}) for line in grid]

    def figures(self, g: int) -> dict[str, Any]:
        """The period figures of group g, but the channel mix."""
        h, r = self.handles, self.replies
        return {
            "total_conversations": self.created[g],
            "resolution_rate": percent_tenths(self.created_resolved[g], self.created[g]),
            "resolved": h.count[g],
            "median_handle_time": _seconds(h.median_us[g]),
            "p90_handle_time": _seconds(h.p90_us[g]),
            "avg_handle_time": _mean_seconds(h.sum_us[g], h.count[g]),
            "first_responses": r.count[g],
            "avg_first_response": _mean_seconds(r.sum_us[g], r.count[g]),
            "median_first_response": _seconds(r.median_us[g]),
            "p90_first_response": _seconds(r.p90_us[g]),
            "ratings": self.ratings[g],
            "customer_happiness": _happiness(self.good[g], self.ratings[g]),
        }

    def has_items(self, g: int) -> bool:
        return bool(self.created[g] or self.handles.count[g] or self.replies.count[g] or self.ratings[g])


_TIMES = {"created": "created_us", "reply": "reply_us", "resolved": "resolved_us", "rated": "rated_us"}


def _by_period(rows: ConversationRows, bounds: Ints, now_us: int) -> dict[str, tuple[Ints, Ints]]:
    """Per kind, the rows whose item falls in [bounds[0], bounds[-1]) and not after T, and the period of each."""
    hi_us = min(int(bounds[-1]), now_us + 1)
    groups = {}
    for kind, column in _TIMES.items():
        times = rows.column(column)
        picked = select(times, int(bounds[0]), hi_us)
        groups[kind] = (picked, period_of(times[picked], bounds))
    return groups


def _by_code(rows: ConversationRows, lo_us: int, hi_us: int, codes: Mapping[str, Ints | None], n: int) -> _Grouped:
    """Items of [lo, hi) grouped by a code per row for each kind; None leaves that kind out, NOBODY drops the item."""
    groups = {}
    for kind, column in _TIMES.items():
        picked = select(rows.column(column), lo_us, hi_us)
        code = codes[kind]
        group = picked[:0] if code is None else code[picked]
        if code is not None:
            keep = group != NOBODY
            picked, group = picked[keep], group[keep]
        else:
            picked = group
        groups[kind] = (picked, group)
    return _Grouped(rows, n, groups)


def _totals(rows: ConversationRows, groups: dict[str, tuple[Ints, Ints]]) -> PeriodFigures:
    """The figures of all the items `groups` picked, as one period."""
    grouped = _Grouped(rows, 1, {kind: (picked, np.zeros_like(picked)) for kind, (picked, _) in groups.items()})
    return PeriodFigures(channel_mix=grouped.channel_mix(1)[0], **grouped.figures(0))


def totals(rows: ConversationRows, since_us: int, until_us: int, now_us: int) -> PeriodFigures:
    return _totals(rows, _by_period(rows, np.array([since_us, until_us], np.int64), now_us))


def series_and_totals(
    rows: ConversationRows, bounds_us: tuple[int, ...], now_us: int, tz: ZoneInfo
) -> tuple[list[msgspec.Struct], PeriodFigures]:
    """The SeriesPeriod of each [bounds[i], bounds[i+1]), and the totals of their whole span, from one selection."""
    bounds = np.array(bounds_us, np.int64)
    groups = _by_period(rows, bounds, now_us)
    grouped = _Grouped(rows, len(bounds_us) - 1, groups)
    mixes = grouped.channel_mix(len(bounds_us) - 1)
    starts = [format_instant(b, tz) for b in bounds_us]
    series = [
        SeriesPeriod(start=starts[g], end=starts[g + 1], channel_mix=mixes[g], **grouped.figures(g))
        for g in range(len(bounds_us) - 1)
    ]
    return series, _totals(rows, groups)


def channel_rows(rows: ConversationRows, since_us: int, until_us: int, now_us: int) -> list[msgspec.Struct]:
    """A ChannelRow for each channel with any item in [since, until), most conversations first."""
    channel = rows.column("channel")
    n = len(rows.channels.names)
    grouped = _by_code(rows, since_us, min(until_us, now_us + 1), dict.fromkeys(_TIMES, channel), n)
    found = [
        {"channel": name, **grouped.figures(code)}
        for code, name in enumerate(rows.channels.names)
        if grouped.has_items(code)
    ]
    found.sort(key=lambda row: (-row["total_conversations"], row["channel"]))
    return [ChannelRow(**row) for row in found]


def agent_rows(
    rows: ConversationRows, agents: Mapping[str, AgentFacts], since_us: int, until_us: int, now_us: int
) -> list[AgentRow]:
    """Team performance: each agent with a resolution, first response or attributed rating in P, or active in it."""
    for agent_id in agents:  # every agent gets a code, so one with no conversation has a group of zeros
        rows.agents.code(agent_id)
    resolver = rows.column("resolver")
    # A rating counts for the conversation's resolver, and only while it is resolved (SPEC §4).
    rated_for = np.where(rows.column("resolved_now") == 1, resolver, NOBODY)
    codes = {"created": None, "reply": rows.column("responder"), "resolved": resolver, "rated": rated_for}
    grouped = _by_code(rows, since_us, min(until_us, now_us + 1), codes, len(rows.agents.names))
    status_end_us = min(until_us, now_us)
    found = []
    for code, agent_id in enumerate(rows.agents.names):
        facts = agents.get(agent_id)
        history = () if facts is None else facts.history
        spent = status_time_us(history, since_us, status_end_us)
        if not grouped.has_items(code) and not was_active(spent):
            continue
        figures = grouped.figures(code)
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


def build_report(rows: ConversationRows, agents: Mapping[str, AgentFacts], query: ReportQuery) -> Report:
    """The whole SPEC §4 answer for `query`."""
    tz, now_us = query.tz, query.now_us

    def period(since_us: int, until_us: int, bounds: tuple[int, ...] | None) -> dict[str, Any]:
        parts: dict[str, Any] = {"since": format_instant(since_us, tz), "until": format_instant(until_us, tz)}
        if bounds is None:
            parts["totals"] = totals(rows, since_us, until_us, now_us)
        else:  # the series spans exactly [since, until): its selection gives the totals too
            parts["series"], parts["totals"] = series_and_totals(rows, bounds, now_us, tz)
        if query.breakdown == "channel":
            parts["breakdown"] = channel_rows(rows, since_us, until_us, now_us)
        elif query.breakdown == "agent":
            parts["breakdown"] = agent_rows(rows, agents, since_us, until_us, now_us)
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
