"""Reading dates and timestamps in a zone, and the series periods of SPEC §4, as tables."""

from __future__ import annotations

import itertools

import pytest

from analytics.periods import TooManyPeriods, format_instant, parse_instant, series_bounds, zone

H = 3600 * 10**6


def spans(since: str, until: str, unit: str, zone_name: str) -> list[tuple[str, float]]:
    tz = zone(zone_name)
    bounds = series_bounds(parse_instant(since, tz), parse_instant(until, tz), unit, tz, 1000)  # type: ignore[arg-type]
    return [(format_instant(lo, tz), (hi - lo) / H) for lo, hi in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    ("since", "until", "unit", "zone_name", "expected"),
    [
        # Berlin's spring-forward day has 23 hours, the autumn one 25
        ("2026-03-29", "2026-03-30", "day", "Europe/Berlin", [("2026-03-29T00:00:00+01:00", 23)]),
        ("2026-10-25", "2026-10-26", "day", "Europe/Berlin", [("2026-10-25T00:00:00+02:00", 25)]),
        # the repeated hour of the autumn change is two periods, one per offset
        (
            "2026-10-25T01:00:00+02:00",
            "2026-10-25T04:00:00+01:00",
            "hour",
            "Europe/Berlin",
            [
                ("2026-10-25T01:00:00+02:00", 1),
                ("2026-10-25T02:00:00+02:00", 1),
                ("2026-10-25T02:00:00+01:00", 1),
                ("2026-10-25T03:00:00+01:00", 1),
            ],
        ),
        # +05:30 and +05:45: a local day starts at 18:30 / 18:15 UTC the day before
        ("2026-11-02", "2026-11-03", "day", "Asia/Kolkata", [("2026-11-02T00:00:00+05:30", 24)]),
        ("2026-11-02", "2026-11-03", "day", "Asia/Kathmandu", [("2026-11-02T00:00:00+05:45", 24)]),
        # hours of a +05:45 zone start at :15 UTC; a period edge off the hour is clipped
        (
            "2026-11-02T10:20:00+05:45",
            "2026-11-02T12:00:00+05:45",
            "hour",
            "Asia/Kathmandu",
            [("2026-11-02T10:20:00+05:45", 40 / 60), ("2026-11-02T11:00:00+05:45", 1)],
        ),
        # ISO weeks start on Monday, across a year end
        (
            "2026-12-30",
            "2027-01-12",
            "week",
            "UTC",
            [
                ("2026-12-30T00:00:00+00:00", 5 * 24),
                ("2027-01-04T00:00:00+00:00", 7 * 24),
                ("2027-01-11T00:00:00+00:00", 24),
            ],
        ),
        # months of 28, 29, 31 and 30 days
        (
            "2027-02-01",
            "2027-03-01",
            "month",
            "UTC",
            [("2027-02-01T00:00:00+00:00", 28 * 24)],
        ),
        ("2028-02-01", "2028-03-01", "month", "UTC", [("2028-02-01T00:00:00+00:00", 29 * 24)]),
        (
            "2026-10-01",
            "2026-12-01",
            "month",
            "Europe/Berlin",
            [("2026-10-01T00:00:00+02:00", 31 * 24 + 1), ("2026-11-01T00:00:00+01:00", 30 * 24)],
        ),
        # a period shorter than its unit is one clipped period
        ("2026-11-03T06:00:00Z", "2026-11-03T07:00:00Z", "month", "UTC", [("2026-11-03T06:00:00+00:00", 1)]),
    ],
)
def test_series_periods(since: str, until: str, unit: str, zone_name: str, expected: list) -> None:
    assert spans(since, until, unit, zone_name) == [(start, pytest.approx(hours)) for start, hours in expected]


@pytest.mark.parametrize(
    ("text", "zone_name", "expected"),
    [
        ("2026-11-01", "Europe/Berlin", "2026-11-01T00:00:00+01:00"),  # a date is local midnight
        ("2026-11-01T00:00:00Z", "Europe/Berlin", "2026-11-01T01:00:00+01:00"),  # written in the zone's offset
        ("2026-07-01T12:00:00.5+02:00", "UTC", "2026-07-01T10:00:00.500000+00:00"),
        # Santiago skips midnight on 2022-09-11: the day starts at 01:00
        ("2022-09-11", "America/Santiago", "2022-09-11T01:00:00-03:00"),
    ],
)
def test_parse_and_format(text: str, zone_name: str, expected: str) -> None:
    tz = zone(zone_name)
    assert format_instant(parse_instant(text, tz), tz) == expected


@pytest.mark.parametrize("text", ["2026-11-31", "2026-11-01T00:00:00", "yesterday", "2026-11-01 00:00Z", ""])
def test_unreadable_instants_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text, zone("UTC"))


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "Europe/", "/UTC"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone(name)


def test_more_periods_than_the_limit_are_refused() -> None:
    tz = zone("UTC")
    since, until = parse_instant("2026-01-01", tz), parse_instant("2026-02-12", tz)  # 1,008 hours
    with pytest.raises(TooManyPeriods):
        series_bounds(since, until, "hour", tz, 1000)
    assert len(series_bounds(since, since + 1000 * H, "hour", tz, 1000)) == 1001
