"""Dead letters are bounded whatever the rejected record (issue #11 item 1, SPEC §1).

A 450 KB poison made a ~1 MB dead letter the producer refused, so the record could neither be
folded nor set aside. Above `keep_bytes` the value is cut, with its full size and SHA-256.
"""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest

from analytics.window import Views
from events.dead_letter import DEFAULT_KEEP_BYTES, dead_letter_value, parse_dead_letter
from streams.ingest import Ingestor, Record, Rejected

POISON = b'{"event_id": "e", "type": "conversation.rated", "rating": 7, "padding": "' + b"x" * 450_000 + b'"}'


def letter(value: bytes, key: bytes | None = b"acme", keep_bytes: int = DEFAULT_KEEP_BYTES) -> bytes:
    return dead_letter_value(
        reason="`rating`: expected an integer from 1 to 5, got 7",
        source_topic="t",
        source_partition=2,
        source_offset=77,
        original_key=key,
        original_value=value,
        rejected_at_us=0,
        keep_bytes=keep_bytes,
    )


def test_a_value_above_the_limit_is_kept_truncated_with_its_size_and_hash() -> None:
    raw = letter(POISON)
    parsed = parse_dead_letter(raw)
    assert parsed.truncated is True
    assert parsed.original_value == POISON[:DEFAULT_KEEP_BYTES]
    assert parsed.original_value_size == len(POISON)
    assert parsed.original_value_sha256 == hashlib.sha256(POISON).hexdigest()
    assert (parsed.source_topic, parsed.source_partition, parsed.source_offset) == ("t", 2, 77)
    assert parsed.original_value_text == POISON[:DEFAULT_KEEP_BYTES].decode()
    assert len(raw) < 200_000


def test_a_value_within_the_limit_is_kept_whole_and_still_identified() -> None:
    parsed = parse_dead_letter(letter(b'{"rating": 7}'))
    assert parsed.truncated is False and parsed.original_value == b'{"rating": 7}'
    assert parsed.original_value_size == 13
    assert parsed.original_value_sha256 == hashlib.sha256(b'{"rating": 7}').hexdigest()


@pytest.mark.parametrize(
    "value",
    [
        b"\x01" * 1_000_000,  # control characters: six bytes each once JSON-escaped
        "é".encode() * 500_000,  # multi-byte text cut in the middle of a character
        bytes(range(256)) * 4000,  # binary
    ],
)
def test_no_input_makes_a_dead_letter_larger_than_its_bound(value: bytes) -> None:
    raw = letter(value, key=b"k" * 1_000_000)
    # Value and key in base64, at most twice the kept bytes of text, and a few hundred bytes of fields.
    assert len(raw) <= DEFAULT_KEEP_BYTES * (4 / 3 + 2 + 4 / 3) + 1024
    parsed = parse_dead_letter(raw)
    assert parsed.original_value == value[:DEFAULT_KEEP_BYTES] and parsed.truncated
    assert parsed.original_key == b"k" * DEFAULT_KEEP_BYTES
    assert parsed.original_value_sha256 == hashlib.sha256(value).hexdigest()
    if parsed.original_value_text is not None:
        assert len(orjson.dumps(parsed.original_value_text)) <= 2 * DEFAULT_KEEP_BYTES + 2


def test_the_ingestor_bounds_the_dead_letter_and_its_kafka_key() -> None:
    ingestor = Ingestor(
        conversations={},
        agents={},
        views=Views(),
        max_ahead_us=0,
        clock_us=lambda: 0,
        partition_of=lambda account: 0,
        dead_letter_keep_bytes=1024,
    )
    outcome = ingestor.ingest(Record("t", 0, 5, b"a" * 5000, POISON))
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter_key == b"a" * 1024
    parsed = parse_dead_letter(outcome.dead_letter)
    assert base64.b64encode(parsed.original_value) == base64.b64encode(POISON[:1024])
    assert parsed.original_value_size == len(POISON) and len(outcome.dead_letter) < 8 * 1024


@pytest.mark.parametrize(
    ("value", "readable"),
    [
        (b'{"type": "x"}', True),
        (b"\n\t\\", True),  # escapes of two bytes each: at most twice as long, plus the quotes
        (b"\x01abcd", True),  # one six-byte escape in five bytes: exactly twice as long plus two
        (b"\x01abc", False),  # ... in four bytes: longer than that
        (b"\x01ab", False),
        (b"\xff{}", False),  # not UTF-8
    ],
)
def test_the_value_is_also_kept_as_text_when_that_stays_short(value: bytes, readable: bool) -> None:
    kept = orjson.loads(letter(value))
    assert kept.get("original_value_text") == (value.decode() if readable else None)
