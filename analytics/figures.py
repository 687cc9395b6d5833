"""The figure sets the API answers with, each defined once (SPEC §4).

Each is a frozen msgspec Struct: its field order is the JSON order and the CSV column order, its
annotations are the wire types, and its docs become the OpenAPI schema (`msgspec.json.schema`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Seconds = Annotated[int, msgspec.Meta(ge=0, description="whole seconds, rounded once, halves away from zero")]
Count = Annotated[int, msgspec.Meta(ge=0)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100, description="percent with one decimal")]
Happiness = Annotated[
    int | None, msgspec.Meta(description="round(100 × ratings ≥ 4 / ratings); null without ratings")
]
Instant = Annotated[str, msgspec.Meta(description="RFC 3339, in the report's time zone's offset at that instant")]


class PeriodFigures(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The figures of one period Q: every item counts whose own time is in Q and not after T."""

    total_conversations: Count
    resolution_rate: Percent
    channel_mix: dict[str, float]
    resolved: Count
    median_handle_time: Seconds
    p90_handle_time: Seconds
    avg_handle_time: Seconds
    first_responses: Count
    avg_first_response: Seconds
    median_first_response: Seconds
    p90_first_response: Seconds
    ratings: Count
    customer_happiness: Happiness


def _fields(struct: type[msgspec.Struct], leave_out: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    return [(f.name, f.type) for f in msgspec.structs.fields(struct) if f.name not in leave_out]


# A series period: its span, then the period's figures.
SeriesPeriod = msgspec.defstruct(
    "SeriesPeriod", [("start", Instant), ("end", Instant), *_fields(PeriodFigures)], frozen=True, forbid_unknown_fields=True
)
# A channel's row: every period figure but the channel mix, over its conversations' items.
ChannelRow = msgspec.defstruct("ChannelRow", [("channel", str), *_fields(PeriodFigures, ("channel_mix",))], frozen=True, forbid_unknown_fields=True
)


class AgentRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One agent's team-performance row over the whole period."""

    agent_id: str
    name: str
    resolved: Count  # resolutions it made (it is the resolver)
    median_handle_time: Seconds
    p90_handle_time: Seconds
    avg_handle_time: Seconds
    first_responses: Count  # conversations it answered first
    avg_first_response: Seconds
    median_first_response: Seconds
    p90_first_response: Seconds
    ratings: Count  # ratings of conversations resolved now, by it
    customer_happiness: Happiness
    time_live: Seconds
    time_away: Seconds
    time_offline: Seconds


class PreviousReport(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """`compare=previous`: the same report for the period of equal length just before."""

    since: Instant
    until: Instant
    totals: PeriodFigures
    series: list[SeriesPeriod] | None = None  # type: ignore[valid-type]
    breakdown: list[Any] | None = None  # ChannelRow or AgentRow, as asked


class Report(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """`GET /api/v1/analytics/report`: figures of P = [since, until), as of T."""

    since: Instant
    until: Instant
    as_of: Instant
    timezone: str
    totals: PeriodFigures
    series: list[SeriesPeriod] | None = None  # type: ignore[valid-type]
    previous: PreviousReport | None = None
    breakdown: list[Any] | None = None  # ChannelRow or AgentRow, as asked


def csv_columns(row_type: type[msgspec.Struct]) -> list[str]:
    """A row type's CSV columns: its fields in order, the channel mix left out (SPEC §4)."""
    return [name for name, _ in _fields(row_type, ("channel_mix",))]
