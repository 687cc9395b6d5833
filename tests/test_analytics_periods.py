"""Reading dates and timestamps in a zone, and the series periods of SPEC §4, as tables."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.periods import TooManyPeriods, format_instant, parse_instant, series_bounds, unit_start_us, zone
from tests.support import local_units

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
        # Lord Howe's 30-minute changes: clocks jump 02:00 → 02:30, so that hour lasts 30 minutes
        (
            "2026-10-04T00:30:00+10:30",
            "2026-10-04T04:00:00+11:00",
            "hour",
            "Australia/Lord_Howe",
            [
                ("2026-10-04T00:30:00+10:30", 0.5),
                ("2026-10-04T01:00:00+10:30", 1),
                ("2026-10-04T02:30:00+11:00", 0.5),
                ("2026-10-04T03:00:00+11:00", 1),
            ],
        ),
        # ... and fall back 02:00 → 01:30, so the hour from 01:00 lasts 90 minutes, one unit
        (
            "2026-04-05T00:00:00+11:00",
            "2026-04-05T03:00:00+10:30",
            "hour",
            "Australia/Lord_Howe",
            [("2026-04-05T00:00:00+11:00", 1), ("2026-04-05T01:00:00+11:00", 1.5), ("2026-04-05T02:00:00+10:30", 1)],
        ),
        # a period starting inside those hours is clipped from its own start
        (
            "2026-10-04T02:40:00+11:00",
            "2026-10-04T03:30:00+11:00",
            "hour",
            "Australia/Lord_Howe",
            [("2026-10-04T02:40:00+11:00", 20 / 60), ("2026-10-04T03:00:00+11:00", 0.5)],
        ),
        (
            "2026-04-05T01:40:00+10:30",
            "2026-04-05T02:30:00+10:30",
            "hour",
            "Australia/Lord_Howe",
            [("2026-04-05T01:40:00+10:30", 20 / 60), ("2026-04-05T02:00:00+10:30", 0.5)],
        ),
        # Lord Howe's days across the changes: 23.5 and 24.5 hours
        ("2026-10-04", "2026-10-05", "day", "Australia/Lord_Howe", [("2026-10-04T00:00:00+10:30", 23.5)]),
        ("2026-04-05", "2026-04-06", "day", "Australia/Lord_Howe", [("2026-04-05T00:00:00+11:00", 24.5)]),
        # Santiago skips midnight: that day starts at 01:00 and has 23 hours
        (
            "2022-09-10",
            "2022-09-12",
            "day",
            "America/Santiago",
            [("2022-09-10T00:00:00-04:00", 24), ("2022-09-11T01:00:00-03:00", 23)],
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


@pytest.mark.parametrize("text", ["2026-11-01T00:00:00", "yesterday", "2026-11-01 00:00Z", ""])
def test_unreadable_instants_are_refused(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_instant(text, zone("UTC"))
    assert str(refused.value) == f"{text!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 timestamp with an offset"


def test_an_impossible_date_is_refused() -> None:
    with pytest.raises(ValueError) as refused:
        parse_instant("2026-11-31", zone("UTC"))
    assert str(refused.value) == "'2026-11-31' is not a calendar date"


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "Europe/", "/UTC"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone(name)


def test_more_periods_than_the_limit_are_refused() -> None:
    tz = zone("UTC")
    since, until = parse_instant("2026-01-01", tz), parse_instant("2026-02-12", tz)  # 1,008 hours
    with pytest.raises(TooManyPeriods, match=r"^more than 1000 hour periods$"):
        series_bounds(since, until, "hour", tz, 1000)
    assert len(series_bounds(since, since + 1000 * H, "hour", tz, 1000)) == 1001


# Zones with every kind of change: whole hours both ways, 30 minutes (Lord Howe), a skipped
# midnight (Santiago), and offsets of +05:30 and +05:45 without changes.
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu"]
YEARS_2024_TO_2027 = st.integers(parse_instant("2024-01-01", zone("UTC")), parse_instant("2028-01-01", zone("UTC")))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(["hour", "day", "week", "month"]),
    YEARS_2024_TO_2027,
    st.integers(1, 100 * 24 * H),
    st.booleans(),
)
def test_series_periods_are_the_local_clock_units(
    zone_name: str, unit: str, since_us: int, length_us: int, on_quarter_hour: bool
) -> None:
    # Against tests.support.local_units, which walks the local clock minute by minute.
    tz = zone(zone_name)
    if unit == "hour":
        length_us = length_us % (4 * 24 * H) + 1
    if on_quarter_hour:
        since_us -= since_us % (H // 4)
    until_us = since_us + length_us
    expected = local_units.series_bounds(since_us, until_us, unit, tz)
    assert series_bounds(since_us, until_us, unit, tz, 10_000) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("zone_name", ["Australia/Lord_Howe", "Europe/Berlin", "America/Santiago"])
def test_series_periods_across_each_change_of_2025_and_2026(zone_name: str) -> None:
    # Every daylight-saving change of two years, met for sure (a random instant rarely lands near one).
    tz = zone(zone_name)
    since_us, until_us = parse_instant("2025-01-01", tz), parse_instant("2027-01-01", tz)
    changes = [
        at_us
        for at_us in range(since_us, until_us, H // 4)
        if local_units.reading(at_us, tz).utcoffset() != local_units.reading(at_us - 1, tz).utcoffset()
    ]
    assert len(changes) == 4
    for change_us, unit in itertools.product(changes, ["hour", "day"]):
        lo_us, hi_us = change_us - 2 * 24 * H, change_us + 2 * 24 * H
        assert series_bounds(lo_us, hi_us, unit, tz, 10_000) == local_units.series_bounds(lo_us, hi_us, unit, tz)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("instant", "unit", "start"),
    [
        ("2026-11-17T10:20:00+01:00", "month", "2026-11-01T00:00:00+01:00"),
        ("2026-11-17T10:20:00+01:00", "week", "2026-11-16T00:00:00+01:00"),
        ("2026-11-17T10:20:00+01:00", "day", "2026-11-17T00:00:00+01:00"),
        ("2026-11-17T10:20:00+01:00", "hour", "2026-11-17T10:00:00+01:00"),
        ("2026-10-01T00:00:00+02:00", "month", "2026-10-01T00:00:00+02:00"),  # a start is its own unit's
    ],
)
def test_the_unit_an_instant_lies_in_starts_at_its_local_start(instant: str, unit: str, start: str) -> None:
    tz = zone("Europe/Berlin")
    assert format_instant(unit_start_us(parse_instant(instant, tz), unit, tz), tz) == start  # type: ignore[arg-type]
