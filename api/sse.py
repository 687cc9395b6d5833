"""Server-Sent Events framing (WHATWG HTML §9.2): the few byte shapes the streams send.

Frames are built once and fanned out as bytes, so every listener of an account gets the
very same buffer and no listener pays for encoding.
"""

from __future__ import annotations

import orjson

MEDIA_TYPE = "text/event-stream"
# A comment line: clients ignore it, but it keeps proxies from closing an idle connection and
# lets a client notice a dead one.
HEARTBEAT = b": heartbeat\n\n"


def event(name: str, data: bytes, event_id: int | None = None) -> bytes:
    """One event; `data` must hold no newline (orjson never writes one)."""
    head = f"event: {name}\n" if event_id is None else f"event: {name}\nid: {event_id}\n"
    return head.encode() + b"data: " + data + b"\n\n"


def retry(milliseconds: int) -> bytes:
    """How long a client should wait before reconnecting after the stream ends."""
    return f"retry: {milliseconds}\n\n".encode()


def unavailable(reason: str, error: str = "not_ready") -> bytes:
    """No figures can be sent right now; the data is the API's error shape, `{"error", "message"}`."""
    return event("unavailable", orjson.dumps({"error": error, "message": reason}))
