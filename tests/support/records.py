"""One valid record per event type as Kafka value bytes, with fields overridden or dropped, for decode tables."""

from __future__ import annotations

from typing import Any

import orjson

from events.decode import decode_event

NOW_US = 1_714_564_800_000_000  # 2024-05-01T12:00:00Z
LIMIT_US = 300_000_000
DROP = object()  # marks a field to leave out of a record
CREATED, MESSAGE, STATUS, RATED, AGENT, ASSIGNED, LABELS = (
    "conversation.created",
    "conversation.message_created",
    "conversation.status_changed",
    "conversation.rated",
    "agent.status_changed",
    "conversation.assigned",
    "conversation.labels_changed",
)

_BASE: dict[str, dict[str, Any]] = {
    CREATED: {"conversation_id": "c1", "channel": "whatsapp"},
    MESSAGE: {"conversation_id": "c1", "sender_type": "agent", "agent_id": "a1"},
    STATUS: {"conversation_id": "c1", "status": "resolved", "agent_id": "a1"},
    RATED: {"conversation_id": "c1", "rating": 5},
    AGENT: {"agent_id": "a1", "status": "live", "name": "Sarah Chen"},
    ASSIGNED: {"conversation_id": "c1", "team_id": "t1", "agent_id": "a1"},
    LABELS: {"conversation_id": "c1", "labels": ["vip", "billing"]},
}


def record(event_type: str, **fields: Any) -> bytes:
    """A valid record of ``event_type`` with ``fields`` overriding (``DROP`` removes one)."""
    doc: dict[str, Any] = {
        "event_id": "e1",
        "type": event_type,
        "account_id": "acme",
        "occurred_at": "2024-05-01T11:00:00Z",
        **_BASE[event_type],
        **fields,
    }
    return orjson.dumps({k: v for k, v in doc.items() if v is not DROP})


def decode(value: bytes, key: bytes | None = b"acme") -> Any:
    return decode_event(value, key=key, now_us=NOW_US, max_ahead_us=LIMIT_US)
