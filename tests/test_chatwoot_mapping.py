"""The Chatwoot mapping, as a table: each stored sample delivery → the SPEC §1 events it stands for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from events.chatwoot_fields import Unreadable, timestamp
from events.chatwoot_mapping import Ignored, channel_of, map_delivery
from events.decode import decode_event

FIXTURES = Path(__file__).parent / "fixtures" / "chatwoot"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


MAPPED: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "conversation_created",
        [
            {
                "event_id": "chatwoot:conversation:42:created",
                "type": "conversation.created",
                "occurred_at": "2024-05-01T12:00:00.000000Z",
                "conversation_id": "42",
                "channel": "widget",
                "inbox_id": "3",
            }
        ],
    ),
    # SPEC §5: created with a team, an assignee and labels
    (
        "conversation_created_owned",
        [
            {
                "event_id": "chatwoot:conversation:42:created",
                "type": "conversation.created",
                "occurred_at": "2024-05-01T12:00:00.000000Z",
                "conversation_id": "42",
                "channel": "widget",
                "inbox_id": "3",
            },
            {
                "event_id": "chatwoot:conversation:42:assigned",
                "type": "conversation.assigned",
                "occurred_at": "2024-05-01T12:00:00.000000Z",
                "conversation_id": "42",
                "team_id": "2",
                "agent_id": "5",
            },
            {
                "event_id": "chatwoot:conversation:42:labels",
                "type": "conversation.labels_changed",
                "occurred_at": "2024-05-01T12:00:00.000000Z",
                "conversation_id": "42",
                "labels": ["vip", "billing"],
            },
        ],
    ),
    # an agent assigned later: only the assignee changes (the team is left as it is)
    (
        "conversation_updated",
        [
            {
                "event_id": "chatwoot:assigned:42:2024-05-01T12:01:47.500000Z",
                "type": "conversation.assigned",
                "occurred_at": "2024-05-01T12:01:47.500000Z",
                "conversation_id": "42",
                "agent_id": "5",
            }
        ],
    ),
    # the assignee removed: null clears it
    (
        "conversation_updated_unassigned",
        [
            {
                "event_id": "chatwoot:assigned:42:2024-05-01T12:11:40.500000Z",
                "type": "conversation.assigned",
                "occurred_at": "2024-05-01T12:11:40.500000Z",
                "conversation_id": "42",
                "agent_id": None,
            }
        ],
    ),
    # moved to another team and a label removed, in one update
    (
        "conversation_updated_team_labels",
        [
            {
                "event_id": "chatwoot:assigned:42:2024-05-01T12:10:00.250000Z",
                "type": "conversation.assigned",
                "occurred_at": "2024-05-01T12:10:00.250000Z",
                "conversation_id": "42",
                "team_id": "4",
            },
            {
                "event_id": "chatwoot:labels:42:2024-05-01T12:10:00.250000Z",
                "type": "conversation.labels_changed",
                "occurred_at": "2024-05-01T12:10:00.250000Z",
                "conversation_id": "42",
                "labels": ["billing"],
            },
        ],
    ),
    (
        "message_created_incoming",
        [
            {
                "event_id": "chatwoot:message:301",
                "type": "conversation.message_created",
                "occurred_at": "2024-05-01T12:00:00.516000Z",
                "conversation_id": "42",
                "sender_type": "contact",
            }
        ],
    ),
    (
        "message_created_agent",
        [
            {
                "event_id": "chatwoot:message:302",
                "type": "conversation.message_created",
                "occurred_at": "2024-05-01T12:01:47.031000Z",
                "conversation_id": "42",
                "sender_type": "agent",
                "agent_id": "5",
            }
        ],
    ),
    (
        "message_created_bot",
        [
            {
                "event_id": "chatwoot:message:303",
                "type": "conversation.message_created",
                "occurred_at": "2024-05-01T12:00:01.250000Z",
                "conversation_id": "42",
                "sender_type": "bot",
            }
        ],
    ),
    (
        "conversation_status_changed",
        [
            {
                "event_id": "chatwoot:status:42:resolved:2024-05-01T12:25:30.734268Z",
                "type": "conversation.status_changed",
                "occurred_at": "2024-05-01T12:25:30.734268Z",
                "conversation_id": "42",
                "status": "resolved",
                "agent_id": "5",
            }
        ],
    ),
    (
        "message_updated_csat",
        [
            {
                "event_id": "chatwoot:csat:306:5:2024-05-01T12:37:02.118003Z",
                "type": "conversation.rated",
                "occurred_at": "2024-05-01T12:37:02.118003Z",
                "conversation_id": "42",
                "rating": 5,
            }
        ],
    ),
]

IGNORED = [
    "message_created_private_note",
    "message_created_activity",
    "conversation_updated_priority",  # changes no team, assignee or labels
    "webwidget_triggered",
]


@pytest.mark.parametrize(("name", "expected"), MAPPED, ids=[m[0] for m in MAPPED])
def test_each_sample_maps_to_its_events_which_the_worker_accepts(name: str, expected: list[dict[str, Any]]) -> None:
    events = map_delivery(sample(name), "acme")
    assert events == [{**event, "account_id": "acme"} for event in expected]
    assert isinstance(events, list)
    for event in events:  # what the worker would fold, not merely what looks right
        decode_event(orjson.dumps(event), key=b"acme", now_us=1_714_600_000_000_000, max_ahead_us=0)
    assert map_delivery(sample(name), "acme") == events  # a duplicate delivery is the very same events


@pytest.mark.parametrize("name", IGNORED)
def test_samples_without_a_metric_are_ignored(name: str) -> None:
    assert isinstance(map_delivery(sample(name), "acme"), Ignored)


def test_a_message_update_without_a_rating_is_ignored() -> None:
    payload = sample("message_updated_csat") | {"content_attributes": {}}
    assert isinstance(map_delivery(payload, "acme"), Ignored)


@pytest.mark.parametrize(
    ("channel_type", "channel"),
    [
        ("Channel::WebWidget", "widget"),
        ("Channel::Whatsapp", "whatsapp"),
        ("Channel::Email", "email"),
        ("Channel::Telegram", "telegram"),
        ("Channel::FacebookPage", "messenger"),
        ("Channel::Instagram", "instagram"),
        ("Channel::Api", "api"),
        ("Channel::TwilioSms", "twilio_sms"),
        ("Channel::Line", "line"),
        ("Channel::TwitterProfile", "twitter_profile"),
        ("Channel::Sms", "sms"),
    ],
)
def test_channels_come_from_the_inbox_channel_class(channel_type: str, channel: str) -> None:
    assert channel_of(channel_type) == channel


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714564800, "2024-05-01T12:00:00.000000Z"),
        (1714566330.734268, "2024-05-01T12:25:30.734268Z"),
        ("2024-05-01T12:00:00.516Z", "2024-05-01T12:00:00.516000Z"),
        ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00.000000Z"),
        ("2020-03-03 13:05:57 UTC", "2020-03-03T13:05:57.000000Z"),
    ],
)
def test_timestamps_in_every_form_chatwoot_writes(value: object, expected: str) -> None:
    assert timestamp(value, "created_at") == expected


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([], "the payload is not a JSON object"),
        ({"id": 42}, "`event`: missing, or not a string"),
        (sample("conversation_created") | {"created_at": "yesterday"}, "`created_at`: not a timestamp: 'yesterday'"),
        (sample("conversation_created") | {"id": None}, "`id`: expected an id (integer or string), got None"),
        (
            sample("conversation_status_changed") | {"status": "closed"},
            "`status`: expected one of open, pending, snoozed, resolved, got 'closed'",
        ),
        (sample("message_created_agent") | {"conversation": "42"}, "`conversation`: expected an object"),
        (
            sample("message_updated_csat")
            | {"content_attributes": {"submitted_values": {"csat_survey_response": {"rating": 9}}}},
            "`csat_survey_response.rating`: expected an integer from 1 to 5, got 9",
        ),
        (
            sample("conversation_created_owned") | {"labels": "vip"},
            "`labels`: expected a list of label names, got 'vip'",
        ),
        (
            sample("conversation_updated") | {"changed_attributes": [{"team_id": {"current_value": True}}]},
            "`changed_attributes.team_id.current_value`: expected an id (integer or string), got True",
        ),
        (sample("conversation_created") | {"inbox_id": ""}, "`inbox_id`: expected an id (integer or string), got ''"),
    ],
    ids=[
        "array",
        "no event",
        "bad time",
        "no id",
        "bad status",
        "conversation not object",
        "rating 9",
        "labels not a list",
        "team id not an id",
        "empty inbox id",
    ],
)
def test_unreadable_payloads_say_which_field(payload: object, reason: str) -> None:
    with pytest.raises(Unreadable) as refused:
        map_delivery(payload, "acme")
    assert refused.value.reason == reason
