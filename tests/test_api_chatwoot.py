"""`POST /api/v1/ingest/chatwoot/{token}` with a fake sink: signatures, replay, dead letters, counts."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from api import NotReady
from events.dead_letter import parse_dead_letter
from tests.support.api_fakes import INGEST_NOW_US, FakeKeys, FakeSink, client, make_app
from tests.test_chatwoot_mapping import sample

NOW_S = INGEST_NOW_US // 1_000_000
SECRET = "whsec_test"


def signed(body: bytes, secret: str = SECRET, at_s: int = NOW_S) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{at_s}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Chatwoot-Timestamp": str(at_s),
        "X-Chatwoot-Signature": f"sha256={digest}",
        "X-Chatwoot-Delivery": "7f1c7a5e-1c1e-4f0e-9b4d-2d9a3c1b0e11",
        "Content-Type": "application/json",
    }


class Hook:
    def __init__(self, secret: str | None = None, scope: str = "ingest", sink: FakeSink | None = None) -> None:
        self.keys, self.sink, self.registry = FakeKeys(), sink or FakeSink(), CollectorRegistry()
        self.token = self.keys.issue("acme", scope=scope, chatwoot_secret=secret)
        self.app = make_app(keys=self.keys, sink=self.sink, registry=self.registry)

    async def post(self, body: bytes, headers: dict[str, str] | None = None, token: str | None = None) -> Any:
        async with client(self.app) as http:
            return await http.post(
                f"/api/v1/ingest/chatwoot/{token or self.token}", content=body, headers=headers or {}
            )

    def count(self, event: str, outcome: str) -> float:
        value = self.registry.get_sample_value("pingback_chatwoot_webhooks_total", {"event": event, "outcome": outcome})
        return value or 0.0


async def test_a_signed_delivery_is_mapped_and_a_duplicate_maps_to_the_same_events() -> None:
    hook = Hook(secret=SECRET)
    body = orjson.dumps(sample("message_created_agent"))
    answers = [await hook.post(body, signed(body)) for _ in range(2)]
    assert [a.json() for a in answers] == [{"outcome": "mapped", "events": 1, "message": "chatwoot:message:302"}] * 2
    assert len(hook.sink.sent) == 2 and hook.sink.sent[0] == hook.sink.sent[1]
    account, event_type, value = hook.sink.sent[0]
    assert (account, event_type, json.loads(value)["agent_id"]) == ("acme", "conversation.message_created", "5")
    assert hook.count("message_created", "mapped") == 2


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (lambda body: {}, "are required"),
        (lambda body: signed(body, secret="another"), "does not match"),
        (lambda body: signed(body + b" "), "does not match"),  # signed other bytes
        (lambda body: signed(body, at_s=NOW_S - 301), "more than 300 s"),  # a replay
        (lambda body: signed(body) | {"X-Chatwoot-Timestamp": str(NOW_S - 1)}, "does not match"),  # timestamp swapped
        (lambda body: signed(body) | {"X-Chatwoot-Timestamp": "soon"}, "not a unix time"),
    ],
    ids=["unsigned", "wrong secret", "other body", "stale", "other timestamp", "garbled timestamp"],
)
async def test_bad_signatures_are_refused_and_nothing_is_sent(headers: Any, says: str) -> None:
    hook = Hook(secret=SECRET)
    body = orjson.dumps(sample("conversation_created"))
    response = await hook.post(body, headers(body))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature" and says in response.json()["message"]
    assert hook.sink.sent == [] and hook.sink.dead_letters == []


async def test_a_signature_just_inside_the_window_is_taken() -> None:
    hook = Hook(secret=SECRET)
    body = orjson.dumps(sample("conversation_created"))
    assert (await hook.post(body, signed(body, at_s=NOW_S - 300))).json()["outcome"] == "mapped"


async def test_without_a_secret_unsigned_deliveries_are_taken() -> None:
    hook = Hook()
    assert (await hook.post(orjson.dumps(sample("conversation_created")))).json()["events"] == 1


async def test_tokens_and_scopes() -> None:
    reader = Hook(scope="read")
    refused = await reader.post(orjson.dumps(sample("conversation_created")))
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    hook = Hook()
    unknown = await hook.post(b"{}", token="pbk_0123456789abcdef_" + "A" * 43)
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"
    assert reader.sink.sent == hook.sink.sent == []


@pytest.mark.parametrize(
    ("body", "event", "reason"),
    [
        (b"{not json", "other", "not valid JSON"),
        (
            orjson.dumps(sample("conversation_status_changed") | {"status": "closed"}),
            "conversation_status_changed",
            "`status`",
        ),
        (
            orjson.dumps(sample("conversation_created") | {"created_at": 1914564800}),
            "conversation_created",
            "maps to an invalid conversation.created event: `occurred_at` is",
        ),  # years ahead of the clock
    ],
    ids=["not json", "unknown status", "from the future"],
)
async def test_unreadable_deliveries_are_200_and_dead_lettered_with_the_raw_body(
    body: bytes, event: str, reason: str
) -> None:
    hook = Hook()
    response = await hook.post(body)
    assert response.status_code == 200
    assert response.json()["outcome"] == "dead_lettered" and reason in response.json()["message"]
    [(account, value)] = hook.sink.dead_letters
    letter = parse_dead_letter(value)
    assert (account, letter.original_key, letter.original_value) == ("acme", b"acme", body)
    assert letter.reason.startswith("Chatwoot webhook: ") and reason in letter.reason
    assert letter.source_topic == "http:/api/v1/ingest/chatwoot" and hook.sink.sent == []
    assert hook.count(event, "dead_lettered") == 1


async def test_unmapped_events_are_ignored_and_counted_by_name_in_metrics() -> None:
    hook = Hook()
    for name in ["conversation_updated_priority", "webwidget_triggered", "message_created_private_note"]:
        response = await hook.post(orjson.dumps(sample(name)))
        assert (response.status_code, response.json()["outcome"]) == (200, "ignored")
    await hook.post(orjson.dumps({"event": "made_up_event"}))
    assert hook.sink.sent == [] and hook.sink.dead_letters == []
    async with client(hook.app) as http:
        metrics = (await http.get("/metrics")).text
    for name in ["conversation_updated", "webwidget_triggered", "message_created", "other"]:
        assert f'pingback_chatwoot_webhooks_total{{event="{name}",outcome="ignored"}} 1.0' in metrics


async def test_kafka_unavailable_is_503_so_chatwoot_retries() -> None:
    hook = Hook(sink=FakeSink(unavailable=NotReady(5, "Kafka did not acknowledge the events")))
    response = await hook.post(orjson.dumps(sample("conversation_created")))
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
