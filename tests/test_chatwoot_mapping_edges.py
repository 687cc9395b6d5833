"""The Chatwoot mapping at its edges, as tables: every way a delivery is ignored, read differently, or
refused (with the reason that names the field), each a sample payload with one thing changed."""

from __future__ import annotations

import time
from typing import Any

import pytest

from events.chatwoot_mapping import Ignored, Unreadable, map_delivery, timestamp
from tests.test_chatwoot_mapping import sample

AGENT = sample("message_created_agent")
STATUS = sample("conversation_status_changed")
CSAT = sample("message_updated_csat")
CREATED = sample("conversation_created")


def without(payload: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in fields}


def rating(value: object) -> dict[str, Any]:
    return CSAT | {"content_attributes": {"submitted_values": {"csat_survey_response": {"rating": value}}}}


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"event": "contact_created"}, "Chatwoot event 'contact_created' carries no metric"),
        (AGENT | {"message_type": 2}, "an activity message is not a reply"),
        (AGENT | {"message_type": "activity"}, "an activity message is not a reply"),
        (AGENT | {"message_type": 3}, "a template message is not a reply"),
        (AGENT | {"private": True}, "a private note is not a reply"),
        (CSAT | {"content_type": "text"}, "a message update without a submitted CSAT rating"),
        (
            rating(5) | {"content_attributes": {"submitted_values": {"csat_survey_response": {}}}},
            "a message update without a submitted CSAT rating",
        ),
        (
            CSAT | {"content_attributes": {"submitted_values": {"csat_survey_response": 5}}},
            "a message update without a submitted CSAT rating",
        ),
        (CSAT | {"content_attributes": None}, "a message update without a submitted CSAT rating"),
    ],
)
def test_ignored_deliveries_say_why(payload: dict[str, Any], why: str) -> None:
    assert map_delivery(payload, "acme") == Ignored(why)


def one(payload: dict[str, Any]) -> dict[str, Any]:
    events = map_delivery(payload, "acme")
    assert isinstance(events, list) and len(events) == 1
    return events[0]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (AGENT | {"message_type": 1}, {"sender_type": "agent", "agent_id": "5"}),  # numbered message types
        (AGENT | {"message_type": 0}, {"sender_type": "contact"}),
        (AGENT | {"private": "true"}, {"sender_type": "agent", "agent_id": "5"}),  # only JSON true is a note
        (AGENT | {"sender": {"id": 9, "type": "agent_bot"}}, {"sender_type": "bot"}),
        (AGENT | {"sender": None}, {"sender_type": "bot"}),  # automated, without a user
        (AGENT | {"conversation": {"display_id": 7, "id": 99}}, {"conversation_id": "7"}),  # older payloads
        (AGENT | {"conversation": {"id": 8}}, {"conversation_id": "8"}),
        (without(STATUS, "updated_at"), {"occurred_at": "2024-05-01T12:25:30.000000Z", "agent_id": "5"}),
        (STATUS | {"meta": {"assignee": {"id": 6, "type": "agent_bot"}}}, {"agent_id": None}),  # a bot resolved it
        (STATUS | {"meta": {"assignee": {"id": 6}}}, {"agent_id": "6"}),
        (STATUS | {"meta": {"assignee": None}}, {"agent_id": None}),
        (without(STATUS, "meta"), {"agent_id": None}),
        (without(CREATED, "channel") | {"inbox": {"channel_type": "Channel::Email"}}, {"channel": "email"}),
        (CREATED | {"channel": ""} | {"inbox": {"channel_type": "Channel::Api"}}, {"channel": "api"}),
        (CREATED | {"channel": "Channel::" + "Abc" * 12}, {"channel": "abc_" * 8}),  # slugs keep 32 characters
        (rating(1), {"rating": 1}),
        (rating(5) | {"updated_at": 1714566001}, {"occurred_at": "2024-05-01T12:20:01.000000Z"}),
        (
            without(CSAT, "updated_at") | {"conversation": {"id": 4, "updated_at": 1714566000}},
            {"occurred_at": "2024-05-01T12:20:00.000000Z"},
        ),
        (without(CSAT, "updated_at") | {"conversation": {"id": 4}}, {"occurred_at": "2024-05-01T12:25:31.902000Z"}),
    ],
)
def test_deliveries_read_in_each_form(payload: dict[str, Any], expected: dict[str, Any]) -> None:
    event = one(payload)
    for field, value in expected.items():
        assert event.get(field) == value, field


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (without(CREATED, "channel"), "`channel`: missing, or not a string"),
        (without(CREATED, "channel") | {"inbox": "web"}, "`inbox`: expected an object"),
        (CREATED | {"channel": "Channel::!!"}, "`channel`: 'Channel::!!' names no channel"),
        (CREATED | {"id": True}, "`id`: expected an id (integer or string), got True"),
        (CREATED | {"id": ""}, "`id`: expected an id (integer or string), got ''"),
        (CREATED | {"id": 4.5}, "`id`: expected an id (integer or string), got 4.5"),
        (AGENT | {"message_type": 7}, "`message_type`: expected incoming, outgoing, activity or template, got 7"),
        (without(AGENT, "message_type"), "`message_type`: expected incoming, outgoing, activity or template, got None"),
        (AGENT | {"sender": {"type": "user"}}, "`sender.id`: expected an id (integer or string), got None"),
        (AGENT | {"conversation": {}}, "`conversation.id`: expected an id (integer or string), got None"),
        (AGENT | {"created_at": True}, "`created_at`: expected a timestamp, got True"),
        (AGENT | {"created_at": [1]}, "`created_at`: expected a timestamp, got list"),
        (
            STATUS | {"meta": {"assignee": {"type": "user"}}},
            "`meta.assignee.id`: expected an id (integer or string), got None",
        ),
        (STATUS | {"meta": []}, "`meta`: expected an object"),
        (without(STATUS, "updated_at", "timestamp"), "`updated_at`: expected a timestamp, got NoneType"),
        (CSAT | {"updated_at": "soon"}, "`updated_at`: not a timestamp: 'soon'"),
        (rating(True), "`csat_survey_response.rating`: expected an integer from 1 to 5, got True"),
        (rating("5"), "`csat_survey_response.rating`: expected an integer from 1 to 5, got '5'"),
        (rating(0), "`csat_survey_response.rating`: expected an integer from 1 to 5, got 0"),
        (rating(6), "`csat_survey_response.rating`: expected an integer from 1 to 5, got 6"),
    ],
)
def test_refused_deliveries_name_the_field(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unreadable) as refused:
        map_delivery(payload, "acme")
    assert refused.value.reason == reason == str(refused.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714566330, "2024-05-01T12:25:30.000000Z"),
        (1714566330.5, "2024-05-01T12:25:30.500000Z"),
        ("2024-05-01T14:25:30+02:00", "2024-05-01T12:25:30.000000Z"),  # any offset, written in UTC
        ("2024-05-01T12:25:30", "2024-05-01T12:25:30.000000Z"),  # a bare time is UTC
        (" 2024-05-01T12:25:30Z ", "2024-05-01T12:25:30.000000Z"),
    ],
)
def test_timestamps_are_written_in_utc(value: object, expected: str) -> None:
    assert timestamp(value, "created_at") == expected


def test_timestamps_are_utc_whatever_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kathmandu")
    time.tzset()
    try:
        written = [timestamp(v, "created_at") for v in ("2024-05-01T12:25:30", 1714566330, "2024-05-01T14:25:30+02:00")]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert written == ["2024-05-01T12:25:30.000000Z"] * 3
