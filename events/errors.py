"""Why a Kafka record was refused.

The hierarchy, so a caller catches exactly as much as it means to::

    EventError
    ├── InvalidEvent           a record breaks SPEC §1: dead-letter it, change no metric
    │   ├── MalformedEvent     the bytes are not one UTF-8 JSON object
    │   ├── SchemaViolation    a field is missing, mistyped or out of range, or `type` is unknown
    │   ├── KeyMismatch        the Kafka key is not UTF-8, or differs from `account_id`
    │   └── EventFromFuture    `occurred_at` is too far ahead of the processor clock
    └── InvalidDeadLetter      the bytes are not a dead-letter record (for tests and tools)

Every error carries ``.reason``: one human-readable sentence naming the field and the rule,
written for the person who reads the dead-letter topic.
"""

from __future__ import annotations


class EventError(Exception):
    """Base of every error raised by ``events``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidEvent(EventError):
    """The record breaks the SPEC §1 contract; it belongs on the dead-letter topic."""


class MalformedEvent(InvalidEvent):
    """The value is not valid UTF-8, not JSON, or JSON but not an object."""


class SchemaViolation(InvalidEvent):
    """The JSON object does not match the schema of any event type."""


class KeyMismatch(InvalidEvent):
    """The Kafka key is present but not valid UTF-8, or not equal to ``account_id``."""


class EventFromFuture(InvalidEvent):
    """``occurred_at`` is further ahead of the processor clock than allowed."""


class InvalidDeadLetter(EventError):
    """The bytes are not a dead-letter record written by ``events.dead_letter``."""
