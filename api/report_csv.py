"""A report as CSV (SPEC §4): the series periods, else the breakdown rows, else one row of totals.

Columns come from the row's type (`analytics.figures`): its fields in order, the channel mix left
out; `null` is an empty cell. `previous` is not in the CSV.
"""

from __future__ import annotations

import csv
import io

import msgspec

from analytics.figures import DIMENSION_ROWS, AgentRow, ChannelRow, PeriodFigures, Report, SeriesPeriod, csv_columns
from analytics.report import Breakdown


def report_csv(report: Report, breakdown: Breakdown | None) -> str:
    row_type: type[msgspec.Struct]
    if report.series is not None:
        row_type, rows = SeriesPeriod, report.series
    elif breakdown is not None:
        rows = report.breakdown or []
        row_types: dict[str, type[msgspec.Struct]] = {"channel": ChannelRow, "agent": AgentRow, **DIMENSION_ROWS}
        row_type = row_types[breakdown]
    else:
        row_type, rows = PeriodFigures, [report.totals]
    columns = csv_columns(row_type)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in (getattr(row, name) for name in columns)])
    return out.getvalue()
