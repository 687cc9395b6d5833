"""A report query's period and series edges, worked out from SPEC §4's wording with `zoneinfo` alone.

Shares no code with `analytics.periods` or `api.report_params`, whose reading of a query the
Kafka report tests check: dates are local midnights, and a series unit starts wherever the local
hour (with its offset, so a repeated hour is a unit of its own), date, ISO week or month changes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
QUARTER_HOUR_US = 15 * 60 * 10**6


def instant_us(text: str) -> int:
    """An RFC 3339 timestamp with an offset, as µs since the epoch."""
    return (datetime.fromisoformat(text) - _EPOCH) // _MICROSECOND


def utc_text(t_us: int) -> str:
    return (_EPOCH + timedelta(microseconds=t_us)).isoformat()


def _local(t_us: int, zone_name: str) -> datetime:
    return (_EPOCH + timedelta(microseconds=t_us)).astimezone(ZoneInfo(zone_name))


def local_date(t_us: int, zone_name: str) -> date:
    return _local(t_us, zone_name).date()


def midnight_us(day: date, zone_name: str) -> int:
    """00:00 of `day` in the zone (none of the zones used here skips or repeats midnight)."""
    return (datetime.combine(day, time(0), tzinfo=ZoneInfo(zone_name)) - _EPOCH) // _MICROSECOND


def _starts_unit(t_us: int, unit: str, zone_name: str) -> bool:
    """Whether a new `unit` starts at t, a quarter hour after the instant before it."""
    now, before = _local(t_us, zone_name), _local(t_us - QUARTER_HOUR_US, zone_name)
    if unit == "hour":
        # A local hour that repeats whole when clocks go back is a unit of its own; a repeated half
        # hour (Australia/Lord_Howe) stays in its hour, which then lasts 90 minutes.
        went_back = now.replace(tzinfo=None) <= before.replace(tzinfo=None)
        return (now.date(), now.hour) != (before.date(), before.hour) or (went_back and now.minute == 0)
    if unit == "day":
        return now.date() != before.date()
    if unit == "week":
        return now.isocalendar()[:2] != before.isocalendar()[:2]
    assert unit == "month", unit
    return (now.year, now.month) != (before.year, before.month)


@functools.cache
def series_edges(since_us: int, until_us: int, unit: str, zone_name: str) -> tuple[int, ...]:
    """since, each instant in (since, until) where a new local unit starts, then until.

    Walks quarter hours from `since`, which must lie on one: in today's zones every unit starts on one.
    """
    assert since_us % QUARTER_HOUR_US == 0, since_us
    starts = [
        t_us
        for t_us in range(since_us + QUARTER_HOUR_US, until_us, QUARTER_HOUR_US)
        if _starts_unit(t_us, unit, zone_name)
    ]
    return (since_us, *starts, until_us)


@dataclass(frozen=True)
class ExpectedQuery:
    """What `report_reference.expected_parts` reads of a query, for one T."""

    since_us: int
    until_us: int
    now_us: int
    breakdown: str | None
    compare: bool
    series_bounds: tuple[int, ...] | None


@dataclass(frozen=True)
class ReportCase:
    """A query as sent, and its period as the SPEC defines it (until None: T)."""

    params: dict[str, str]
    zone_name: str
    since_us: int
    until_us: int | None
    group_by: str | None = None
    breakdown: str | None = None
    compare: bool = False

    def expected(self, now_us: int) -> ExpectedQuery:
        until_us = now_us if self.until_us is None else self.until_us
        bounds = None if self.group_by is None else series_edges(self.since_us, until_us, self.group_by, self.zone_name)
        return ExpectedQuery(self.since_us, until_us, now_us, self.breakdown, self.compare, bounds)
