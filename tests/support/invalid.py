"""Ways a record breaks SPEC §1, one function per kind, each applied to a realistic event.

Each corrupted event gets a fresh event_id, so if a consumer wrongly accepted it, it would show
in the figures instead of hiding behind a duplicate.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
# (event, its account's key, another account's key, a rejected-future timestamp, rng) -> (key, value)
Corruption = Callable[[Event, bytes, bytes, str, random.Random], tuple[bytes | None, bytes]]

_TYPE_FIELDS = {
    "conversation.created": ["conversation_id", "channel"],
    "conversation.message_created": ["conversation_id", "sender_type"],
    "conversation.status_changed": ["conversation_id", "status"],
    "conversation.rated": ["conversation_id", "rating"],
    "agent.status_changed": ["agent_id", "status"],
}
_COMMON_FIELDS = ["event_id", "type", "account_id", "occurred_at"]

_WRONG_TYPES: dict[str, list[Any]] = {
    "event_id": [123, None],
    "account_id": [["acme"], 7],
    "occurred_at": [1_700_000_000, None],
    "conversation_id": [None, 42],
    "channel": [5, ["whatsapp"]],
    "sender_type": [1],
    "status": [True],
    "rating": ["5", 4.0, True],  # SPEC §1: a JSON integer
    "agent_id": [{}, 9],
    "name": [7, ["Sarah"]],
}

_OUT_OF_RANGE: dict[str, list[Any]] = {
    "event_id": ["", "e" * 129],
    "account_id": ["acme corp", "a" * 65, "", "acme\n"],
    "occurred_at": ["2024-13-01T00:00:00Z", "yesterday"],
    "conversation_id": ["", "c" * 129],
    "channel": ["WhatsApp", "", "_widget", "w" * 33],
    "sender_type": ["customer"],
    "status": ["closed", "Resolved"],
    "rating": [0, 6, -1],
    "agent_id": ["", "a" * 129],
    "name": ["", "n" * 201],
}


def _dumps(event: Event) -> bytes:
    return json.dumps(event).encode()


def _bad_json(event: Event, key: bytes, _: bytes, __: str, rng: random.Random) -> tuple[bytes | None, bytes]:
    text = _dumps(event)
    return key, rng.choice([text[: len(text) // 2], text + b" trailing", b"", b"{event_id: 1}", b"\xff" + text])


def _not_object(event: Event, key: bytes, _: bytes, __: str, rng: random.Random) -> tuple[bytes | None, bytes]:
    return key, rng.choice([b"[]", b'"conversation.created"', b"42", b"null", b"true", b"[" + _dumps(event) + b"]"])


def _missing_field(event: Event, key: bytes, _: bytes, __: str, rng: random.Random) -> tuple[bytes | None, bytes]:
    broken = dict(event)
    if broken.get("sender_type") == "agent" and rng.random() < 0.5:
        del broken["agent_id"]  # required only for agent messages
    else:
        del broken[rng.choice(_COMMON_FIELDS + _TYPE_FIELDS[event["type"]])]
    return key, _dumps(broken)


def _replace_field(choices: dict[str, list[Any]]) -> Corruption:
    def corrupt(event: Event, key: bytes, _: bytes, __: str, rng: random.Random) -> tuple[bytes | None, bytes]:
        field = rng.choice([f for f in choices if f in event])
        return key, _dumps({**event, field: rng.choice(choices[field])})

    return corrupt


def _unknown_type(event: Event, key: bytes, _: bytes, __: str, rng: random.Random) -> tuple[bytes | None, bytes]:
    kind = rng.choice(["conversation.deleted", "agent.created", "Conversation.Created", ""])
    return key, _dumps({**event, "type": kind})


def _no_offset(event: Event, key: bytes, _: bytes, __: str, rng: random.Random) -> tuple[bytes | None, bytes]:
    stamped = event["occurred_at"]  # ends in "Z" or "±hh:mm"
    return key, _dumps({**event, "occurred_at": stamped[:-1] if stamped.endswith("Z") else stamped[:-6]})


def _too_far_ahead(event: Event, key: bytes, _: bytes, future: str, __: random.Random) -> tuple[bytes | None, bytes]:
    return key, _dumps({**event, "occurred_at": future})


def _key_mismatch(event: Event, _: bytes, other_key: bytes, __: str, rng: random.Random) -> tuple[bytes | None, bytes]:
    return rng.choice([other_key, event["account_id"].upper().encode() + b"-x"]), _dumps(event)


CORRUPTIONS: dict[str, Corruption] = {
    "bad_json": _bad_json,  # includes bytes that are not UTF-8
    "not_object": _not_object,
    "missing_field": _missing_field,
    "mistyped_field": _replace_field(_WRONG_TYPES),
    "unknown_type": _unknown_type,
    "out_of_range": _replace_field(_OUT_OF_RANGE),
    "no_offset": _no_offset,
    "too_far_ahead": _too_far_ahead,
    "key_mismatch": _key_mismatch,
}
