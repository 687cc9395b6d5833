"""The body of an HTTP ingest request: read within the limits, un-gzipped, split into events.

A body is a JSON array of events or NDJSON (`application/x-ndjson`, one event per line, blank
lines skipped). Splitting keeps each event's exact bytes (a JSON array is cut with msgspec.Raw),
so what reaches Kafka is what the client sent, as with `pingback import`. Judging each event is
the caller's job; this module only refuses bodies that cannot be read as a list at all.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import msgspec

MAX_EVENTS = 1_000
MAX_BYTES = 1024 * 1024  # 1 MiB, of the body as sent and again after decompression
NDJSON = "application/x-ndjson"
JSON = "application/json"
LIMITS = f"at most {MAX_EVENTS:,} events and {MAX_BYTES:,} bytes (1 MiB, after gzip decompression) per request"

_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])


class BodyError(Exception):
    """The body as a whole cannot be taken: `status` and `code` for the JSON error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def too_large(what: str) -> BodyError:
    return BodyError(413, "payload_too_large", f"{what}; the limits are {LIMITS}")


async def read_limited(chunks: AsyncIterator[bytes]) -> bytes:
    """The raw body, refused as soon as it passes MAX_BYTES (a huge upload is never buffered)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_BYTES:
            raise too_large(f"the body has more than {MAX_BYTES:,} bytes")
        parts.append(chunk)
    return b"".join(parts)


def decode_content(body: bytes, encoding: str | None) -> bytes:
    """The body after its Content-Encoding: identity or gzip, never more than MAX_BYTES."""
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        return body
    if coding not in ("gzip", "x-gzip"):
        raise BodyError(
            415, "unsupported_media_type", f"Content-Encoding {coding!r} is not supported; use gzip or none"
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: gzip framing only
    try:
        plain = inflater.decompress(body, MAX_BYTES + 1)  # bounded: a gzip bomb stops here
        if len(plain) > MAX_BYTES:
            raise too_large(f"the body decompresses to more than {MAX_BYTES:,} bytes")
        if not inflater.eof:
            raise BodyError(400, "invalid_body", "the gzip body is truncated")
    except zlib.error as exc:
        raise BodyError(400, "invalid_body", f"the body is not valid gzip: {exc}") from None
    return plain


def split_events(body: bytes, content_type: str | None) -> list[bytes]:
    """Each event's bytes, in order; BodyError when the body is not a list of events at all."""
    media = (content_type or JSON).split(";", 1)[0].strip().lower()
    if media == NDJSON:
        events = [line for line in body.splitlines() if line.strip()]
    elif media == JSON or media.endswith("+json"):
        events = _json_array(body)
    else:
        raise BodyError(415, "unsupported_media_type", f"Content-Type {media!r}: send {JSON} (an array) or {NDJSON}")
    if len(events) > MAX_EVENTS:
        raise too_large(f"the body has {len(events):,} events")
    return events


def _json_array(body: bytes) -> list[bytes]:
    try:
        return [bytes(raw) for raw in _ARRAY.decode(body)]
    except msgspec.ValidationError:
        raise BodyError(400, "invalid_body", f"the body must be a JSON array of events (or {NDJSON})") from None
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BodyError(400, "invalid_body", f"the body is not valid JSON: {exc}") from None
