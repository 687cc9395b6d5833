"""Who owns a Chatwoot conversation and how it is tagged → SPEC §5 events (pure, no I/O).

A conversation payload (`Conversations::EventDataPresenter#push_data`) carries its current
`inbox_id`, `meta.team` and `meta.assignee` (each `{id, name, …}` or null) and `labels` (its label
names). `conversation_updated` also says what changed in `changed_attributes`: a list of
`{attribute: {previous_value, current_value}}` (`assignee_id`, `team_id`, `label_list`, …).

Event ids come from the conversation, the kind and the time of the change, so a retried delivery
maps to the same events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.chatwoot_fields import Event, Unreadable, dict_or_empty, id_at, object_at, timestamp

# changed_attributes keys that mean the labels changed (Chatwoot caches the list in `cached_label_list`).
_LABEL_CHANGES = ("label_list", "cached_label_list", "labels")


def at_creation(payload: dict[str, Any], conversation_id: str, occurred_at: str) -> list[Event]:
    """The assignment and labels a conversation was created with (none when it has neither)."""
    meta = object_at(payload, "meta")
    events: list[Event] = []
    owners = {
        field: id_at(owner, "id", f"meta.{part}.id")
        for field, part in (("team_id", "team"), ("agent_id", "assignee"))
        if isinstance(owner := meta.get(part), dict)
    }
    if owners:
        events.append(
            _assigned(f"chatwoot:conversation:{conversation_id}:assigned", conversation_id, occurred_at, owners)
        )
    labels = labels_of(payload)
    if labels:
        events.append(
            _labelled(f"chatwoot:conversation:{conversation_id}:labels", conversation_id, occurred_at, labels)
        )
    return events


def on_update(payload: dict[str, Any]) -> list[Event]:
    """A `conversation_updated` delivery's changes of team, assignee and labels (none: nothing to map)."""
    changes = changed_attributes(payload)
    conversation_id = id_at(payload, "id")
    occurred_at = timestamp(payload.get("updated_at", payload.get("timestamp")), "updated_at")
    events: list[Event] = []
    owners = {
        field: _changed_id(changes[attribute], attribute)
        for field, attribute in (("team_id", "team_id"), ("agent_id", "assignee_id"))
        if attribute in changes
    }
    if owners:
        event_id = f"chatwoot:assigned:{conversation_id}:{occurred_at}"
        events.append(_assigned(event_id, conversation_id, occurred_at, owners))
    if any(attribute in changes for attribute in _LABEL_CHANGES):
        event_id = f"chatwoot:labels:{conversation_id}:{occurred_at}"
        events.append(_labelled(event_id, conversation_id, occurred_at, labels_of(payload)))
    return events


def changed_attributes(payload: dict[str, Any]) -> dict[str, Any]:
    """`changed_attributes` as one dict: Chatwoot sends a list of one-key objects (older versions an object)."""
    changed = payload.get("changed_attributes")
    if isinstance(changed, dict):
        return changed
    if not isinstance(changed, list):
        return {}
    merged: dict[str, Any] = {}
    for change in changed:
        merged.update(dict_or_empty(change))
    return merged


def labels_of(payload: dict[str, Any]) -> list[str]:
    labels = payload.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise Unreadable(f"`labels`: expected a list of label names, got {labels!r}")
    return labels


def _changed_id(change: object, attribute: str) -> str | None:
    """The id an attribute changed to; None when it was cleared."""
    current = dict_or_empty(change).get("current_value")
    return None if current is None else id_at({"id": current}, "id", f"changed_attributes.{attribute}.current_value")


def _assigned(event_id: str, conversation_id: str, occurred_at: str, owners: Mapping[str, str | None]) -> Event:
    return {
        "event_id": event_id,
        "type": "conversation.assigned",
        "occurred_at": occurred_at,
        "conversation_id": conversation_id,
        **owners,
    }


def _labelled(event_id: str, conversation_id: str, occurred_at: str, labels: list[str]) -> Event:
    return {
        "event_id": event_id,
        "type": "conversation.labels_changed",
        "occurred_at": occurred_at,
        "conversation_id": conversation_id,
        "labels": labels,
    }
