"""Each field's rule in words, as a reason names it (SPEC §1), and how a bad value is shown."""

from __future__ import annotations

import pytest

from events import decode as decoding
from events.errors import SchemaViolation
from events.schema import is_account_id
from tests.support.records import AGENT, ASSIGNED, CREATED, LABELS, MESSAGE, RATED, STATUS, decode, record

ID = "a string of 1 to 128 characters"
ACCOUNT = "1 to 64 characters from A-Z, a-z, 0-9, '_', '.', '-'"
TIMESTAMP = "an RFC 3339 timestamp with an offset (Z or ±hh:mm)"
COMMON = {"event_id": ID, "account_id": ACCOUNT, "occurred_at": TIMESTAMP}


def test_every_field_has_its_rule_in_words() -> None:
    # Built once at import from the schema; built again here so the table is what the code derives.
    assert decoding._field_rules() == {
        **{(CREATED, k): v for k, v in COMMON.items()},
        (CREATED, "conversation_id"): ID,
        (CREATED, "channel"): "a channel name: 1 to 32 of a-z, 0-9, '_', '-', starting with a letter or digit",
        (CREATED, "inbox_id"): ID,
        **{(MESSAGE, k): v for k, v in COMMON.items()},
        (MESSAGE, "conversation_id"): ID,
        (MESSAGE, "sender_type"): "one of 'agent', 'bot', 'contact'",
        (MESSAGE, "agent_id"): ID,
        **{(STATUS, k): v for k, v in COMMON.items()},
        (STATUS, "conversation_id"): ID,
        (STATUS, "status"): "one of 'open', 'pending', 'resolved', 'snoozed'",
        (STATUS, "agent_id"): ID,
        **{(RATED, k): v for k, v in COMMON.items()},
        (RATED, "conversation_id"): ID,
        (RATED, "rating"): "an integer from 1 to 5",
        **{(ASSIGNED, k): v for k, v in COMMON.items()},
        (ASSIGNED, "conversation_id"): ID,
        (ASSIGNED, "agent_id"): ID,
        (ASSIGNED, "team_id"): ID,
        **{(LABELS, k): v for k, v in COMMON.items()},
        (LABELS, "conversation_id"): ID,
        (LABELS, "labels"): "an array of labels",
        (LABELS, "labels[]"): "a string of 1 to 64 characters without control characters",
        **{(AGENT, k): v for k, v in COMMON.items()},
        (AGENT, "agent_id"): ID,
        (AGENT, "status"): "one of 'away', 'live', 'offline'",
        (AGENT, "name"): "a string of 1 to 200 characters",
    }


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ([5], "an array"),
        ({"stars": 5}, "an object"),
        ("9" * 64, "9" * 64),  # a number of 64 digits is shown whole
        ("9" * 65, "a 65-digit number"),
        (-3, "-3"),
        ("x" * 64, repr("x" * 64)),  # a string of 64 characters is quoted whole
    ],
)
def test_a_bad_value_is_shown_short(value: object, shown: str) -> None:
    spelled = value if isinstance(value, str) and value.isdigit() else None
    value = 12345 if spelled is not None else value
    written = record(RATED, rating=value)
    if spelled is not None:  # too long for a JSON encoder: spelled into the bytes
        written = written.replace(b"12345", spelled.encode())
    with pytest.raises(SchemaViolation) as caught:
        decode(written)
    assert caught.value.reason == f"`rating`: expected an integer from 1 to 5, got {shown}"


@pytest.mark.parametrize(
    ("text", "valid"),
    [("acme", True), ("shop_1.eu-west", True), ("a" * 64, True), ("a" * 65, False), ("", False), ("acme corp", False)],
)
def test_account_ids_from_elsewhere_follow_the_schema_rule(text: str, valid: bool) -> None:
    assert is_account_id(text) is valid
