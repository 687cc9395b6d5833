"""Kafka record → validated ``Event``, or an ``InvalidEvent`` whose reason a person can act on.

An accepted record costs one msgspec pass (plus a UTF-8 check when it is not plain ASCII).
Only a rejected record pays for a second, loose parse, which lets the reason quote the
offending value: msgspec's own messages name the field and the broken constraint
("Expected `int` <= 5 - at `$.rating`") but not the value, and speak in Python type names.
"""

from __future__ import annotations

import re

import msgspec
import msgspec.inspect as mi
import orjson

from events.errors import EventFromFuture, InvalidEvent, KeyMismatch, MalformedEvent, SchemaViolation
from events.schema import EVENT_TYPES, Event
from events.timestamps import SECOND_US, aware_epoch_us

__all__ = ["decode_event", "decode_event_at"]

_DECODER = msgspec.json.Decoder(Event)
# Raw keeps each value's JSON text unparsed, so quoting "1e400" or a deeply nested array is safe.
_LOOSE = msgspec.json.Decoder(dict[str, msgspec.Raw])

# A field, or one element of an array field (SPEC §5 labels): "- at `$.labels[3]`".
_AT_FIELD = re.compile(r"(?P<rule>.*) - at `\$\.(?P<field>\w+)(?:\[(?P<index>\d+)\])?`\Z", re.S)
_MISSING = re.compile(r"Object missing required field `(?P<field>\w+)`\Z")
_NOT_OBJECT = re.compile(r"Expected `object`, got `(?P<got>\w+)`\Z")
_JSON_KINDS = {
    "array": "an array",
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "null": "null",
}
_KNOWN_TYPES = ", ".join(EVENT_TYPES)
_QUOTE_LIMIT = 64


def decode_event(value: bytes, *, key: bytes | None, now_us: int, max_ahead_us: int) -> Event:
    """Decode and validate one Kafka record against SPEC §1.

    ``key`` is the raw Kafka key; ``None`` (no key) skips the key check. ``now_us`` is the
    processor clock and ``max_ahead_us`` how far ``occurred_at`` may be ahead of it.
    Raises ``InvalidEvent`` (see ``events.errors``) and nothing else for any bytes.
    """
    return decode_event_at(value, key=key, now_us=now_us, max_ahead_us=max_ahead_us)[0]


def decode_event_at(value: bytes, *, key: bytes | None, now_us: int, max_ahead_us: int) -> tuple[Event, int]:
    """`decode_event`, with `occurred_at` in µs since the epoch: the check computes it anyway."""
    # msgspec checks UTF-8 only in the strings it keeps, not in skipped unknown fields, so the
    # whole value is checked here; isascii() makes that nearly free for the usual ASCII record.
    if not value.isascii():
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEvent(f"not valid UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        event: Event = _DECODER.decode(value)
    except msgspec.ValidationError as exc:
        last = _by_last_occurrences(value)
        if last is None:
            raise _explain(str(exc), value) from exc
        event = last
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _not_json(value, exc) from exc
    # The usual case inline (the schema pattern keeps account_id ASCII); _check_key words a mismatch.
    if key is not None and key != event.account_id.encode("ascii"):
        _check_key(key, event.account_id)
    occurred_us = aware_epoch_us(event.occurred_at)  # the schema requires the offset
    ahead_us = occurred_us - now_us
    if ahead_us > max_ahead_us:
        raise EventFromFuture(
            f"`occurred_at` is {_seconds(ahead_us)} s ahead of the processor clock (limit {_seconds(max_ahead_us)} s)"
        )
    return event, occurred_us


def _check_key(key: bytes, account_id: str) -> None:
    if key == account_id.encode("ascii"):  # the schema pattern keeps account_id ASCII
        return
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyMismatch("key is not valid UTF-8") from None
    shown = _quote(text) if text else "'' (empty)"
    raise KeyMismatch(f"`account_id` {_quote(account_id)} differs from the Kafka key {shown}")


def _not_json(value: bytes, exc: Exception) -> MalformedEvent:
    if isinstance(exc, RecursionError):
        return MalformedEvent("not valid JSON: nested too deeply")
    if not value.strip():
        return MalformedEvent("not valid JSON: the value is empty")
    detail = str(exc).removeprefix("JSON is malformed: ")
    return MalformedEvent(f"not valid JSON: {detail[:1].lower()}{detail[1:]}")


def _by_last_occurrences(value: bytes) -> Event | None:
    """The event read with every repeated field name taken by its last occurrence (SPEC §1), or None.

    msgspec keeps the last occurrence too, but validates each one as it reads it, so an invalid
    occurrence followed by a valid one is refused. Only a record that failed is parsed again this
    way (orjson keeps the last occurrence, at every depth), so valid records pay nothing for it.
    """
    try:
        event: Event = _DECODER.decode(orjson.dumps(orjson.loads(value)))
        return event
    except (orjson.JSONDecodeError, msgspec.ValidationError, msgspec.DecodeError, TypeError):
        return None


def _explain(message: str, value: bytes) -> InvalidEvent:
    """Turn a msgspec ValidationError message into a reason that names the field and the rule."""
    # msgspec validates while it parses, so a schema error may come before a syntax error further
    # on; the loose parse both tells those apart and yields the raw value to quote.
    try:
        doc = _LOOSE.decode(value)
    except msgspec.ValidationError as exc:
        kind = _NOT_OBJECT.match(str(exc))
        got = _JSON_KINDS.get(kind["got"], kind["got"]) if kind else "something else"
        return MalformedEvent(f"not a JSON object: got {got}")
    except (msgspec.DecodeError, RecursionError) as exc:
        return _not_json(value, exc)

    if missing := _MISSING.match(message):
        field = missing["field"]
        known = f" (one of: {_KNOWN_TYPES})" if field == "type" else ""
        return SchemaViolation(f"`{field}`: required field is missing{known}")
    located = _AT_FIELD.match(message)
    if located is None:
        # Rules from __post_init__ are worded as reasons already (see events.schema).
        return SchemaViolation(message)
    field, rule = located["field"], located["rule"]
    raw = doc.get(field)
    if located["index"] is not None:
        return _explain_element(doc, field, int(located["index"]), rule)
    got = "nothing" if raw is None else _show(raw)
    if field == "type":
        tag = _as_str(raw)
        if tag is not None:
            return SchemaViolation(f"`type`: unknown event type {_quote(tag)} (known: {_KNOWN_TYPES})")
        return SchemaViolation(f"`type`: expected one of {_KNOWN_TYPES}, got {got}")
    if rule.startswith("Expected `datetime` with a timezone"):
        return SchemaViolation(f"`{field}`: timestamp needs an offset (Z or ±hh:mm), got {got}")
    tag = _as_str(doc.get("type"))
    expected = _RULES.get((tag or "", field))
    if expected is None:  # every schema field has a description; keep msgspec's words just in case
        return SchemaViolation(f"`{field}`: {rule}, got {got}")
    return SchemaViolation(f"`{field}`: expected {expected}, got {got}")


def _explain_element(doc: dict[str, msgspec.Raw], field: str, index: int, rule: str) -> InvalidEvent:
    """An array element that breaks its rule: `labels[3]`, with the element's own rule and value."""
    elements = msgspec.json.decode(doc[field], type=list[msgspec.Raw])  # msgspec got this far in it
    got = _show(elements[index])
    expected = _RULES.get((_as_str(doc.get("type")) or "", f"{field}[]"))
    if expected is None:
        return SchemaViolation(f"`{field}[{index}]`: {rule}, got {got}")
    return SchemaViolation(f"`{field}[{index}]`: expected {expected}, got {got}")


def _as_str(raw: msgspec.Raw | None) -> str | None:
    if raw is None or not bytes(raw).startswith(b'"'):
        return None
    text: str = msgspec.json.decode(raw)
    return text


def _show(raw: msgspec.Raw) -> str:
    """A value as it appeared in the JSON, short enough for a reason line."""
    text = _as_str(raw)
    if text is not None:
        return _quote(text)
    spelled = bytes(raw).decode("utf-8")
    if spelled.startswith("["):
        return "an array"
    if spelled.startswith("{"):
        return "an object"
    return spelled if len(spelled) <= _QUOTE_LIMIT else f"a {len(spelled)}-digit number"


def _quote(text: str) -> str:
    # repr escapes control characters, so a reason is always one printable line.
    if not text:
        return "an empty string"
    if len(text) <= _QUOTE_LIMIT:
        return repr(text)
    return f"a {len(text)}-character string starting {text[:24]!r}"


def _seconds(us: int) -> str:
    whole, frac = divmod(us, SECOND_US)
    return str(whole) if not frac else f"{whole}.{frac:06d}".rstrip("0")


def _describe(t: mi.Type) -> str | None:
    """The rule for one field in words: its schema description, else derived from its type."""
    if isinstance(t, mi.Metadata):
        described = (t.extra_json_schema or {}).get("description")
        return described if isinstance(described, str) else _describe(t.type)
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(repr(v) for v in t.values)
    if isinstance(t, mi.UnionType):  # Optional[X]: describe X, null rarely being what was meant
        parts = [d for d in map(_describe, t.types) if d is not None]
        return " or ".join(parts) or None
    return None


def _field_rules() -> dict[tuple[str, str], str]:
    rules: dict[tuple[str, str], str] = {}
    for struct in mi.multi_type_info(list(EVENT_TYPES.values())):
        assert isinstance(struct, mi.StructType) and isinstance(struct.tag, str)
        for f in struct.fields:
            if (described := _describe(f.type)) is not None:
                rules[(struct.tag, f.encode_name)] = described
            inner = f.type.type if isinstance(f.type, mi.Metadata) else f.type
            if isinstance(inner, mi.ListType) and (element := _describe(inner.item_type)) is not None:
                rules[(struct.tag, f"{f.encode_name}[]")] = element
    return rules


# (event type, field) -> the rule in words; `status`, for one, means different things per type.
_RULES = _field_rules()
