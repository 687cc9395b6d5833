"""SPEC §1 as a table: which records decode, and what a rejected one is told."""

from __future__ import annotations

from typing import Any

import pytest

from analytics.time import epoch_us
from events.errors import EventFromFuture, KeyMismatch, MalformedEvent, SchemaViolation
from events.schema import (
    AgentStatusChanged,
    ConversationCreated,
    ConversationRated,
    ConversationStatusChanged,
    MessageCreated,
)
from events.topics import topic_for
from tests.support.records import AGENT, CREATED, DROP, LIMIT_US, MESSAGE, NOW_US, RATED, STATUS, decode, record


@pytest.mark.parametrize(
    "value, key, cls, expected",
    [
        # every type, with every optional field present
        (record(CREATED), b"acme", ConversationCreated, {"channel": "whatsapp"}),
        (record(MESSAGE), b"acme", MessageCreated, {"agent_id": "a1"}),
        (record(STATUS), b"acme", ConversationStatusChanged, {"status": "resolved"}),
        (record(RATED), b"acme", ConversationRated, {"rating": 5}),
        (record(AGENT), b"acme", AgentStatusChanged, {"name": "Sarah Chen"}),
        # no key on the record: nothing to compare account_id with
        (record(RATED, rating=1), None, ConversationRated, {"rating": 1}),
        # contact and bot messages need no agent_id
        (
            record(MESSAGE, sender_type="contact", agent_id=DROP),
            b"acme",
            MessageCreated,
            {"sender_type": "contact", "agent_id": None},
        ),
        (
            record(MESSAGE, sender_type="bot", agent_id=None),
            b"acme",
            MessageCreated,
            {"sender_type": "bot", "agent_id": None},
        ),
        # a status change may come from no one in particular (automation)
        (record(STATUS, agent_id=DROP), b"acme", ConversationStatusChanged, {"agent_id": None}),
        # an agent's display name is optional
        (record(AGENT, name=DROP), b"acme", AgentStatusChanged, {"name": None}),
        # producers may add fields; they are ignored, whatever their shape
        (record(RATED, extra={"nested": [1, 2.5, None]}, source="widget"), b"acme", ConversationRated, {"rating": 5}),
        # ids count characters, not bytes: 128 emoji are a valid id
        (record(CREATED, event_id="😀" * 128), b"acme", ConversationCreated, {"event_id": "😀" * 128}),
        # every account_id character class
        (
            record(CREATED, account_id="Acme_2.eu-west"),
            b"Acme_2.eu-west",
            ConversationCreated,
            {"account_id": "Acme_2.eu-west"},
        ),
        # a channel may be a digit-led name of 32 characters
        (record(CREATED, channel="9" + "a" * 31), b"acme", ConversationCreated, {"channel": "9" + "a" * 31}),
    ],
)
def test_valid_records_decode(value: bytes, key: bytes | None, cls: type, expected: dict[str, Any]) -> None:
    event = decode(value, key)
    assert type(event) is cls
    assert {name: getattr(event, name) for name in expected} == expected


@pytest.mark.parametrize(
    "occurred_at, expected_us",
    [
        # Z, whole seconds
        ("2024-05-01T11:00:00Z", 1_714_561_200_000_000),
        # Z with microseconds, kept exactly
        ("2024-05-01T11:00:00.123456Z", 1_714_561_200_123_456),
        # a positive half-hour offset is the same instant as 05:30 earlier in UTC
        ("2024-05-01T16:30:00.000001+05:30", 1_714_561_200_000_001),
        # a negative offset
        ("2024-05-01T03:00:00-08:00", 1_714_561_200_000_000),
        # exactly the allowed 300 s ahead is still accepted: only *more* is rejected
        ("2024-05-01T12:05:00Z", NOW_US + LIMIT_US),
        # long ago is fine: SPEC bounds only the future
        ("1999-12-31T23:59:59.999999+00:00", 946_684_799_999_999),
        # the earliest instant RFC 3339 can spell lies before year 1 in UTC, and is still exact
        ("0001-01-01T00:00:00+01:00", -62_135_600_400_000_000),
    ],
)
def test_timestamps_are_exact_instants(occurred_at: str, expected_us: int) -> None:
    assert epoch_us(decode(record(RATED, occurred_at=occurred_at)).occurred_at) == expected_us


LONG = "x" * 129
INVALID = [
    # bytes that are not JSON at all
    (b"not json", MalformedEvent, "not valid JSON: invalid character (byte 4)"),
    # JSON cut short
    (b'{"type": "conversation.rated"', MalformedEvent, "not valid JSON: input data was truncated"),
    # an empty value (a tombstone-like record) is not an event
    (b"", MalformedEvent, "not valid JSON: the value is empty"),
    # a schema error (rating 9) read before the JSON breaks off: still not JSON
    (b'{"type": "conversation.rated", "rating": 9, ', MalformedEvent, "not valid JSON: input data was truncated"),
    # two documents in one value
    (record(RATED) + b" {}", MalformedEvent, "not valid JSON: trailing characters (byte 138)"),
    # a lone surrogate escape is no Unicode text
    (
        record(RATED, event_id="X").replace(b'"X"', b'"\\ud800"'),
        MalformedEvent,
        "not valid JSON: unexpected end of hex escape (byte 19)",
    ),
    # absurd nesting, even in an ignored field
    (
        record(RATED).replace(b"{", b'{"x":' + b"[" * 5000 + b"]" * 5000 + b",", 1),
        MalformedEvent,
        "not valid JSON: nested too deeply",
    ),
    # valid JSON, but not an object
    (b"[1, 2]", MalformedEvent, "not a JSON object: got an array"),
    (b'"conversation.rated"', MalformedEvent, "not a JSON object: got a string"),
    (b"null", MalformedEvent, "not a JSON object: got null"),
    # invalid UTF-8, in a kept field and in an ignored one
    (
        record(RATED, event_id="X").replace(b"X", b"\xff"),
        MalformedEvent,
        "not valid UTF-8: invalid start byte at byte 13",
    ),
    (
        record(RATED, note="X").replace(b'"X"', b'"\xc3\x28"'),
        MalformedEvent,
        "not valid UTF-8: invalid continuation byte at byte 144",
    ),
    # missing fields: common, type-specific, and the tag itself
    (record(RATED, event_id=DROP), SchemaViolation, "`event_id`: required field is missing"),
    (record(CREATED, channel=DROP), SchemaViolation, "`channel`: required field is missing"),
    (
        record(RATED, type=DROP),
        SchemaViolation,
        "`type`: required field is missing (one of: conversation.created, conversation.message_created, conversation.status_changed, conversation.rated, conversation.assigned, conversation.labels_changed, agent.status_changed)",
    ),
    # unknown or mistyped type
    (
        record(RATED, type="foo"),
        SchemaViolation,
        "`type`: unknown event type 'foo' (known: conversation.created, conversation.message_created, conversation.status_changed, conversation.rated, conversation.assigned, conversation.labels_changed, agent.status_changed)",
    ),
    (
        record(RATED, type=3),
        SchemaViolation,
        "`type`: expected one of conversation.created, conversation.message_created, conversation.status_changed, conversation.rated, conversation.assigned, conversation.labels_changed, agent.status_changed, got 3",
    ),
    # rating: out of range, a float, a boolean, a string, null
    (record(RATED, rating=0), SchemaViolation, "`rating`: expected an integer from 1 to 5, got 0"),
    (record(RATED, rating=6), SchemaViolation, "`rating`: expected an integer from 1 to 5, got 6"),
    (record(RATED, rating=7), SchemaViolation, "`rating`: expected an integer from 1 to 5, got 7"),
    (record(RATED, rating=4.0), SchemaViolation, "`rating`: expected an integer from 1 to 5, got 4.0"),
    (record(RATED, rating=True), SchemaViolation, "`rating`: expected an integer from 1 to 5, got true"),
    (record(RATED, rating="5"), SchemaViolation, "`rating`: expected an integer from 1 to 5, got '5'"),
    (record(RATED, rating=None), SchemaViolation, "`rating`: expected an integer from 1 to 5, got null"),
    # channel: upper case, a leading dash, 33 characters, a trailing newline
    (
        record(CREATED, channel="WhatsApp"),
        SchemaViolation,
        "`channel`: expected a channel name: 1 to 32 of a-z, 0-9, '_', '-', starting with a letter or digit, got 'WhatsApp'",
    ),
    (
        record(CREATED, channel="-web"),
        SchemaViolation,
        "`channel`: expected a channel name: 1 to 32 of a-z, 0-9, '_', '-', starting with a letter or digit, got '-web'",
    ),
    (
        record(CREATED, channel="a" * 33),
        SchemaViolation,
        "`channel`: expected a channel name: 1 to 32 of a-z, 0-9, '_', '-', starting with a letter or digit, got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
    ),
    (
        record(CREATED, channel="web\n"),
        SchemaViolation,
        "`channel`: expected a channel name: 1 to 32 of a-z, 0-9, '_', '-', starting with a letter or digit, got 'web\\n'",
    ),
    # ids: too long, empty, not a string
    (
        record(RATED, event_id=LONG),
        SchemaViolation,
        "`event_id`: expected a string of 1 to 128 characters, got a 129-character string starting 'xxxxxxxxxxxxxxxxxxxxxxxx'",
    ),
    (
        record(RATED, conversation_id=""),
        SchemaViolation,
        "`conversation_id`: expected a string of 1 to 128 characters, got an empty string",
    ),
    (
        record(RATED, conversation_id=42),
        SchemaViolation,
        "`conversation_id`: expected a string of 1 to 128 characters, got 42",
    ),
    (
        record(STATUS, agent_id=""),
        SchemaViolation,
        "`agent_id`: expected a string of 1 to 128 characters, got an empty string",
    ),
    (
        record(AGENT, agent_id=LONG),
        SchemaViolation,
        "`agent_id`: expected a string of 1 to 128 characters, got a 129-character string starting 'xxxxxxxxxxxxxxxxxxxxxxxx'",
    ),
    # account_id: a space, a trailing newline, 65 characters, empty
    (
        record(RATED, account_id="acme corp"),
        SchemaViolation,
        "`account_id`: expected 1 to 64 characters from A-Z, a-z, 0-9, '_', '.', '-', got 'acme corp'",
    ),
    (
        record(RATED, account_id="acme\n"),
        SchemaViolation,
        "`account_id`: expected 1 to 64 characters from A-Z, a-z, 0-9, '_', '.', '-', got 'acme\\n'",
    ),
    (
        record(RATED, account_id="a" * 65),
        SchemaViolation,
        "`account_id`: expected 1 to 64 characters from A-Z, a-z, 0-9, '_', '.', '-', got a 65-character string starting 'aaaaaaaaaaaaaaaaaaaaaaaa'",
    ),
    (
        record(RATED, account_id=""),
        SchemaViolation,
        "`account_id`: expected 1 to 64 characters from A-Z, a-z, 0-9, '_', '.', '-', got an empty string",
    ),
    # agent name: empty or over 200 characters
    (record(AGENT, name=""), SchemaViolation, "`name`: expected a string of 1 to 200 characters, got an empty string"),
    (
        record(AGENT, name="n" * 201),
        SchemaViolation,
        "`name`: expected a string of 1 to 200 characters, got a 201-character string starting 'nnnnnnnnnnnnnnnnnnnnnnnn'",
    ),
    # enums, checked per event type: `status` means different things for conversations and agents
    (
        record(MESSAGE, sender_type="robot"),
        SchemaViolation,
        "`sender_type`: expected one of 'agent', 'bot', 'contact', got 'robot'",
    ),
    (
        record(STATUS, status="live"),
        SchemaViolation,
        "`status`: expected one of 'open', 'pending', 'resolved', 'snoozed', got 'live'",
    ),
    (record(AGENT, status="open"), SchemaViolation, "`status`: expected one of 'away', 'live', 'offline', got 'open'"),
    # an agent's message must say which agent, absent or null alike
    (record(MESSAGE, agent_id=DROP), SchemaViolation, "`agent_id`: required when `sender_type` is 'agent'"),
    (record(MESSAGE, agent_id=None), SchemaViolation, "`agent_id`: required when `sender_type` is 'agent'"),
    # timestamps: no offset, date only, impossible date, a number
    (
        record(RATED, occurred_at="2024-05-01T11:00:00"),
        SchemaViolation,
        "`occurred_at`: timestamp needs an offset (Z or ±hh:mm), got '2024-05-01T11:00:00'",
    ),
    (
        record(RATED, occurred_at="2024-05-01"),
        SchemaViolation,
        "`occurred_at`: expected an RFC 3339 timestamp with an offset (Z or ±hh:mm), got '2024-05-01'",
    ),
    (
        record(RATED, occurred_at="2024-13-01T00:00:00Z"),
        SchemaViolation,
        "`occurred_at`: expected an RFC 3339 timestamp with an offset (Z or ±hh:mm), got '2024-13-01T00:00:00Z'",
    ),
    (
        record(RATED, occurred_at=1714561200),
        SchemaViolation,
        "`occurred_at`: expected an RFC 3339 timestamp with an offset (Z or ±hh:mm), got 1714561200",
    ),
    # further ahead of the processor clock than allowed: by 312 s, then by one microsecond
    (
        record(RATED, occurred_at="2024-05-01T12:10:12+00:00"),
        EventFromFuture,
        "`occurred_at` is 612 s ahead of the processor clock (limit 300 s)",
    ),
    (
        record(RATED, occurred_at="2024-05-01T12:05:00.5Z"),
        EventFromFuture,
        "`occurred_at` is 300.5 s ahead of the processor clock (limit 300 s)",
    ),
    (
        record(RATED, occurred_at="2024-05-01T12:05:00.000001Z"),
        EventFromFuture,
        "`occurred_at` is 300.000001 s ahead of the processor clock (limit 300 s)",
    ),
    # the latest instant RFC 3339 can spell
    (
        record(RATED, occurred_at="9999-12-31T23:59:59.999999-23:59"),
        EventFromFuture,
        "`occurred_at` is 251687822339.999999 s ahead of the processor clock (limit 300 s)",
    ),
]


@pytest.mark.parametrize("value, error, reason", INVALID)
def test_invalid_records_say_why(value: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as caught:
        decode(value)
    assert caught.value.reason == reason  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "key, reason",
    [
        # another tenant's key
        (b"globex", "`account_id` 'acme' differs from the Kafka key 'globex'"),
        # keys compare exactly: case matters
        (b"ACME", "`account_id` 'acme' differs from the Kafka key 'ACME'"),
        # an empty key is a key, and no account_id is empty
        (b"", "`account_id` 'acme' differs from the Kafka key '' (empty)"),
        # bytes that are no text at all
        (b"\xffacme", "key is not valid UTF-8"),
    ],
)
def test_key_must_match_account_id(key: bytes, reason: str) -> None:
    with pytest.raises(KeyMismatch) as caught:
        decode(record(RATED), key)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "event_type, topic",
    [
        # conversation.* events share a topic, so one partition orders an account's conversation events
        ("conversation.created", "conversation-events"),
        ("conversation.rated", "conversation-events"),
        # agent.* travel apart
        ("agent.status_changed", "agent-events"),
    ],
)
def test_topic_for_routes_by_prefix(event_type: str, topic: str) -> None:
    assert topic_for(event_type) == topic
    with pytest.raises(ValueError, match="unknown event type"):
        topic_for("conversation.deleted")


@pytest.mark.parametrize(
    "fields, rating",
    [
        # SPEC §1: an object that repeats a field name is read by its last occurrence
        ('"rating": 7, "rating": 4', 4),
        ('"rating": 4, "rating": 5', 5),
    ],
)
def test_a_repeated_field_is_read_by_its_last_occurrence(fields: str, rating: int) -> None:
    value = record(RATED).replace(b'"rating":5', fields.encode())
    assert value.count(b'"rating"') == 2
    event = decode(value)
    assert isinstance(event, ConversationRated) and event.rating == rating


def test_a_repeated_field_whose_last_occurrence_is_invalid_is_rejected() -> None:
    value = record(RATED).replace(b'"rating":5', b'"rating": 4, "rating": 7')
    with pytest.raises(SchemaViolation, match="`rating`"):
        decode(value)
