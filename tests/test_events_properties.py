"""Properties of decoding and dead letters: no input escapes as anything but ``InvalidEvent``."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.time import epoch_us
from events.dead_letter import dead_letter_value, parse_dead_letter
from events.decode import decode_event
from events.errors import InvalidDeadLetter, InvalidEvent
from events.schema import EVENT_TYPES

NOW_US = 1_714_564_800_000_000
LIMIT_US = 300_000_000
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# JSON text hypothesis can produce: no lone surrogates, which no UTF-8 encoder would write.
text = st.text(st.characters(codec="utf-8"), max_size=140)
ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=128)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.integers(-(2**63), 2**64 - 1)  # orjson's integer range
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
# Values one step outside (or just inside) a rule, so mutations probe the edges, not only the shapes.
edges = st.sampled_from(
    [
        0,
        1,
        5,
        6,
        4.0,
        True,
        "",
        "x" * 64,
        "x" * 65,
        "x" * 128,
        "x" * 129,
        "x" * 201,
        "acme\n",
        "WhatsApp",
        "2024-05-01T11:00:00",
        "2024-05-01T12:06:00Z",
        "agent",
        "live",
        "open",
        *EVENT_TYPES,
    ]
)
json_values = edges | st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=6
)
timestamps = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2024, 5, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
)


def _fields(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    conversation = {"conversation_id": ids}
    extra: st.SearchStrategy[dict[str, Any]] = {
        "conversation.created": st.fixed_dictionaries(
            {**conversation, "channel": st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,31}\Z")},
            optional={"inbox_id": ids | st.none()},
        ),
        # SPEC §5: at least one of the two, each an id or null.
        "conversation.assigned": st.fixed_dictionaries(
            conversation, optional={"team_id": ids | st.none(), "agent_id": ids | st.none()}
        ).filter(lambda doc: "team_id" in doc or "agent_id" in doc),
        "conversation.labels_changed": st.fixed_dictionaries(
            {
                **conversation,
                "labels": st.lists(
                    st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), min_size=1, max_size=64),
                    max_size=25,
                ).filter(lambda labels: len(set(labels)) <= 20),
            }
        ),
        "conversation.message_created": st.fixed_dictionaries(
            {**conversation, "sender_type": st.sampled_from(["contact", "agent", "bot"]), "agent_id": ids}
        ),
        "conversation.status_changed": st.fixed_dictionaries(
            {**conversation, "status": st.sampled_from(["open", "pending", "snoozed", "resolved"])},
            optional={"agent_id": ids},
        ),
        "conversation.rated": st.fixed_dictionaries({**conversation, "rating": st.integers(1, 5)}),
        "agent.status_changed": st.fixed_dictionaries(
            {"agent_id": ids, "status": st.sampled_from(["live", "away", "offline"])},
            optional={"name": st.text(st.characters(codec="utf-8"), min_size=1, max_size=200)},
        ),
    }[event_type]
    common = st.fixed_dictionaries(
        {
            "type": st.just(event_type),
            "event_id": ids,
            "account_id": st.from_regex(r"\A[A-Za-z0-9_.-]{1,64}\Z"),
            "occurred_at": timestamps.map(lambda t: t.isoformat().replace("+00:00", "Z")),
        }
    )
    return st.tuples(common, extra).map(lambda parts: {**parts[0], **parts[1]})


valid_docs = st.sampled_from(sorted(EVENT_TYPES)).flatmap(_fields)


def _decode(value: bytes, key: bytes | None) -> object:
    """Decode; on rejection check the reason is a usable, dead-letterable sentence."""
    try:
        return decode_event(value, key=key, now_us=NOW_US, max_ahead_us=LIMIT_US)
    except InvalidEvent as exc:
        assert isinstance(exc.reason, str) and exc.reason.strip()
        assert "\n" not in exc.reason  # one line in a log or a dead-letter viewer
        letter = dead_letter_value(
            reason=exc.reason,
            source_topic="t",
            source_partition=0,
            source_offset=0,
            original_key=key,
            original_value=value,
            rejected_at_us=NOW_US,
        )
        assert parse_dead_letter(letter).reason == exc.reason
        return exc


@FAST
@given(value=st.binary(max_size=300), key=st.none() | st.binary(max_size=20))
def test_arbitrary_bytes_only_ever_raise_invalid_event(value: bytes, key: bytes | None) -> None:
    _decode(value, key)


@FAST
@given(doc=valid_docs)
def test_valid_events_decode_and_keep_their_values(doc: dict[str, Any]) -> None:
    event = _decode(orjson.dumps(doc), doc["account_id"].encode())
    assert not isinstance(event, InvalidEvent), event.reason
    for name, value in doc.items():
        if name == "occurred_at":  # the same instant, to the microsecond
            assert epoch_us(event.occurred_at) == epoch_us(datetime.fromisoformat(value))  # type: ignore[attr-defined]
        elif name != "type":
            assert getattr(event, name) == value
    assert type(event) is EVENT_TYPES[doc["type"]]


@FAST
@given(doc=valid_docs, data=st.data())
def test_near_valid_events_only_ever_raise_invalid_event(doc: dict[str, Any], data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(sorted(doc)))
    if data.draw(st.booleans()):
        del doc[field]
    else:
        doc[field] = data.draw(json_values)
    _decode(orjson.dumps(doc), data.draw(st.sampled_from([None, b"acme", str(doc.get("account_id")).encode()])))


@pytest.mark.parametrize(
    "key, value",
    [
        # the usual case: a keyed record with a UTF-8 JSON value
        (b"acme", b'{"type": "conversation.rated", "rating": 7}'),
        # no key at all stays "no key", distinct from an empty one
        (None, b"not json"),
        (b"", b"{}"),
        # bytes that are no text survive exactly, and get no text rendering
        (b"\xff\x00key", b"\x00\xff\xfe binary \xc3\x28"),
        # an empty value
        (b"acme", b""),
    ],
)
def test_dead_letter_round_trip(key: bytes | None, value: bytes) -> None:
    reason = "`rating`: expected an integer from 1 to 5, got 7"
    letter = dead_letter_value(
        reason=reason,
        source_topic="conversation-events",
        source_partition=3,
        source_offset=12_345,
        original_key=key,
        original_value=value,
        rejected_at_us=NOW_US + 1,
    )
    raw = orjson.loads(letter)
    assert raw["original_value"] == base64.b64encode(value).decode()
    assert raw["rejected_at"] == "2024-05-01T12:00:00.000001Z"
    parsed = parse_dead_letter(letter)
    assert (parsed.original_key, parsed.original_value) == (key, value)
    assert (parsed.source_topic, parsed.source_partition, parsed.source_offset) == ("conversation-events", 3, 12_345)
    assert parsed.reason == reason
    assert epoch_us(parsed.rejected_at) == NOW_US + 1
    is_text = value != b"\x00\xff\xfe binary \xc3\x28"
    assert parsed.original_value_text == (value.decode() if is_text else None)
    assert ("original_value_text" in raw) is is_text


@pytest.mark.parametrize(
    "value",
    [
        # not JSON
        b"nope",
        # JSON without the fields
        b'{"reason": "x"}',
        # a value that is not base64
        dead_letter_value(
            reason="r",
            source_topic="t",
            source_partition=0,
            source_offset=0,
            original_key=None,
            original_value=b"v",
            rejected_at_us=0,
        ).replace(b'"dg=="', b'"!!"'),
    ],
)
def test_parse_dead_letter_rejects_other_bytes(value: bytes) -> None:
    with pytest.raises(InvalidDeadLetter, match="not a dead-letter record"):
        parse_dead_letter(value)
