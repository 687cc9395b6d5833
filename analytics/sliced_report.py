"""SPEC §5 reports: filters (channel, inbox, team, assignee, label) and team, inbox and label breakdowns.

Computed from the account's `SliceTable` (one row per existing conversation, with its current
dimensions): the rows that pass every filter are selected, their items picked by period and
grouped by series period or breakdown key with vectorised numpy (`analytics.grouped`). Exact at
any edge; the cost grows with the account's conversations (a scan), unlike the unfiltered reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec
import numpy as np

from analytics.agent_time import Timeline
from analytics.facts import AgentFacts
from analytics.figures import DIMENSION_ROWS, AgentRow, ChannelRow, PeriodFigures, PreviousReport, Report, SeriesPeriod
from analytics.filters import Filters
from analytics.grouped import DurationStats, Ints, counts, duration_stats, period_of
from analytics.periods import format_instant, series_bounds
from analytics.report import ReportQuery, agent_row
from analytics.rounding import apportion_tenths, percent_tenths, round_ratio
from analytics.slice_table import NOBODY, TableSnapshot
from analytics.time import SECOND_US

_UNLIMITED = 1 << 30
_TIMES = {"created": "created_us", "reply": "reply_us", "resolved": "resolved_us", "rated": "rated_us"}
# breakdown -> (the table's code column, its code table, the row's key field)
_DIMENSIONS = {"team": ("team", "teams", "team_id"), "inbox": ("inbox", "inboxes", "inbox_id")}
Picked = dict[str, tuple[Ints, Ints]]  # kind -> (row indices, group of each)


def _seconds(duration_us: int | None) -> int:
    return 0 if duration_us is None else round_ratio(duration_us, SECOND_US)


def _mean_seconds(sum_us: int, count: int) -> int:
    return round_ratio(sum_us, count * SECOND_US) if count else 0


class _Grouped:
    """Every item kind of the picked rows, counted per group."""

    def __init__(self, table: TableSnapshot, n: int, picked: Picked) -> None:
        column = table.columns
        created, reply, resolved, rated = (picked[kind] for kind in _TIMES)
        self.created = counts(created[1], n)
        self.created_resolved = counts(created[1], n, column["resolved_now"][created[0]])
        self.replies: DurationStats = duration_stats(reply[1], column["reply_duration_us"][reply[0]], n)
        self.handles: DurationStats = duration_stats(resolved[1], column["handle_us"][resolved[0]], n)
        self.ratings = counts(rated[1], n)
        self.good = counts(rated[1], n, column["good"][rated[0]])
        channels = table.names["channels"]
        codes = column["channel"][created[0]]
        grid = np.bincount(created[1] * len(channels) + codes, minlength=n * len(channels))
        self._grid = grid.reshape(n, len(channels)) if channels else np.zeros((n, 0), np.int64)
        self._channels = channels

    def channel_mix(self, g: int) -> dict[str, float]:
        return apportion_tenths({str(c): int(k) for c, k in zip(self._channels, self._grid[g], strict=True) if k})

    def figures(self, g: int) -> dict[str, Any]:
        """The period figures of group g, but the channel mix."""
        h, r, ratings = self.handles, self.replies, self.ratings[g]
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
            "ratings": ratings,
            "customer_happiness": round_ratio(100 * self.good[g], ratings) if ratings else None,
        }

    def has_items(self, g: int) -> bool:
        return bool(self.created[g] or self.handles.count[g] or self.replies.count[g] or self.ratings[g])


def passing(table: TableSnapshot, filters: Filters) -> Ints:
    """The rows of the conversations that pass every filter (all rows when there is none)."""
    column, names = table.columns, table.names
    keep = np.ones(len(column["created_us"]), bool)
    for value, code_column, code_table in (
        (filters.channel, "channel", "channels"),
        (filters.inbox_id, "inbox", "inboxes"),
        (filters.team_id, "team", "teams"),
        (filters.assignee_id, "assignee", "agents"),
    ):
        if value is not None:
            code = names[code_table].index(value) if value in names[code_table] else None
            keep &= False if code is None else column[code_column] == code
    if filters.label is not None:
        with_label = [code for code, labels in enumerate(names["label_sets"]) if filters.label in labels]  # type: ignore[operator]
        keep &= np.isin(column["labels"], with_label)
    return np.flatnonzero(keep)


def _pick(
    table: TableSnapshot, rows: Ints, lo_us: int, hi_us: int, group_of: Callable[[str, Ints], tuple[Ints, Ints]]
) -> Picked:
    """Per kind, the given rows whose item is in [lo, hi), then grouped by `group_of(kind, rows)`."""
    picked = {}
    for kind, column in _TIMES.items():
        times = table.columns[column][rows]
        picked[kind] = group_of(kind, rows[(times >= lo_us) & (times < hi_us)])
    return picked


def _periods(table: TableSnapshot, rows: Ints, bounds_us: tuple[int, ...], now_us: int) -> _Grouped:
    bounds = np.array(bounds_us, np.int64)

    def by_period(kind: str, chosen: Ints) -> tuple[Ints, Ints]:
        return chosen, period_of(table.columns[_TIMES[kind]][chosen], bounds)

    return _Grouped(
        table, len(bounds) - 1, _pick(table, rows, int(bounds[0]), min(int(bounds[-1]), now_us + 1), by_period)
    )


def _by_code(
    table: TableSnapshot, rows: Ints, lo_us: int, hi_us: int, codes: Mapping[str, str | None], n: int
) -> _Grouped:
    """Items grouped by a code column per kind (None: that kind counts in no group); NOBODY goes to group n - 1."""

    def by_code(kind: str, chosen: Ints) -> tuple[Ints, Ints]:
        name = codes[kind]
        if name is None:
            return chosen[:0], chosen[:0]
        group = table.columns[name][chosen]
        return chosen, np.where(group == NOBODY, n - 1, group)

    return _Grouped(table, n, _pick(table, rows, lo_us, hi_us, by_code))


def _by_label(table: TableSnapshot, rows: Ints, lo_us: int, hi_us: int) -> tuple[_Grouped, list[str]]:
    """Items grouped by each label their conversation has now (a conversation counts under each)."""
    sets = [labels for labels in table.names["label_sets"]]
    labels = sorted({label for labels in sets for label in labels})  # type: ignore[attr-defined]
    code_of = {label: code for code, label in enumerate(labels)}
    members = [np.array([code_of[label] for label in labels_], np.int64) for labels_ in sets]  # type: ignore[attr-defined]
    sizes = np.array([len(m) for m in members], np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])) if len(sizes) else sizes
    flat = np.concatenate(members) if members else np.zeros(0, np.int64)

    def by_label(kind: str, chosen: Ints) -> tuple[Ints, Ints]:
        label_set = table.columns["labels"][chosen]
        repeated = np.repeat(chosen, sizes[label_set])
        offsets = np.repeat(starts[label_set], sizes[label_set])
        within = np.arange(len(repeated)) - np.repeat(np.cumsum(sizes[label_set]) - sizes[label_set], sizes[label_set])
        return repeated, flat[offsets + within]

    return _Grouped(table, max(len(labels), 1), _pick(table, rows, lo_us, hi_us, by_label)), labels


def dimension_rows(table: TableSnapshot, rows: Ints, breakdown: str, lo_us: int, hi_us: int) -> list[msgspec.Struct]:
    """A DimensionRow per team, inbox or label with any item in [lo, hi); teams and inboxes also null last."""
    if breakdown == "label":
        grouped, keys = _by_label(table, rows, lo_us, hi_us)
        nulls: list[str | None] = []
    else:
        code_column, code_table, _ = _DIMENSIONS[breakdown]
        keys = [str(key) for key in table.names[code_table]]
        grouped = _by_code(table, rows, lo_us, hi_us, dict.fromkeys(_TIMES, code_column), len(keys) + 1)
        nulls = [None]
    found: list[tuple[str | None, int]] = [(key, g) for g, key in enumerate(keys) if grouped.has_items(g)]
    found.sort(key=lambda pair: (-grouped.created[pair[1]], str(pair[0])))
    if nulls and grouped.has_items(len(keys)):
        found.append((None, len(keys)))
    key_field = "label" if breakdown == "label" else _DIMENSIONS[breakdown][2]
    row = DIMENSION_ROWS[breakdown]
    return [row(**{key_field: key}, channel_mix=grouped.channel_mix(g), **grouped.figures(g)) for key, g in found]


def channel_rows(table: TableSnapshot, rows: Ints, lo_us: int, hi_us: int) -> list[msgspec.Struct]:
    """A ChannelRow for each channel with any item in [lo, hi), most conversations first."""
    channels = [str(c) for c in table.names["channels"]]
    grouped = _by_code(table, rows, lo_us, hi_us, dict.fromkeys(_TIMES, "channel"), len(channels) + 1)
    found = [{"channel": c, **grouped.figures(g)} for g, c in enumerate(channels) if grouped.has_items(g)]
    found.sort(key=lambda row: (-row["total_conversations"], row["channel"]))
    return [ChannelRow(**row) for row in found]


def agent_rows(
    table: TableSnapshot,
    rows: Ints,
    agents: Mapping[str, AgentFacts],
    timelines: dict[str, Timeline],
    query: ReportQuery,
    lo_us: int,
    hi_us: int,
) -> list[AgentRow]:
    """Agent rows over the filtered conversations: an agent with a resolution, first response or rating
    among their items in P; time live or away alone adds no row (SPEC §5), but rows keep their time."""
    names = [str(agent) for agent in table.names["agents"]]
    resolved_now = table.columns["resolved_now"]
    # A rating counts for the conversation's resolver, and only while it is resolved (SPEC §4).
    rated_for = np.where(resolved_now == 1, table.columns["resolver"], NOBODY)
    columns = {**table.columns, "rated_for": rated_for}
    codes = {"created": None, "reply": "responder", "resolved": "resolver", "rated": "rated_for"}
    grouped = _by_code(TableSnapshot(columns, table.names), rows, lo_us, hi_us, codes, len(names) + 1)
    status_end_us = min(query.until_us, query.now_us)
    found = []
    for code, agent_id in enumerate(names):
        if grouped.has_items(code):  # time live or away alone adds no row here (SPEC §5)
            row = agent_row(
                agent_id, grouped.figures(code), agents.get(agent_id), timelines, query.since_us, status_end_us
            )
            if row is not None:
                found.append(row)
    return sorted(found, key=lambda row: (-row.resolved, row.name, row.agent_id))


def build_sliced_report(
    table: TableSnapshot, agents: Mapping[str, AgentFacts], timelines: dict[str, Timeline], query: ReportQuery
) -> Report:
    """The whole answer for a query with SPEC §5 filters or a team, inbox or label breakdown."""
    tz, now_us, rows = query.tz, query.now_us, passing(table, query.filters)

    def period(since_us: int, until_us: int, bounds: tuple[int, ...] | None) -> dict[str, Any]:
        parts: dict[str, Any] = {"since": format_instant(since_us, tz), "until": format_instant(until_us, tz)}
        spans = bounds if bounds is not None else (since_us, until_us)
        grouped = _periods(table, rows, spans, now_us)
        whole = _periods(table, rows, (since_us, until_us), now_us) if bounds is not None else grouped
        parts["totals"] = PeriodFigures(channel_mix=whole.channel_mix(0), **whole.figures(0))
        if bounds is not None:
            starts = [format_instant(b, tz) for b in bounds]
            parts["series"] = [
                SeriesPeriod(
                    start=starts[g], end=starts[g + 1], channel_mix=grouped.channel_mix(g), **grouped.figures(g)
                )
                for g in range(len(bounds) - 1)
            ]
        hi_us = min(until_us, now_us + 1)
        if query.breakdown == "channel":
            parts["breakdown"] = channel_rows(table, rows, since_us, hi_us)
        elif query.breakdown == "agent":
            parts["breakdown"] = agent_rows(table, rows, agents, timelines, query, since_us, hi_us)
        elif query.breakdown is not None:
            parts["breakdown"] = dimension_rows(table, rows, query.breakdown, since_us, hi_us)
        return parts

    current = period(query.since_us, query.until_us, query.series_bounds)
    previous = None
    if query.compare:
        start_us = query.since_us - (query.until_us - query.since_us)
        bounds = None
        if query.group_by is not None:
            bounds = tuple(series_bounds(start_us, query.since_us, query.group_by, tz, _UNLIMITED))
        previous = PreviousReport(**period(start_us, query.since_us, bounds))
    return Report(as_of=format_instant(now_us, tz), timezone=query.timezone, previous=previous, **current)


def needs_slices(query: ReportQuery) -> bool:
    """Whether `query` filters or breaks down by a SPEC §5 dimension (else the report index answers it)."""
    return bool(query.filters) or query.breakdown in ("team", "inbox", "label")
