"""Dead-letter records: a rejected record's exact bytes, where it came from, and why.

The value is one JSON object::

    {"reason": "`rating`: expected an integer from 1 to 5, got 7",
     "source_topic": "conversation-events", "source_partition": 3, "source_offset": 1234,
     "original_key": "YWNtZQ==",            # base64, or null when the record had no key
     "original_value": "eyJ0eXBlIjoi...",   # base64: arbitrary bytes survive JSON
     "original_value_text": "{\"type\":...", # present only when the bytes are valid UTF-8 (and short)
     "original_value_size": 1234, "original_value_sha256": "9f86d0...", "truncated": false,
     "rejected_at": "2024-05-01T12:00:00.123456Z"}

The Kafka record itself keeps the original key, so dead letters partition by account like their
source, and replaying one needs nothing from the value but the bytes.

A dead letter must fit the dead-letter topic, or the record could neither be folded nor set
aside (issue #11: a 450 KB poison made a ~1 MB dead letter the producer refused). So at most
`keep_bytes` of the original value and key are copied: a longer value is cut there, with
`truncated` set, and its full size and SHA-256 identify it; the source offset still points at the
whole record. With the default of 64 KiB a dead letter stays under 400 KB (key included), whatever the input.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated

import msgspec
import orjson

from events.errors import InvalidDeadLetter

__all__ = ["DeadLetter", "dead_letter_value", "parse_dead_letter"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How much of a rejected record's value (and key) a dead letter copies by default.
DEFAULT_KEEP_BYTES = 64 * 1024


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed dead-letter value; ``original_key``/``original_value`` are the raw bytes again."""

    reason: str
    source_topic: str
    source_partition: int
    source_offset: int
    original_key: bytes | None  # msgspec decodes base64 JSON strings into bytes
    original_value: bytes
    rejected_at: Annotated[datetime, msgspec.Meta(tz=True)]
    original_value_text: str | None = None
    # Absent in dead letters written before values were bounded (those always hold the whole value).
    original_value_size: int | None = None
    original_value_sha256: str | None = None
    truncated: bool = False


_DECODER = msgspec.json.Decoder(DeadLetter)


def dead_letter_value(
    *,
    reason: str,
    source_topic: str,
    source_partition: int,
    source_offset: int,
    original_key: bytes | None,
    original_value: bytes,
    rejected_at_us: int,
    keep_bytes: int = DEFAULT_KEEP_BYTES,
) -> bytes:
    """The dead-letter value for one rejected record; ``rejected_at_us`` is epoch microseconds.

    At most ``keep_bytes`` of the value and of the key are copied (see the module docstring).
    """
    kept = original_value[:keep_bytes]
    record: dict[str, object] = {
        "reason": reason,
        "source_topic": source_topic,
        "source_partition": source_partition,
        "source_offset": source_offset,
        "original_key": None if original_key is None else _b64(original_key[:keep_bytes]),
        "original_value": _b64(kept),
        "original_value_size": len(original_value),
        "original_value_sha256": hashlib.sha256(original_value).hexdigest(),
        "truncated": len(kept) < len(original_value),
        # Integer arithmetic end to end, so the instant is exact to the microsecond.
        "rejected_at": _EPOCH + timedelta(microseconds=rejected_at_us),
    }
    text = _readable(kept)
    if text is not None:
        record["original_value_text"] = text
    return orjson.dumps(record, option=orjson.OPT_UTC_Z)


def _readable(kept: bytes) -> str | None:
    """The kept bytes as text, so a person need not decode base64 to see ordinary JSON.

    Only when they are UTF-8 and stay short once JSON-escaped (control characters escape to six
    bytes each): the text is a convenience, the base64 copy is the record.
    """
    try:
        text = kept.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if len(orjson.dumps(text)) <= 2 * len(kept) + 2 else None


def parse_dead_letter(value: bytes) -> DeadLetter:
    """Inverse of ``dead_letter_value``, for tests and tools; raises ``InvalidDeadLetter``."""
    try:
        return _DECODER.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise InvalidDeadLetter(f"not a dead-letter record: {exc}") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
