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
from typing import Any

from events.chatwoot_fields import Event, Unreadable, dict_or_empty, id_at, object_at, timestamp
from events.chatwoot_ownership import at_creation, on_update

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


def _conversation_created(payload: dict[str, Any]) -> list[Event]:
    conversation_id = id_at(payload, "id")
    channel_type = payload.get("channel") or object_at(payload, "inbox").get("channel_type")
    if not isinstance(channel_type, str):
        raise Unreadable("`channel`: missing, or not a string")
    occurred_at = timestamp(payload.get("created_at"), "created_at")
    created: Event = {
        "event_id": f"chatwoot:conversation:{conversation_id}:created",
        "type": "conversation.created",
        "occurred_at": occurred_at,
        "conversation_id": conversation_id,
        "channel": channel_of(channel_type),
    }
    inbox = payload.get("inbox_id")
    if inbox is not None:
        created["inbox_id"] = id_at(payload, "inbox_id")
    return [created, *at_creation(payload, conversation_id, occurred_at)]


def _conversation_updated(payload: dict[str, Any]) -> list[Event] | Ignored:
    events = on_update(payload)
    return events or Ignored("a conversation update that changes no team, assignee or labels")


def _message_created(payload: dict[str, Any]) -> list[Event] | Ignored:
    kind = payload.get("message_type")
    kind = _MESSAGE_TYPES.get(kind, kind) if isinstance(kind, int) else kind
    if kind in ("activity", "template"):
        return Ignored(
            f"an {kind} message is not a reply" if kind == "activity" else "a template message is not a reply"
        )
    if payload.get("private") is True:
        return Ignored("a private note is not a reply")
    sender = dict_or_empty(payload.get("sender"))
    if kind == "incoming":
        who: Event = {"sender_type": "contact"}
    elif kind == "outgoing" and sender.get("type") == "user":
        who = {"sender_type": "agent", "agent_id": id_at(sender, "id", "sender.id")}
    elif kind == "outgoing":  # an agent bot, Captain, or an automated message without a user
        who = {"sender_type": "bot"}
    else:
        raise Unreadable(f"`message_type`: expected incoming, outgoing, activity or template, got {kind!r}")
    return [
        {
            "event_id": f"chatwoot:message:{id_at(payload, 'id')}",
            "type": "conversation.message_created",
            "occurred_at": timestamp(payload.get("created_at"), "created_at"),
            "conversation_id": _conversation_id(payload),
            **who,
        }
    ]


def _status_changed(payload: dict[str, Any]) -> list[Event]:
    conversation_id = id_at(payload, "id")
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
    assignee = object_at(payload, "meta").get("assignee")
    if isinstance(assignee, dict) and assignee.get("type", "user") == "user":
        event["agent_id"] = id_at(assignee, "id", "meta.assignee.id")
    return [event]


def _message_updated(payload: dict[str, Any]) -> list[Event] | Ignored:
    attributes = dict_or_empty(payload.get("content_attributes"))
    submitted = dict_or_empty(attributes.get("submitted_values"))
    response = submitted.get("csat_survey_response")
    if payload.get("content_type") != "input_csat" or not isinstance(response, dict) or "rating" not in response:
        return Ignored("a message update without a submitted CSAT rating")
    rating = response["rating"]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Unreadable(f"`csat_survey_response.rating`: expected an integer from 1 to 5, got {rating!r}")
    # When it was given: the message's own update time if sent, else its conversation's (touched by it).
    conversation = object_at(payload, "conversation")
    given = payload.get("updated_at", conversation.get("updated_at", payload.get("created_at")))
    occurred_at = timestamp(given, "updated_at")
    return [
        {
            "event_id": f"chatwoot:csat:{id_at(payload, 'id')}:{rating}:{occurred_at}",
            "type": "conversation.rated",
            "occurred_at": occurred_at,
            "conversation_id": _conversation_id(payload),
            "rating": rating,
        }
    ]


def _conversation_id(payload: dict[str, Any]) -> str:
    conversation = object_at(payload, "conversation")
    # `id` is the display id in today's payloads; older ones named it `display_id`.
    field = "display_id" if "display_id" in conversation else "id"
    return id_at(conversation, field, f"conversation.{field}")


_MAPPERS = {
    "conversation_created": _conversation_created,
    "conversation_updated": _conversation_updated,
    "message_created": _message_created,
    "conversation_status_changed": _status_changed,
    "message_updated": _message_updated,
}
