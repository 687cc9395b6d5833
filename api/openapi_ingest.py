"""The OpenAPI paths of the ingest doors (`api.ingest`, `api.chatwoot`), added by `api.openapi`.

Self-contained apart from `$ref`s to the shared components (Error, Unauthorized, Forbidden,
NotReady, InternalError), so the main document only has to include them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from api.ingest_body import LIMITS, NDJSON
from api.openapi_report import portable
from events.schema import EVENT_TYPES

JsonObject = dict[str, Any]

_NO_STORE = {
    "Cache-Control": {
        "description": "Never cached.",
        "required": True,
        "schema": {"type": "string", "const": "no-store"},
    }
}

# Any item is taken: each is judged on its own, and one that breaks SPEC §1 is listed in the
# answer's `rejected` (a 200), never a reason to refuse the whole request.
_EVENT: JsonObject = {
    "description": "A SPEC §1/§5 event (schema: `#/components/schemas/Event`): `event_id`, `type`, `account_id` "
    "(the key's account), `occurred_at` (RFC 3339 with offset) and the fields of its type, checked exactly as the "
    "worker checks a record.",
}


def event_schemas() -> JsonObject:
    """Components for every event type (from `events.schema`, the one definition) and `Event`, any of them by `type`."""
    _, components = msgspec.json.schema_components(EVENT_TYPES.values(), ref_template="#/components/schemas/{name}")
    refs = [{"$ref": f"#/components/schemas/{cls.__name__}"} for cls in EVENT_TYPES.values()]
    event = {
        "oneOf": refs,
        "discriminator": {
            "propertyName": "type",
            "mapping": {tag: f"#/components/schemas/{cls.__name__}" for tag, cls in EVENT_TYPES.items()},
        },
    }
    return {**portable(components), "Event": event}


_RESULT: JsonObject = {
    "type": "object",
    "properties": {
        "accepted": {"type": "integer", "minimum": 0, "description": "Events produced and acknowledged by Kafka."},
        "rejected": {
            "type": "array",
            "description": "Events refused, never produced: fix and send them again.",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer", "minimum": 0, "description": "0-based position among the events."},
                    "event_id": {"type": ["string", "null"], "description": "Its event_id, when it has a string one."},
                    "reason": {"type": "string", "description": "The field and the rule it breaks."},
                },
                "required": ["index", "event_id", "reason"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["accepted", "rejected"],
    "additionalProperties": False,
}

_WEBHOOK_RESULT: JsonObject = {
    "type": "object",
    "properties": {
        "outcome": {"enum": ["mapped", "ignored", "dead_lettered"]},
        "events": {"type": "integer", "minimum": 0, "description": "Events produced from this delivery."},
        "message": {"type": "string"},
    },
    "required": ["outcome", "events", "message"],
    "additionalProperties": False,
}


def _error(description: str, codes: list[str]) -> JsonObject:
    schema = {"allOf": [{"$ref": "#/components/schemas/Error"}, {"properties": {"error": {"enum": codes}}}]}
    return {"description": description, "content": {"application/json": {"schema": schema}}, "headers": _NO_STORE}


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/responses/{name}"}


def _ok(description: str, schema: JsonObject) -> JsonObject:
    return {"description": description, "content": {"application/json": {"schema": schema}}, "headers": _NO_STORE}


def ingest_paths() -> JsonObject:
    events = {
        "summary": "Send SPEC §1 events: produced to the event topics, acknowledged by Kafka before the answer",
        "operationId": "postEvents",
        "security": [{"bearer": []}],
        "description": f"An `ingest`-scope key. A JSON array or NDJSON, optionally `Content-Encoding: gzip`; "
        f"{LIMITS}. On 503 retry the whole request: events already written are deduplicated by `event_id`.",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": _EVENT}},
                NDJSON: {"schema": {"description": "One event per line (any text: each line is judged on its own)."}},
            },
        },
        "responses": {
            "200": _ok("Every valid event was produced; the others are listed.", _RESULT),
            "400": _error("The body is not JSON, not an array, or not valid gzip.", ["invalid_body"]),
            "401": _ref("Unauthorized"),
            "403": _ref("Forbidden"),
            "413": _error(f"Too many events or bytes: {LIMITS}.", ["payload_too_large"]),
            "415": _error(
                "A Content-Type or Content-Encoding this endpoint does not read.", ["unsupported_media_type"]
            ),
            "503": _ref("NotReady"),
            "500": _ref("InternalError"),
        },
    }
    chatwoot = {
        "summary": "A Chatwoot account webhook, mapped to SPEC §1 events",
        "operationId": "postChatwootWebhook",
        "description": "The path carries an `ingest`-scope token (webhooks cannot send headers). With a webhook "
        'secret on the key, `X-Chatwoot-Signature: sha256=HMAC(secret, "{X-Chatwoot-Timestamp}.{body}")` '
        "must verify and the timestamp be within 5 minutes. Unmapped events are ignored; an unreadable "
        "payload goes to the dead-letter topic. Both answer 200, so Chatwoot does not retry them.",
        "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}},
        "responses": {
            "200": _ok("Mapped, ignored or dead-lettered; `message` says which and why.", _WEBHOOK_RESULT),
            "401": _error(
                "Unknown or revoked token, or a missing, wrong or stale signature.",
                ["invalid_token", "invalid_signature"],
            ),
            "403": _ref("Forbidden"),
            "413": _error("A delivery of more than 1 MiB.", ["payload_too_large"]),
            "503": _ref("NotReady"),
            "500": _ref("InternalError"),
        },
    }
    return {"/api/v1/events": {"post": events}, "/api/v1/ingest/chatwoot/{token}": {"post": chatwoot}}
