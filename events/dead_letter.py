"""Dead-letter records: a rejected record's exact bytes, where it came from, and why.

The value is one JSON object::

    {"reason": "`rating`: expected an integer from 1 to 5, got 7",
     "source_topic": "conversation-events", "source_partition": 3, "source_offset": 1234,
     "original_key": "YWNtZQ==",            # base64, or null when the record had no key
     "original_value": "eyJ0eXBlIjoi...",   # base64: arbitrary bytes survive JSON
     "original_value_text": "{\"type\":...", # present only when the bytes are valid UTF-8
     "rejected_at": "2024-05-01T12:00:00.123456Z"}

The Kafka record itself keeps the original key, so dead letters partition by account like their
source, and replaying one needs nothing from the value but the bytes.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Annotated, Optional

import msgspec
import orjson

from events.errors import InvalidDeadLetter

__all__ = ["DeadLetter", "dead_letter_value", "parse_dead_letter"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed dead-letter value; ``original_key``/``original_value`` are the raw bytes again."""

    reason: str
    source_topic: str
    source_partition: int
    source_offset: int
    original_key: Optional[bytes]  # msgspec decodes base64 JSON strings into bytes
    original_value: bytes
    rejected_at: Annotated[datetime, msgspec.Meta(tz=True)]
    original_value_text: Optional[str] = None


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
) -> bytes:
    """The dead-letter value for one rejected record; ``rejected_at_us`` is epoch microseconds."""
    record: dict[str, object] = {
        "reason": reason,
        "source_topic": source_topic,
        "source_partition": source_partition,
        "source_offset": source_offset,
        "original_key": None if original_key is None else _b64(original_key),
        "original_value": _b64(original_value),
        # Integer arithmetic end to end, so the instant is exact to the microsecond.
        "rejected_at": _EPOCH + timedelta(microseconds=rejected_at_us),
    }
    try:
        # A person reading the topic should not have to decode base64 to see ordinary JSON.
        record["original_value_text"] = original_value.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return orjson.dumps(record, option=orjson.OPT_UTC_Z)


def parse_dead_letter(value: bytes) -> DeadLetter:
    """Inverse of ``dead_letter_value``, for tests and tools; raises ``InvalidDeadLetter``."""
    try:
        return _DECODER.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise InvalidDeadLetter(f"not a dead-letter record: {exc}") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
