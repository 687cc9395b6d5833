"""SPEC §4's series periods read straight off the local clock, written apart from `analytics.periods`.

A unit is a local clock hour, a local date, a local ISO week or a local month. It starts at the first
instant whose local time lies in it; a clock hour starts again when the clock goes back to its
:00 (a repeated hour is a unit of its own). This walks the clock in small steps — every minute for
hours, every quarter hour otherwise — and finds the exact instant of each change by bisection, so it
needs no knowledge of where or how far a zone's offset changes. Slow and plainly right.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MINUTE_US = 60 * 10**6
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reading(instant_us: int, tz: ZoneInfo) -> datetime:
    """What a clock in `tz` shows at the instant."""
    shown = (_EPOCH + timedelta(microseconds=instant_us)).astimezone(tz)
    offset = shown.utcoffset()
    # Whole-minute offsets put every on-the-hour reading on the minute grid walked below.
    assert offset is not None and offset % timedelta(minutes=1) == timedelta(0), offset
    return shown


def label(instant_us: int, unit: str, tz: ZoneInfo) -> tuple[Any, ...]:
    """Which unit the local time at the instant lies in; later units compare greater."""
    shown = reading(instant_us, tz)
    day = shown.date()
    if unit == "hour":
        return (day, shown.hour)
    if unit == "day":
        return (day,)
    if unit == "week":
        return tuple(day.isocalendar())[:2]
    assert unit == "month", unit
    return (day.year, day.month)


def _on_the_hour(instant_us: int, tz: ZoneInfo) -> bool:
    shown = reading(instant_us, tz)
    return shown.minute == shown.second == shown.microsecond == 0


def _first_beyond(lo_us: int, hi_us: int, seen: tuple[Any, ...], unit: str, tz: ZoneInfo) -> int:
    """The first instant in (lo, hi] whose unit lies beyond `seen` (hi's does, lo's does not)."""
    while hi_us - lo_us > 1:
        mid_us = (lo_us + hi_us) // 2
        if label(mid_us, unit, tz) > seen:
            hi_us = mid_us
        else:
            lo_us = mid_us
    return hi_us


def series_bounds(since_us: int, until_us: int, unit: str, tz: ZoneInfo) -> list[int]:
    """[since, each unit start inside (since, until), until]."""
    step_us = MINUTE_US if unit == "hour" else 15 * MINUTE_US
    seen = label(since_us, unit, tz)  # the latest unit the clock has shown so far
    bounds, before_us = [since_us], since_us
    at_us = since_us - since_us % step_us + step_us
    while at_us < until_us:
        now = label(at_us, unit, tz)
        if now > seen:
            bounds.append(_first_beyond(before_us, at_us, seen, unit, tz))
            seen = now
        elif unit == "hour" and _on_the_hour(at_us, tz):
            bounds.append(at_us)  # the clock went back to the start of an hour it has shown
        before_us, at_us = at_us, at_us + step_us
    last_us = until_us - 1  # the last instant of the period may lie past the last step
    if last_us > before_us and label(last_us, unit, tz) > seen:
        bounds.append(_first_beyond(before_us, last_us, seen, unit, tz))
    bounds.append(until_us)
    return bounds
