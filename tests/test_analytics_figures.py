"""The CSV columns of each report row (SPEC §4): its figures in order, the channel mix left out."""

from __future__ import annotations

from analytics.figures import AgentRow, ChannelRow, SeriesPeriod, csv_columns

FIGURES = [
    "total_conversations",
    "resolution_rate",
    "resolved",
    "median_handle_time",
    "p90_handle_time",
    "avg_handle_time",
    "first_responses",
    "avg_first_response",
    "median_first_response",
    "p90_first_response",
    "ratings",
    "customer_happiness",
]


def test_csv_columns_are_the_row_fields_without_the_channel_mix() -> None:
    assert csv_columns(SeriesPeriod) == ["start", "end", *FIGURES]
    assert csv_columns(ChannelRow) == ["channel", *FIGURES]
    assert csv_columns(AgentRow) == [
        "agent_id",
        "name",
        *(f for f in FIGURES if f not in ("total_conversations", "resolution_rate")),
        "time_live",
        "time_away",
        "time_offline",
    ]
