"""The query of `GET /api/v1/analytics/report`, checked in SPEC §4's order into a `ReportQuery`.

Every fault is an `InvalidParameter` naming the parameter at fault; when several apply, the
first in SPEC §4's list wins, which is why the checks below run in exactly that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from analytics.filters import FILTER_PARAMETERS, Filters
from analytics.periods import UNITS, TooManyPeriods, Unit, format_instant, parse_instant, series_bounds, zone
from analytics.report import Breakdown, ReportQuery
from events.schema import is_channel

PARAMETERS = ("since", "until", "timezone", "group_by", "compare", "breakdown", "format", *FILTER_PARAMETERS)
MAX_SERIES_PERIODS = 1000
Format = Literal["json", "csv"]
_CHOICES: dict[str, tuple[str, ...]] = {
    "group_by": UNITS,
    "compare": ("previous",),
    "breakdown": ("channel", "agent", "team", "inbox", "label"),
    "format": ("json", "csv"),
}


class InvalidParameter(ValueError):
    """A 400: `parameter` is the one at fault, `message` says why and what would do."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class ReportRequest:
    query: ReportQuery
    format: Format


def parse_report_request(items: Sequence[tuple[str, str]], *, now_us: int, retention_us: int) -> ReportRequest:
    """`items` are the query's (name, value) pairs in order; T is `now_us`."""
    params: dict[str, str] = {}
    for name, value in items:
        if name not in PARAMETERS:
            raise InvalidParameter(name, f"unknown parameter; the parameters are {', '.join(PARAMETERS)}")
        if name in params:
            raise InvalidParameter(name, "given more than once")
        params[name] = value

    timezone = params.get("timezone", "UTC")
    try:
        tz = zone(timezone)
    except ValueError as unknown:
        raise InvalidParameter("timezone", str(unknown)) from None

    earliest_us = now_us - retention_us
    if "since" not in params:
        raise InvalidParameter("since", "required: a date (YYYY-MM-DD) or an RFC 3339 timestamp with an offset")
    since_us = _instant("since", params["since"], tz)
    if since_us < earliest_us:
        raise InvalidParameter(
            "since", f"reports reach back to {format_instant(earliest_us, tz)} (the retention period) at the earliest"
        )
    if "until" in params:
        until_us = _instant("until", params["until"], tz)
        if until_us <= since_us:
            raise InvalidParameter("until", "must be later than since")
    else:
        until_us = now_us
        if until_us <= since_us:
            raise InvalidParameter("since", "must be earlier than now (until defaults to now)")

    for name, choices in _CHOICES.items():
        if name in params and params[name] not in choices:
            raise InvalidParameter(name, f"unknown value {params[name]!r}; expected one of {', '.join(choices)}")
    filters = _filters(params)
    group_by = cast(Unit | None, params.get("group_by"))
    breakdown = cast(Breakdown | None, params.get("breakdown"))
    report_format = cast(Format, params.get("format", "json"))

    bounds = None
    if group_by is not None:
        try:
            bounds = tuple(series_bounds(since_us, until_us, group_by, tz, MAX_SERIES_PERIODS))
        except TooManyPeriods:
            raise InvalidParameter(
                "group_by", f"the period has more than {MAX_SERIES_PERIODS} {group_by} periods; pick a larger unit"
            ) from None
    compare = "compare" in params
    if compare and since_us - (until_us - since_us) < earliest_us:
        raise InvalidParameter(
            "compare",
            f"the previous period would start before {format_instant(earliest_us, tz)} (the retention period)",
        )
    if report_format == "csv" and group_by is not None and breakdown is not None:
        raise InvalidParameter("format", "csv holds either the series (group_by) or the breakdown, not both")
    query = ReportQuery(
        since_us=since_us,
        until_us=until_us,
        now_us=now_us,
        tz=tz,
        timezone=timezone,
        series_bounds=bounds,
        group_by=group_by,
        compare=compare,
        breakdown=breakdown,
        filters=filters,
    )
    return ReportRequest(query=query, format=report_format)


def _filters(params: dict[str, str]) -> Filters:
    """The SPEC §5 filters given, each checked in SPEC's order: the first at fault is named."""
    for name in FILTER_PARAMETERS:
        if name in params and (fault := _filter_fault(name, params[name])) is not None:
            raise InvalidParameter(name, fault)
    return Filters(**{name: params[name] for name in FILTER_PARAMETERS if name in params})


def _filter_fault(name: str, value: str) -> str | None:
    longest = 64 if name == "label" else 128
    if not value:
        return "must not be empty"
    if len(value) > longest:
        return f"at most {longest} characters, got {len(value)}"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "must not contain control characters"
    if name == "channel" and not is_channel(value):
        return f"not a channel name: 1 to 32 of a-z, 0-9, '_', '-', starting with a letter or digit, got {value!r}"
    return None


def _instant(name: str, value: str, tz: object) -> int:
    try:
        return parse_instant(value, tz)  # type: ignore[arg-type]
    except ValueError as unreadable:
        raise InvalidParameter(name, str(unreadable)) from None
