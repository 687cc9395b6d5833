"""Chatwoot account-webhook payloads → SPEC §1 events: the pure mapping, no I/O.

The README has the table. What Chatwoot sends, as its code builds it (`Message#webhook_data`,
`Conversations::EventDataPresenter#push_data`): a conversation's `id` is the per-account display
id; timestamps come as ISO strings (a message's `created_at`), unix integers (a conversation's
`created_at`) and unix floats (its `updated_at`) within one payload, so each is parsed where it is.
Event ids are derived from the payload alone, so a retried or duplicated delivery maps to the
very same events and the fold's deduplication makes it change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Chatwoot's inbox channel classes with the SPEC channel each stands for; others are slugged.
CHANNELS = {
    "Channel::WebWidget": "widget",
    "Channel::Whatsapp": "whatsapp",
    "Channel::Email": "email",
    "Channel::Telegram": "telegram",
    "Channel::FacebookPage": "messenger",
    "Channel::Instagram": "instagram",
    "Channel::Api": "api",
}
STATUSES = ("open", "pending", "snoozed", "resolved")
# `message_type` as a string (webhooks) or Chatwoot's enum integer (pushed message data).
_MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
_BOT_SENDERS = ("agent_bot", "captain_assistant")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Event = dict[str, Any]


class Unreadable(Exception):
    """The payload lacks or garbles what its mapping needs; `reason` names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Ignored:
    """Acknowledged and not mapped: `why` says why, for the answer and the log."""

    why: str


def map_delivery(payload: object, account_id: str) -> list[Event] | Ignored:
    """The SPEC §1 events one webhook delivery stands for, or Ignored; raises Unreadable."""
    if not isinstance(payload, dict):
        raise Unreadable("the payload is not a JSON object")
    name = payload.get("event")
    if not isinstance(name, str):
        raise Unreadable("`event`: missing, or not a string")
    mapper = _MAPPERS.get(name)
    if mapper is None:
        return Ignored(f"Chatwoot event {name!r} carries no metric")
    mapped = mapper(payload)
    if isinstance(mapped, Ignored):
        return mapped
    return [{**event, "account_id": account_id} for event in mapped]


def channel_of(channel_type: str) -> str:
    """`Channel::TwilioSms` → `twilio_sms`: known classes by the table, others slugged."""
    if channel_type in CHANNELS:
        return CHANNELS[channel_type]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", channel_type.removeprefix("Channel::")).lower()
    slug = re.sub(r"[^a-z0-9_-]+", "_", words).strip("_-")[:32]
    if not slug:
        raise Unreadable(f"`channel`: {channel_type!r} names no channel")
    return slug


def timestamp(value: object, field: str) -> str:
    """An ISO string, unix integer or unix float, as RFC 3339 UTC with microseconds."""
    if isinstance(value, bool):
        raise Unreadable(f"`{field}`: expected a timestamp, got {value!r}")
    if isinstance(value, (int, float)):
        instant = _EPOCH + timedelta(microseconds=round(value * 1_000_000))
    elif isinstance(value, str):
        text = value.strip().replace(" UTC", "Z")  # older Chatwoot wrote "2020-03-03 13:05:57 UTC"
        try:
            instant = datetime.fromisoformat(text)  # reads "Z" too (Python 3.11)
        except ValueError:
            raise Unreadable(f"`{field}`: not a timestamp: {value!r}") from None
        if instant.utcoffset() is None:
            instant = instant.replace(tzinfo=UTC)  # Rails writes UTC; a bare time is read as UTC
    else:
        raise Unreadable(f"`{field}`: expected a timestamp, got {type(value).__name__}")
    return instant.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _conversation_created(payload: dict[str, Any]) -> list[Event]:
    conversation_id = _id(payload, "id")
    channel_type = payload.get("channel") or _object(payload, "inbox").get("channel_type")
    if not isinstance(channel_type, str):
        raise Unreadable("`channel`: missing, or not a string")
    return [
        {
            "event_id": f"chatwoot:conversation:{conversation_id}:created",
            "type": "conversation.created",
            "occurred_at": timestamp(payload.get("created_at"), "created_at"),
            "conversation_id": conversation_id,
            "channel": channel_of(channel_type),
        }
    ]


def _message_created(payload: dict[str, Any]) -> list[Event] | Ignored:
    kind = payload.get("message_type")
    kind = _MESSAGE_TYPES.get(kind, kind) if isinstance(kind, int) else kind
    if kind in ("activity", "template"):
        return Ignored(
            f"an {kind} message is not a reply" if kind == "activity" else "a template message is not a reply"
        )
    if payload.get("private") is True:
        return Ignored("a private note is not a reply")
    sender = _dict_or_empty(payload.get("sender"))
    if kind == "incoming":
        who: Event = {"sender_type": "contact"}
    elif kind == "outgoing" and sender.get("type") == "user":
        who = {"sender_type": "agent", "agent_id": _id(sender, "id", "sender.id")}
    elif kind == "outgoing":  # an agent bot, Captain, or an automated message without a user
        who = {"sender_type": "bot"}
    else:
        raise Unreadable(f"`message_type`: expected incoming, outgoing, activity or template, got {kind!r}")
    return [
        {
            "event_id": f"chatwoot:message:{_id(payload, 'id')}",
            "type": "conversation.message_created",
            "occurred_at": timestamp(payload.get("created_at"), "created_at"),
            "conversation_id": _conversation_id(payload),
            **who,
        }
    ]


def _status_changed(payload: dict[str, Any]) -> list[Event]:
    conversation_id = _id(payload, "id")
    status = payload.get("status")
    if status not in STATUSES:
        raise Unreadable(f"`status`: expected one of {', '.join(STATUSES)}, got {status!r}")
    # The change's time: `updated_at` (a float) is written by the change itself.
    changed = payload.get("updated_at", payload.get("timestamp"))
    occurred_at = timestamp(changed, "updated_at")
    event: Event = {
        "event_id": f"chatwoot:status:{conversation_id}:{status}:{occurred_at}",
        "type": "conversation.status_changed",
        "occurred_at": occurred_at,
        "conversation_id": conversation_id,
        "status": status,
    }
    # As Chatwoot's own reports do, the assignee is who resolved it.
    assignee = _object(payload, "meta").get("assignee")
    if isinstance(assignee, dict) and assignee.get("type", "user") == "user":
        event["agent_id"] = _id(assignee, "id", "meta.assignee.id")
    return [event]


def _message_updated(payload: dict[str, Any]) -> list[Event] | Ignored:
    attributes = _dict_or_empty(payload.get("content_attributes"))
    submitted = _dict_or_empty(attributes.get("submitted_values"))
    response = submitted.get("csat_survey_response")
    if payload.get("content_type") != "input_csat" or not isinstance(response, dict) or "rating" not in response:
        return Ignored("a message update without a submitted CSAT rating")
    rating = response["rating"]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Unreadable(f"`csat_survey_response.rating`: expected an integer from 1 to 5, got {rating!r}")
    # When it was given: the message's own update time if sent, else its conversation's (touched by it).
    conversation = _object(payload, "conversation")
    given = payload.get("updated_at", conversation.get("updated_at", payload.get("created_at")))
    occurred_at = timestamp(given, "updated_at")
    return [
        {
            "event_id": f"chatwoot:csat:{_id(payload, 'id')}:{rating}:{occurred_at}",
            "type": "conversation.rated",
            "occurred_at": occurred_at,
            "conversation_id": _conversation_id(payload),
            "rating": rating,
        }
    ]


def _conversation_id(payload: dict[str, Any]) -> str:
    conversation = _object(payload, "conversation")
    # `id` is the display id in today's payloads; older ones named it `display_id`.
    field = "display_id" if "display_id" in conversation else "id"
    return _id(conversation, field, f"conversation.{field}")


def _dict_or_empty(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one: an optional part that may be missing."""
    return value if isinstance(value, dict) else {}


def _object(payload: dict[str, Any], field: str) -> dict[str, Any]:
    value = payload.get(field, {})
    if not isinstance(value, dict):
        raise Unreadable(f"`{field}`: expected an object")
    return value


def _id(payload: dict[str, Any], field: str, shown: str | None = None) -> str:
    value = payload.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise Unreadable(f"`{shown or field}`: expected an id (integer or string), got {value!r}")
    return str(value)


_MAPPERS = {
    "conversation_created": _conversation_created,
    "message_created": _message_created,
    "conversation_status_changed": _status_changed,
    "message_updated": _message_updated,
}
