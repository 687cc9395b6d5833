"""The OpenAPI 3.1 document, written by hand to state exactly what the endpoints answer.

Starlette has no generator that can express integer-vs-number, nullable CSAT or the
per-status headers, so the document is a literal; the tests hold the endpoints to it.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

_COUNT: JsonObject = {"type": "integer", "minimum": 0}
_SECONDS: JsonObject = {"type": "integer", "minimum": 0, "description": "Seconds, rounded half away from zero."}
_PERCENT: JsonObject = {"type": "number", "minimum": 0, "maximum": 100, "description": "Percent, one decimal."}

OVERVIEW_SCHEMA: JsonObject = {
    "type": "object",
    "description": "Support metrics of the token's account over the 30 days before the request.",
    "properties": {
        "total_conversations": {**_COUNT, "description": "Conversations created in the window."},
        "avg_first_response": {**_SECONDS, "description": "Mean seconds from creation to the first agent reply."},
        "resolution_rate": {**_PERCENT, "description": "Percent of the window's conversations now resolved."},
        "active_agents": {**_COUNT, "description": "Agents whose status is now live or away."},
        "channel_mix": {
            "type": "object",
            "description": "Percent of the window's conversations per channel, one decimal each, summing to 100.0.",
            "propertyNames": {"pattern": "^[a-z0-9][a-z0-9_-]{0,31}$"},
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100},
        },
        "top_agents": {
            "type": "array",
            "description": "Up to five agents with the most resolutions in the window, most first.",
            "maxItems": 5,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "resolved": _COUNT,
                    "agent_id": {"type": "string", "minLength": 1, "maxLength": 128},
                },
                "required": ["name", "resolved", "agent_id"],
                "additionalProperties": False,
            },
        },
        "quick_pulse_open": {**_COUNT, "description": "Conversations now open, of any age."},
        "median_handle_time": {**_SECONDS, "description": "Median seconds from creation to resolution."},
        "avg_handle_time": {**_SECONDS, "description": "Mean seconds from creation to resolution."},
        "customer_happiness": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": 100,
            "description": "CSAT: percent of ratings 4 or 5; null when there is no rating in the window.",
        },
    },
    "additionalProperties": False,
}
OVERVIEW_SCHEMA["required"] = list(OVERVIEW_SCHEMA["properties"])

# The fields the overview endpoint answers with, in SPEC order.
OVERVIEW_FIELDS: tuple[str, ...] = tuple(OVERVIEW_SCHEMA["properties"])

ERROR_SCHEMA: JsonObject = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "Machine-readable code."},
        "message": {"type": "string", "description": "Human-readable explanation."},
    },
    "required": ["error", "message"],
    "additionalProperties": False,
}


def _error(description: str, codes: list[str], headers: JsonObject | None = None) -> JsonObject:
    """A response whose body is an Error with `error` limited to `codes`."""
    schema = {"allOf": [{"$ref": "#/components/schemas/Error"}, {"properties": {"error": {"enum": codes}}}]}
    response: JsonObject = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _header(description: str, schema: JsonObject) -> JsonObject:
    return {"description": description, "required": True, "schema": schema}


_NO_STORE = {
    "Cache-Control": _header("Answers are per token and never cached.", {"type": "string", "const": "no-store"})
}

_RESPONSES: JsonObject = {
    "Unauthorized": _error(
        "Missing, malformed, unknown or revoked token (RFC 6750).",
        ["missing_token", "invalid_token"],
        {
            "WWW-Authenticate": _header(
                'Bearer challenge; error="invalid_token" when a bearer token was sent but refused.',
                {"type": "string", "pattern": '^Bearer realm="pingback"'},
            ),
            **_NO_STORE,
        },
    ),
    "NotReady": _error(
        "The account's state is recovering or rebalancing; retry later. Never a partial figure.",
        ["not_ready"],
        {"Retry-After": _header("Seconds to wait before retrying.", {"type": "integer", "minimum": 0}), **_NO_STORE},
    ),
    "NotFound": _error("No such path.", ["not_found"]),
    "MethodNotAllowed": _error(
        "The path exists but not for this method.",
        ["method_not_allowed"],
        {"Allow": _header("The methods the path accepts.", {"type": "string"})},
    ),
    "InternalError": _error("The server failed; details are in its log.", ["internal_error"]),
}


def _json(description: str, schema: JsonObject) -> JsonObject:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(summary: str, responses: JsonObject, **extra: Any) -> JsonObject:
    # Every operation can fail with 500; 404 and 405 concern paths and methods not listed here.
    return {"get": {"summary": summary, **extra, "responses": {**responses, "500": _ref("InternalError")}}}


def _ref(response: str) -> JsonObject:
    return {"$ref": f"#/components/responses/{response}"}


def _live_paths() -> JsonObject:
    """The overview stream and the wallboard that reads it (served when the host tracks changes)."""
    return {
        "/api/v1/analytics/overview/stream": _operation(
            "The overview as Server-Sent Events, sent again whenever the figures change",
            {
                "200": {
                    "description": "An endless text/event-stream: `event: overview` with the same JSON as "
                    "getOverview (`id:` its version) on connect and after each change, at most about 4 per "
                    "second; `event: unavailable` with an Error body while the figures cannot be exact; "
                    "a `: heartbeat` comment when idle; a `retry:` hint for reconnecting.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    "headers": _NO_STORE,
                },
                "401": _ref("Unauthorized"),
            },
            operationId="streamOverview",
            security=[{"bearer": []}],
        ),
        "/wallboard": _operation(
            "A self-contained live page of the overview; asks for a token once and keeps it in the browser",
            {"200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}}},
        ),
    }


def openapi_document(*, live: bool = False) -> JsonObject:
    """The document; `live` adds the stream and the wallboard."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pingback Metrics",
            "version": "1.0.0",
            "description": "Support analytics computed from the account's event stream. "
            "Every non-2xx answer is a JSON Error; unknown paths answer 404 (NotFound) "
            "and known paths with another method 405 (MethodNotAllowed).",
        },
        "paths": {
            "/api/v1/analytics/overview": _operation(
                "Snapshot of the account's key support metrics over the past 30 days",
                {
                    "200": {
                        **_json("The overview of the token's account.", {"$ref": "#/components/schemas/Overview"}),
                        "headers": _NO_STORE,
                    },
                    "401": _ref("Unauthorized"),
                    "503": _ref("NotReady"),
                },
                operationId="getOverview",
                security=[{"bearer": []}],
            ),
            "/healthz": _operation(
                "Liveness",
                {
                    "200": _json(
                        "The process is alive.",
                        {"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]},
                    ),
                    "503": _error("Alive but stalled (records waiting, none processed); restart it. `message` says why.",
                                  ["unhealthy"]),  # fmt: skip
                },
            ),
            "/readyz": _operation(
                "Readiness",
                {
                    "200": _json(
                        "Ready to serve.",
                        {
                            "type": "object",
                            "properties": {"status": {"const": "ready"}, "reason": {"type": "string"}},
                            "required": ["status", "reason"],
                        },
                    ),
                    "503": _error("Not ready to serve; `message` says why.", ["not_ready"]),
                },
            ),
            "/metrics": _operation(
                "Prometheus metrics",
                {
                    "200": {
                        "description": "Prometheus text exposition.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            ),
            "/openapi.json": _operation("This document", {"200": _json("OpenAPI 3.1 document.", {"type": "object"})}),
            **(_live_paths() if live else {}),
        },
        "components": {
            "schemas": {"Overview": OVERVIEW_SCHEMA, "Error": ERROR_SCHEMA},
            "responses": _RESPONSES,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "pbk_<key_id>_<secret>"}
            },
        },
    }
