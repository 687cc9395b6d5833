"""Instants as a team reads them: dates and timestamps in an IANA time zone, and the series
periods of SPEC §4 (hours, days, ISO weeks, months), daylight-saving changes included.

Instants are integer µs since the epoch (`analytics.time`); a zone only says how to read and
write them. Local midnights and hour starts are found through `zoneinfo`, never by adding fixed
lengths, so a day across a DST change is 23 or 25 hours and a +05:45 zone's hours start at :15 UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from analytics.time import HOUR_US, epoch_us

Unit = Literal["hour", "day", "week", "month"]
UNITS: tuple[Unit, ...] = ("hour", "day", "week", "month")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*\Z")
_QUARTER_US = HOUR_US // 4
_OffsetTimestamp = Annotated[datetime, msgspec.Meta(tz=True)]


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (from the `tzdata` package when the system has no zone files); ValueError if unknown."""
    # A name is a relative path inside the zone database: refuse anything that could leave it.
    if not _ZONE_NAME.match(name):
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name such as Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name such as Europe/Berlin") from None


def local(timestamp_us: int, tz: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=timestamp_us)).astimezone(tz)


def format_instant(timestamp_us: int, tz: ZoneInfo) -> str:
    """RFC 3339 in the zone's offset at that instant: `2026-11-01T00:00:00+01:00`."""
    return local(timestamp_us, tz).isoformat()


def midnight_us(day: date, tz: ZoneInfo) -> int:
    """00:00 of `day` in `tz`; where a DST change skips midnight, the first instant of the day."""
    # fold=0 reads a skipped wall time with the offset before the change, which lands just after the gap.
    return epoch_us(datetime(day.year, day.month, day.day, tzinfo=tz))


def parse_instant(text: str, tz: ZoneInfo) -> int:
    """An RFC 3339 timestamp with offset, or a date `YYYY-MM-DD` meaning 00:00 of that day in `tz`."""
    if _DATE.match(text):
        try:
            return midnight_us(date.fromisoformat(text), tz)
        except ValueError:
            raise ValueError(f"{text!r} is not a calendar date") from None
    try:
        return epoch_us(msgspec.convert(text, _OffsetTimestamp))
    except msgspec.ValidationError:
        raise ValueError(f"{text!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 timestamp with an offset") from None


def unit_start_us(timestamp_us: int, unit: Unit, tz: ZoneInfo) -> int:
    """The start of the `unit` (in `tz`) that contains `timestamp_us`."""
    at = local(timestamp_us, tz)
    if unit == "hour":
        # Back to this reading's :00 at the same offset, unless the offset changed on the way there.
        into_hour_us = ((at.minute * 60 + at.second) * 10**6) + at.microsecond
        start_us = timestamp_us - into_hour_us
        if local(start_us, tz).utcoffset() == at.utcoffset():
            return start_us
        candidate = timestamp_us - timestamp_us % _QUARTER_US
        while not _starts_hour(candidate, tz):
            candidate -= _QUARTER_US
        return candidate
    day = at.date()
    if unit == "week":
        day -= timedelta(days=day.weekday())  # ISO weeks start on Monday
    elif unit == "month":
        day = day.replace(day=1)
    start_us = midnight_us(day, tz)
    return start_us if start_us <= timestamp_us else midnight_us(day - timedelta(days=1), tz)


def next_unit_start_us(start_us: int, unit: Unit, tz: ZoneInfo) -> int:
    """The start of the unit after the one starting at `start_us`."""
    if unit == "hour":
        candidate = start_us + HOUR_US
        if local(candidate, tz).utcoffset() == local(start_us, tz).utcoffset() and _on_the_hour(candidate, tz):
            return candidate
        # The offset changed within the hour: walk quarter hours to the next start.
        candidate = start_us + _QUARTER_US
        while not _starts_hour(candidate, tz):
            candidate += _QUARTER_US
        return candidate
    day = local(start_us, tz).date()
    if unit == "day":
        day += timedelta(days=1)
    elif unit == "week":
        day += timedelta(days=7)
    else:
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return midnight_us(day, tz)


class TooManyPeriods(ValueError):
    pass


def series_bounds(since_us: int, until_us: int, unit: Unit, tz: ZoneInfo, limit: int) -> list[int]:
    """[since, b1, b2, …, until]: every `unit` that meets [since, until), clipped to it.

    Raises TooManyPeriods when there would be more than `limit` periods.
    """
    bounds = [since_us]
    start_us = unit_start_us(since_us, unit, tz)
    while True:
        start_us = next_unit_start_us(start_us, unit, tz)
        if start_us >= until_us:
            break
        if len(bounds) == limit:
            raise TooManyPeriods(f"more than {limit} {unit} periods")
        bounds.append(start_us)
    bounds.append(until_us)
    return bounds


def _on_the_hour(timestamp_us: int, tz: ZoneInfo) -> bool:
    at = local(timestamp_us, tz)
    return at.minute == 0 and at.second == 0 and at.microsecond == 0


def _starts_hour(timestamp_us: int, tz: ZoneInfo) -> bool:
    """A local clock hour starts here: the clock shows :00 (again, in a repeated hour), or it jumped
    forward past a :00 into a later hour (Lord Howe's 02:00 → 02:30). Falling back within an hour
    (Lord Howe's 02:00 → 01:30) starts nothing: that hour lasts 90 minutes."""
    if _on_the_hour(timestamp_us, tz):
        return True
    at, before = local(timestamp_us, tz), local(timestamp_us - 1, tz)
    return (at.date(), at.hour) > (before.date(), before.hour)
