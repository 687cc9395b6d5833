"""`POST /api/v1/events` on real Kafka through a real worker: exact figures, idempotent retries,
the scope matrix, limits, gzip, and 503 when Kafka is gone."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import httpx

from pingback.local_kafka import LocalKafka, free_port
from tests.support.cluster import Deployment, WorkerProcess, now_us, wait_for_figures, wait_until_handled
from tests.support.history import decode_valid, format_timestamp, generate_history
from tests.support.reference import reference_overview

EVENTS = "/api/v1/events"
OVERVIEW = "/api/v1/analytics/overview"


def ingest_key(deployment: Deployment, account_id: str) -> str:
    return deployment.pingback("keys", "create", "--account", account_id, "--scope", "ingest").stdout.strip()


def post(worker: WorkerProcess, token: str | None, content: bytes, **headers: str) -> httpx.Response:
    auth = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.post(f"{worker.base_url}{EVENTS}", content=content, headers=auth | headers, timeout=60)


def invalid_events(account_id: str) -> list[bytes]:
    """Events breaking a rule each: a channel, another account, far ahead of the clock, not an object."""
    base = {
        "event_id": "bad-1",
        "type": "conversation.created",
        "account_id": account_id,
        "occurred_at": format_timestamp(now_us() - 3_600_000_000),
        "conversation_id": "cx",
        "channel": "widget",
    }
    return [
        json.dumps(base | {"channel": "Web Widget"}).encode(),
        json.dumps(base | {"event_id": "bad-2", "account_id": "someone-else"}).encode(),
        json.dumps(base | {"event_id": "bad-3", "occurred_at": format_timestamp(now_us() + 86_400_000_000)}).encode(),
        b'"bad-4"',  # a JSON string, not an event object
    ]


def agent_live(event_id: str) -> bytes:
    """One valid agent.status_changed of acme, as a producer would send it."""
    fields = {
        "event_id": event_id,
        "type": "agent.status_changed",
        "account_id": "acme",
        "occurred_at": format_timestamp(now_us()),
        "agent_id": "a1",
        "status": "live",
    }
    return json.dumps(fields).encode()


async def test_batches_fold_to_exact_figures_and_sending_them_again_changes_nothing(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"http-{unique}", tmp_path)
    history = generate_history(now_us=now_us(), accounts=1, events=1_500, seed=15, invalid_fraction=0)
    account = decode_valid(history)[0].account_id
    reader, writer = deployment.create_key(account), ingest_key(deployment, account)
    worker = deployment.start_worker()
    try:
        worker.wait_ready()
        values = [record.value for record in history]
        # Two requests: a JSON array with the invalid events spread through it, and gzipped NDJSON.
        first = values[:900]
        for n, value in enumerate(invalid_events(account)):
            first.insert(n * 200 + 7, value)
        second = values[900:]
        requests = [
            (b"[" + b",".join(first) + b"]", {}),
            (gzip.compress(b"\n".join(second)), {"content-type": "application/x-ndjson", "content-encoding": "gzip"}),
        ]
        answers = [post(worker, writer, body, **headers) for body, headers in requests]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        first_answer = answers[0].json()
        assert first_answer["accepted"] == len(first) - 4
        assert [(r["index"], r["event_id"]) for r in first_answer["rejected"]] == [
            (7, "bad-1"),
            (207, "bad-2"),
            (407, "bad-3"),
            (607, None),
        ]
        reasons = [r["reason"] for r in first_answer["rejected"]]
        assert reasons[0].startswith("`channel`") and "not the account of this key" in reasons[1]
        assert "ahead of the processor clock" in reasons[2] and reasons[3] == "not a JSON object: got a string"
        assert answers[1].json() == {"accepted": len(second), "rejected": []}

        events = decode_valid(history)
        expected = lambda account_id, t: reference_overview(events, account_id, t)  # noqa: E731
        figures = await wait_for_figures(worker, {account: reader}, expected)
        # The client's retry of both requests: everything is a duplicate, nothing changes.
        again = [post(worker, writer, body, **headers) for body, headers in requests]
        assert [a.json()["accepted"] for a in again] == [a.json()["accepted"] for a in answers]
        await wait_until_handled(worker, 2 * len(values))
        assert await wait_for_figures(worker, {account: reader}, expected, strict=True) == figures
    finally:
        deployment.stop_all()


async def test_scopes_limits_and_gzip_over_real_http(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"scope-{unique}", tmp_path)
    reader, writer, revoked = (
        deployment.create_key("acme"),
        ingest_key(deployment, "acme"),
        ingest_key(deployment, "acme"),
    )
    deployment.pingback("keys", "revoke", revoked)
    worker = deployment.start_worker()
    event = agent_live("s1")
    body = b"[" + event + b"]"
    try:
        worker.wait_ready()
        deadline = time.monotonic() + 30  # keys reach the worker within about a second
        while post(worker, writer, body).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        matrix = {
            "ingest key posts": (post(worker, writer, body).status_code, 200),
            "read key posts": (post(worker, reader, body).status_code, 403),
            "no key posts": (post(worker, None, body).status_code, 401),
            "revoked key posts": (post(worker, revoked, body).status_code, 401),
            "ingest key reads": (
                httpx.get(f"{worker.base_url}{OVERVIEW}", headers={"Authorization": f"Bearer {writer}"}).status_code,
                403,
            ),
            "read key reads": (
                httpx.get(f"{worker.base_url}{OVERVIEW}", headers={"Authorization": f"Bearer {reader}"}).status_code,
                200,
            ),
        }
        assert {name: got for name, (got, _) in matrix.items()} == {name: want for name, (_, want) in matrix.items()}
        too_many = post(worker, writer, b"[" + b",".join([event] * 1001) + b"]")
        assert too_many.status_code == 413 and "at most 1,000 events" in too_many.json()["message"]
        zipped = post(worker, writer, gzip.compress(body), **{"content-encoding": "gzip"})
        assert zipped.json() == {"accepted": 1, "rejected": []}
        assert post(worker, writer, b"{oops").status_code == 400
    finally:
        deployment.stop_all()


def test_kafka_stopped_answers_503_with_retry_after(unique: str, tmp_path: Path) -> None:
    # Its own broker: stopping the session's would break every other test.
    broker = LocalKafka(port=free_port(), data_dir=tmp_path / "kafka")
    broker.start()
    deployment = Deployment(broker.bootstrap_servers, f"down-{unique}", tmp_path)
    try:
        writer = ingest_key(deployment, "acme")
        worker = deployment.start_worker(store="memory://")
        worker.wait_ready()
        event = agent_live("d1")
        deadline = time.monotonic() + 30
        while post(worker, writer, b"[" + event + b"]").status_code != 200:
            assert time.monotonic() < deadline, "the ingest key never took effect"
            time.sleep(0.2)
        broker.stop()
        refused = post(worker, writer, b"[" + event + b"]")
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["retry-after"]) > 0
        assert refused.json()["error"] == "not_ready" and "Kafka did not acknowledge" in refused.json()["message"]
    finally:
        for worker in deployment.workers:
            worker.kill()  # a clean stop would wait for the broker it no longer has
        broker.stop()
