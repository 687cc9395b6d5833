"""The OpenAPI of `GET /api/v1/analytics/report`, with schemas derived from `analytics.figures`."""

from __future__ import annotations

from typing import Any

import msgspec

from analytics.figures import DIMENSION_ROWS, AgentRow, ChannelRow, PeriodFigures, PreviousReport, Report, SeriesPeriod
from analytics.periods import UNITS
from api.report import REPORT_PATH

JsonObject = dict[str, Any]
_REF = "#/components/schemas/{name}"


def portable(node: Any) -> Any:
    """A schema whose patterns work in every JSON Schema engine: the event rules end in Python's \\Z
    (so "acme\\n" cannot pass), which ECMA-262 regexes write as $."""
    if isinstance(node, dict):
        return {k: (v.replace("\\Z", "$") if k == "pattern" else portable(v)) for k, v in node.items()}
    return [portable(item) for item in node] if isinstance(node, list) else node


def report_schemas() -> JsonObject:
    """Components for the report and its rows; `breakdown` is an array of one row kind or the other."""
    row_types: list[type[msgspec.Struct]] = [ChannelRow, AgentRow, *DIMENSION_ROWS.values()]
    _, components = msgspec.json.schema_components([Report, PeriodFigures, SeriesPeriod, *row_types], ref_template=_REF)
    components = dict(portable(components))
    rows = {
        "anyOf": [  # not oneOf: an empty array is all of them
            {"type": "array", "items": {"$ref": _REF.format(name=row.__name__)}} for row in row_types
        ],
        "description": "breakdown=channel: ChannelRow, most conversations first; breakdown=agent: AgentRow, "
        "most resolutions first; breakdown=team, inbox or label: TeamRow, InboxRow or LabelRow, most "
        "conversations first (the null team or inbox last).",
    }
    for name in (Report.__name__, PreviousReport.__name__):
        properties = components[name]["properties"]
        for field, schema in properties.items():
            # An optional part is left out, never sent as null.
            if {"type": "null"} in schema.get("anyOf", []):
                (properties[field],) = [choice for choice in schema["anyOf"] if choice != {"type": "null"}]
        properties["breakdown"] = rows
    components["InvalidParameter"] = {
        "type": "object",
        "properties": {
            "error": {"const": "invalid_parameter"},
            "parameter": {"type": "string", "description": "The query parameter at fault."},
            "message": {"type": "string"},
        },
        "required": ["error", "parameter", "message"],
        "additionalProperties": False,
    }
    return components


def _parameter(name: str, description: str, schema: JsonObject, required: bool = False) -> JsonObject:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


_ID: JsonObject = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^\\x00-\\x1f\\x7f]+$"}
_FILTERS: list[tuple[str, str, JsonObject]] = [
    ("channel", "of this channel", {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,31}$"}),
    ("inbox_id", "that came in through this inbox", _ID),
    ("team_id", "whose current team is this one", _ID),
    ("assignee_id", "whose current assignee is this agent", _ID),
    ("label", "whose current labels include this one", {**_ID, "maxLength": 64}),
]
_INSTANT = {"type": "string", "description": "RFC 3339 with offset, or YYYY-MM-DD (00:00 in `timezone`)."}


def too_many_requests(no_store: JsonObject) -> JsonObject:
    """The 429 of the report endpoint (an Error with `too_many_requests`)."""
    schema = {
        "allOf": [{"$ref": _REF.format(name="Error")}, {"properties": {"error": {"enum": ["too_many_requests"]}}}]
    }
    retry_after = {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
    return {
        "description": "This account already has its cap of reports being computed (queued or running; "
        "PINGBACK_REPORT_CONCURRENCY_PER_ACCOUNT), or the worker has (PINGBACK_REPORT_QUEUE_LIMIT); "
        "`message` says which. Retry after Retry-After seconds; identical requests made meanwhile "
        "share one computation and are not refused.",
        "headers": {"Retry-After": retry_after, **no_store},
        "content": {"application/json": {"schema": schema}},
    }


def report_path(no_store: JsonObject, responses: dict[str, JsonObject]) -> JsonObject:
    """The path item; `responses` are the shared 401/503/500 references."""
    return {
        REPORT_PATH: {
            "get": {
                "summary": "Figures of any period in the account's time zone, with series, comparison and breakdowns",
                "operationId": "getReport",
                "security": [{"bearer": []}],
                "parameters": [
                    _parameter("since", "Start of P = [since, until).", _INSTANT, required=True),
                    _parameter("until", "End of P (exclusive); default now.", _INSTANT),
                    _parameter("timezone", "IANA zone for dates, series and offsets; default UTC.", {"type": "string"}),
                    _parameter("group_by", "Adds `series`.", {"enum": list(UNITS)}),
                    _parameter("compare", "Adds `previous`.", {"enum": ["previous"]}),
                    _parameter(
                        "breakdown",
                        "Adds `breakdown` rows over P.",
                        {"enum": ["channel", "agent", "team", "inbox", "label"]},
                    ),
                    _parameter("format", "Default json.", {"enum": ["json", "csv"]}),
                    *(
                        _parameter(name, f"Only the items of conversations {rule} (SPEC §5).", schema)
                        for name, rule, schema in _FILTERS
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The report (CSV: the series, else the breakdown rows, else the totals).",
                        "headers": no_store,
                        "content": {
                            "application/json": {"schema": {"$ref": _REF.format(name="Report")}},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "400": {
                        "description": "A parameter is unknown, repeated or invalid; `parameter` names it.",
                        "content": {"application/json": {"schema": {"$ref": _REF.format(name="InvalidParameter")}}},
                    },
                    "429": too_many_requests(no_store),
                    **responses,
                },
            }
        }
    }
