"""The OpenAPI 3.1 document: the figure sets' schemas derived from their definitions in
`analytics.figures`, the operations, headers and error shapes written out; the tests hold the
endpoints to it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from analytics.figures import Overview
from api.openapi_agents import agents_path, agents_schemas
from api.openapi_ingest import event_schemas, ingest_paths
from api.openapi_report import portable, report_path, report_schemas

JsonObject = dict[str, Any]


def _self_contained(struct: type[msgspec.Struct]) -> JsonObject:
    """The JSON schema of `struct` with the structs it uses written inline, so it validates on its own."""
    definitions = msgspec.json.schema(struct)["$defs"]

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"$ref"}:
                return inline(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items()}
        return [inline(item) for item in node] if isinstance(node, list) else node

    schema: JsonObject = portable(inline(definitions[struct.__name__]))
    return schema


# The SPEC §3 overview, derived from its one definition (`analytics.figures.Overview`).
OVERVIEW_SCHEMA: JsonObject = _self_contained(Overview)
# The fields the overview endpoint answers with, in SPEC order.
OVERVIEW_FIELDS: tuple[str, ...] = tuple(field.name for field in msgspec.structs.fields(Overview))

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
    "Forbidden": _error(
        "A live key of the other scope: `read` keys read, `ingest` keys send events (RFC 6750 insufficient_scope).",
        ["insufficient_scope"],
        {
            "WWW-Authenticate": _header(
                'Bearer challenge with error="insufficient_scope" and the scope the endpoint needs.',
                {"type": "string", "pattern": '^Bearer realm="pingback", error="insufficient_scope", scope="'},
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
                "403": _ref("Forbidden"),
            },
            operationId="streamOverview",
            security=[{"bearer": []}],
        ),
        "/wallboard": _operation(
            "A self-contained live page of the overview; asks for a token once and keeps it in the browser",
            {"200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}}},
        ),
    }


def openapi_document(
    *, live: bool = False, reports: bool = False, ingest: bool = False, agents: bool = False
) -> JsonObject:
    """The document; `live` adds the stream and the wallboard, `reports` the report endpoint, `ingest`
    the ingest doors, `agents` the agents-on-duty endpoint."""
    # Every account endpoint that reads: a refused token, a key of the other scope, not ready yet.
    shared = {
        "401": _ref("Unauthorized"),
        "403": _ref("Forbidden"),
        "503": _ref("NotReady"),
        "500": _ref("InternalError"),
    }
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
                    "403": _ref("Forbidden"),
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
                    "503": _error(
                        "Alive but stalled (records waiting, none processed); restart it. `message` says why.",
                        ["unhealthy"],
                    ),
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
            **(report_path(_NO_STORE, shared) if reports else {}),
            **(ingest_paths() if ingest else {}),
            **(agents_path(_NO_STORE, shared) if agents else {}),
        },
        "components": {
            "schemas": {
                "Overview": OVERVIEW_SCHEMA,
                "Error": ERROR_SCHEMA,
                **(report_schemas() if reports else {}),
                **(agents_schemas() if agents else {}),
                **(event_schemas() if ingest else {}),
            },
            "responses": _RESPONSES,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "pbk_<key_id>_<secret>"}
            },
        },
    }
