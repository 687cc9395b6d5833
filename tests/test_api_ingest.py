"""`POST /api/v1/events` against a fake sink: bodies, limits, per-event verdicts, scopes, 503."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import pytest

from api import NotReady
from api.ingest_body import MAX_BYTES, MAX_EVENTS
from tests.support.api_fakes import FakeKeys, FakeSink, bearer, client, make_app

EVENTS = "/api/v1/events"


def created(event_id: str, account: str = "acme", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "conversation.created",
        "account_id": account,
        "occurred_at": "2024-05-01T11:00:00Z",
        "conversation_id": f"c-{event_id}",
        "channel": "widget",
        **extra,
    }


def agent(event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "agent.status_changed",
        "account_id": "acme",
        "occurred_at": "2024-05-01T11:00:00+02:00",
        "agent_id": "a1",
        "status": "live",
    }


async def post(sink: FakeSink, content: bytes, scope: str = "ingest", **headers: str) -> Any:
    keys = FakeKeys()
    token = keys.issue("acme", scope=scope)
    async with client(make_app(keys=keys, sink=sink)) as http:
        return await http.post(EVENTS, content=content, headers=bearer(token) | headers)


async def test_a_mixed_batch_produces_the_valid_events_and_lists_the_others() -> None:
    sink = FakeSink()
    batch = [
        created("e1"),
        created("e2", channel="Not A Channel"),  # breaks the channel rule
        agent("e3"),
        created("e4", account="globex"),  # another account than the key's
        "not an object",
        created("e5", occurred_at="2024-05-01T12:10:00Z"),  # 10 minutes ahead of the clock
        created("e6", occurred_at="2024-05-01T11:00:00"),  # no offset
    ]
    response = await post(sink, orjson.dumps(batch))
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["event_id"]) for r in body["rejected"]] == [
        (1, "e2"),
        (3, "e4"),
        (4, None),
        (5, "e5"),
        (6, "e6"),
    ]
    reasons = [r["reason"] for r in body["rejected"]]
    assert reasons[0].startswith("`channel`: expected a channel name")
    assert reasons[1] == "`account_id` 'globex' is not the account of this key ('acme')"
    assert reasons[2] == "not a JSON object: got a string"
    assert "ahead of the processor clock" in reasons[3]
    assert reasons[4].startswith("`occurred_at`: timestamp needs an offset")
    # The exact bytes the client sent, keyed by account, routed by type.
    assert sink.sent == [
        ("acme", "conversation.created", orjson.dumps(batch[0])),
        ("acme", "agent.status_changed", orjson.dumps(batch[2])),
    ]


async def test_ndjson_and_gzip_bodies_are_read_like_an_array() -> None:
    events = [created("n1"), agent("n2"), created("n3", channel="")]
    ndjson = b"\n".join(orjson.dumps(e) for e in events[:2]) + b"\n\n" + orjson.dumps(events[2]) + b"\n"
    sink = FakeSink()
    plain = await post(sink, ndjson, **{"content-type": "application/x-ndjson"})
    zipped = await post(
        sink, gzip.compress(ndjson), **{"content-type": "application/x-ndjson", "content-encoding": "gzip"}
    )
    array = await post(sink, gzip.compress(orjson.dumps(events)), **{"content-encoding": "gzip"})
    for response in (plain, zipped, array):
        assert response.status_code == 200
        assert response.json()["accepted"] == 2
        assert [r["index"] for r in response.json()["rejected"]] == [2]  # blank lines are not events
    assert len(sink.sent) == 6


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"{not json", {}, 400, "invalid_body"),
        (b"", {}, 400, "invalid_body"),
        (orjson.dumps(created("x")), {}, 400, "invalid_body"),  # an object, not an array
        (b"\x1f\x8b garbage", {"content-encoding": "gzip"}, 400, "invalid_body"),
        (gzip.compress(b"[]")[:-6], {"content-encoding": "gzip"}, 400, "invalid_body"),  # truncated
        (b"[]", {"content-encoding": "br"}, 415, "unsupported_media_type"),
        (b"[]", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    ],
    ids=["not json", "empty", "object", "bad gzip", "truncated gzip", "brotli", "text/plain"],
)
async def test_unreadable_bodies_are_refused_whole(
    content: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    sink = FakeSink()
    response = await post(sink, content, **headers)
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert sink.sent == []


async def test_limits_answer_413_with_the_limits_in_the_message() -> None:
    sink = FakeSink()
    too_many = orjson.dumps([agent(f"e{i}") for i in range(MAX_EVENTS + 1)])
    too_big = orjson.dumps([created("big", padding="x" * MAX_BYTES)])
    bomb = gzip.compress(b"[" + b" " * (MAX_BYTES + 10) + b"]")
    answers = [
        await post(sink, too_many),
        await post(sink, too_big),
        await post(sink, bomb, **{"content-encoding": "gzip"}),
    ]
    for response in answers:
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert "at most 1,000 events and 1,048,576 bytes" in response.json()["message"]
    assert sink.sent == []
    exactly = orjson.dumps([agent(f"e{i}") for i in range(MAX_EVENTS)])
    assert (await post(sink, exactly)).json() == {"accepted": MAX_EVENTS, "rejected": []}


async def test_a_read_key_cannot_ingest() -> None:
    sink = FakeSink()
    response = await post(sink, orjson.dumps([created("r1")]), scope="read")
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope" and "`ingest`" in response.json()["message"]
    assert sink.sent == []


async def test_kafka_unavailable_is_503_with_retry_after() -> None:
    sink = FakeSink(unavailable=NotReady(2, "Kafka did not acknowledge the events"))
    response = await post(sink, orjson.dumps([created("k1")]))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json() == {"error": "not_ready", "message": "Kafka did not acknowledge the events"}
