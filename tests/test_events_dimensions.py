"""SPEC §5's events as a table: `inbox_id`, `conversation.assigned`, `conversation.labels_changed`."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from events.errors import SchemaViolation
from events.schema import ConversationAssigned, ConversationCreated, ConversationLabelsChanged
from events.topics import topic_for
from tests.support.records import ASSIGNED, CREATED, DROP, LABELS, decode, record


@pytest.mark.parametrize(
    "value, cls, expected",
    [
        # the inbox is optional on created; null is the same as absent (SPEC §1)
        (record(CREATED, inbox_id="mail-1"), ConversationCreated, {"inbox_id": "mail-1"}),
        (record(CREATED), ConversationCreated, {"inbox_id": None}),
        (record(CREATED, inbox_id=None), ConversationCreated, {"inbox_id": None}),
        # both fields; one field left out (UNSET: leaves it as it was); null (clears it)
        (record(ASSIGNED), ConversationAssigned, {"team_id": "t1", "agent_id": "a1"}),
        (record(ASSIGNED, agent_id=DROP), ConversationAssigned, {"team_id": "t1", "agent_id": msgspec.UNSET}),
        (record(ASSIGNED, team_id=DROP), ConversationAssigned, {"team_id": msgspec.UNSET, "agent_id": "a1"}),
        (record(ASSIGNED, team_id=None, agent_id=DROP), ConversationAssigned, {"team_id": None}),
        (record(ASSIGNED, team_id=None, agent_id=None), ConversationAssigned, {"team_id": None, "agent_id": None}),
        # labels: repeats are allowed in the array (20 distinct at most), [] removes every label
        (record(LABELS, labels=["a"] * 30), ConversationLabelsChanged, {"labels": ["a"] * 30}),
        (record(LABELS, labels=[f"l{i}" for i in range(20)]), ConversationLabelsChanged, {}),
        (record(LABELS, labels=[]), ConversationLabelsChanged, {"labels": []}),
        # any text without control characters, up to 64 characters (not bytes)
        (record(LABELS, labels=["Billing / VIP ✨", "é" * 64]), ConversationLabelsChanged, {}),
    ],
)
def test_valid_dimension_events_decode(value: bytes, cls: type, expected: dict[str, Any]) -> None:
    event = decode(value)
    assert type(event) is cls
    for name, wanted in expected.items():
        assert getattr(event, name) == wanted


@pytest.mark.parametrize(
    "value, reason",
    [
        # an assigned event that says nothing
        (record(ASSIGNED, team_id=DROP, agent_id=DROP), "`agent_id`, `team_id`: at least one is required"),
        # empty strings, too long, not strings
        (record(ASSIGNED, team_id=""), "`team_id`: expected a string of 1 to 128 characters, got an empty string"),
        (record(ASSIGNED, agent_id="a" * 129), "`agent_id`: expected a string of 1 to 128 characters"),
        (record(ASSIGNED, team_id=7), "`team_id`: expected a string of 1 to 128 characters, got 7"),
        (record(CREATED, inbox_id=""), "`inbox_id`: expected a string of 1 to 128 characters, got an empty string"),
        (record(CREATED, inbox_id=["i"]), "`inbox_id`: expected a string of 1 to 128 characters, got an array"),
        # labels that are not an array of labels
        (record(LABELS, labels=DROP), "`labels`: required field is missing"),
        (record(LABELS, labels="vip"), "`labels`: expected an array of labels, got 'vip'"),
        (record(LABELS, labels=None), "`labels`: expected an array of labels, got null"),
        (record(LABELS, labels={"vip": True}), "`labels`: expected an array of labels, got an object"),
        # one bad element, named by its position
        (record(LABELS, labels=["ok", ""]), "`labels[1]`: expected a string of 1 to 64 characters without control"),
        (record(LABELS, labels=["x" * 65]), "`labels[0]`: expected a string of 1 to 64 characters"),
        (
            record(LABELS, labels=["a", 3]),
            "`labels[1]`: expected a string of 1 to 64 characters without control characters, got 3",
        ),
        (record(LABELS, labels=["tab\there"]), "got 'tab\\there'"),
        (record(LABELS, labels=["del\x7f"]), "`labels[0]`"),
        (record(LABELS, labels=["line\n"]), "`labels[0]`"),
        # more than 20 distinct labels
        (record(LABELS, labels=[f"l{i}" for i in range(21)]), "`labels`: at most 20 distinct labels, got 21"),
    ],
)
def test_invalid_dimension_events_say_why(value: bytes, reason: str) -> None:
    with pytest.raises(SchemaViolation) as raised:
        decode(value)
    assert reason in raised.value.reason


@pytest.mark.parametrize("event_type", [ASSIGNED, LABELS])
def test_dimension_events_travel_with_the_conversation_events(event_type: str) -> None:
    assert topic_for(event_type) == "conversation-events"
