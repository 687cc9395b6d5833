"""The figure sets the API answers with, each defined once (SPEC §4).

Each is a frozen msgspec Struct: its field order is the JSON order and the CSV column order, its
annotations are the wire types, and its docs become the OpenAPI schema (`msgspec.json.schema`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from events.schema import AgentName, Channel, Id128

Seconds = Annotated[int, msgspec.Meta(ge=0, description="whole seconds, rounded once, halves away from zero")]
Count = Annotated[int, msgspec.Meta(ge=0)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100, description="percent with one decimal")]
Happiness = Annotated[
    Annotated[int, msgspec.Meta(ge=0, le=100)] | None,
    msgspec.Meta(description="round(100 × ratings ≥ 4 / ratings); null without ratings"),
]
Instant = Annotated[str, msgspec.Meta(description="RFC 3339, in the report's time zone's offset at that instant")]
ChannelMix = Annotated[
    dict[Channel, Annotated[float, msgspec.Meta(ge=0, le=100)]],
    msgspec.Meta(description="percent of the conversations per channel, one decimal each, summing to 100.0"),
]


class TopAgent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: AgentName
    resolved: Count
    agent_id: Id128


class Overview(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Support metrics of the token's account over the 30 days before the request (SPEC §3)."""

    total_conversations: Annotated[Count, msgspec.Meta(description="Conversations created in the window.")]
    avg_first_response: Annotated[
        Seconds, msgspec.Meta(description="Mean seconds from creation to the first agent reply.")
    ]
    resolution_rate: Annotated[Percent, msgspec.Meta(description="Percent of the window's conversations now resolved.")]
    active_agents: Annotated[Count, msgspec.Meta(description="Agents whose status is now live or away.")]
    channel_mix: ChannelMix
    top_agents: Annotated[
        list[TopAgent],
        msgspec.Meta(
            max_length=5, description="Up to five agents with the most resolutions in the window, most first."
        ),
    ]
    quick_pulse_open: Annotated[Count, msgspec.Meta(description="Conversations now open, of any age.")]
    median_handle_time: Annotated[Seconds, msgspec.Meta(description="Median seconds from creation to resolution.")]
    avg_handle_time: Annotated[Seconds, msgspec.Meta(description="Mean seconds from creation to resolution.")]
    customer_happiness: Annotated[
        Annotated[int, msgspec.Meta(ge=0, le=100)] | None,
        msgspec.Meta(description="CSAT: percent of ratings 4 or 5; null when there is no rating in the window."),
    ]


class PeriodFigures(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The figures of one period Q: every item counts whose own time is in Q and not after T."""

    total_conversations: Count
    resolution_rate: Percent
    channel_mix: ChannelMix
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
SeriesPeriod: type[msgspec.Struct] = msgspec.defstruct(
    "SeriesPeriod",
    [("start", Instant), ("end", Instant), *_fields(PeriodFigures)],
    frozen=True,
    forbid_unknown_fields=True,
)


def _dimension_row(name: str, key: str, key_type: Any) -> type[msgspec.Struct]:
    """A SPEC §5 breakdown row: its key (null: no team / no inbox), then every period figure."""
    return msgspec.defstruct(name, [(key, key_type), *_fields(PeriodFigures)], frozen=True, forbid_unknown_fields=True)


TeamRow = _dimension_row("TeamRow", "team_id", str | None)
InboxRow = _dimension_row("InboxRow", "inbox_id", str | None)
LabelRow = _dimension_row("LabelRow", "label", str)
DIMENSION_ROWS: dict[str, type[msgspec.Struct]] = {"team": TeamRow, "inbox": InboxRow, "label": LabelRow}
# A channel's row: every period figure but the channel mix, over its conversations' items.
ChannelRow: type[msgspec.Struct] = msgspec.defstruct(
    "ChannelRow", [("channel", str), *_fields(PeriodFigures, ("channel_mix",))], frozen=True, forbid_unknown_fields=True
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
    series: list[Any] | None = None  # SeriesPeriod
    breakdown: list[Any] | None = None  # ChannelRow or AgentRow, as asked


class Report(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """`GET /api/v1/analytics/report`: figures of P = [since, until), as of T."""

    since: Instant
    until: Instant
    as_of: Instant
    timezone: str
    totals: PeriodFigures
    series: list[Any] | None = None  # SeriesPeriod
    previous: PreviousReport | None = None
    breakdown: list[Any] | None = None  # ChannelRow or AgentRow, as asked


def csv_columns(row_type: type[msgspec.Struct]) -> list[str]:
    """A row type's CSV columns: its fields in order, the channel mix left out (SPEC §4)."""
    return [name for name, _ in _fields(row_type, ("channel_mix",))]
