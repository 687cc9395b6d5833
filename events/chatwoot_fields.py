"""Reading the parts of a Chatwoot webhook payload that the mappings need, with reasons when they are missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Event = dict[str, Any]


class Unreadable(Exception):
    """The payload lacks or garbles what its mapping needs; `reason` names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def dict_or_empty(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one: an optional part that may be missing."""
    return value if isinstance(value, dict) else {}


def object_at(payload: dict[str, Any], field: str) -> dict[str, Any]:
    value = payload.get(field, {})
    if not isinstance(value, dict):
        raise Unreadable(f"`{field}`: expected an object")
    return value


def id_at(payload: dict[str, Any], field: str, shown: str | None = None) -> str:
    value = payload.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise Unreadable(f"`{shown or field}`: expected an id (integer or string), got {value!r}")
    return str(value)
