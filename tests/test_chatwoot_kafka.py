"""A whole conversation sent as Chatwoot webhooks to a real worker on real Kafka: the overview shows
it, Chatwoot's duplicate deliveries change nothing, an unreadable one lands in the dead letters."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx

from events.dead_letter import parse_dead_letter
from tests.support.cluster import Deployment, WorkerProcess, wait_for_figures, wait_until_handled
from tests.test_chatwoot_mapping import sample
from tests.test_processor_kafka import read_topic

SECRET = "whsec-e2e"


def iso(at_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at_s)) + f".{round(at_s % 1 * 1000):03d}Z"


def conversation_deliveries(t0: int) -> list[dict[str, Any]]:
    """created → contact, bot and agent messages → a private note → resolved → CSAT 5, at t0 + seconds."""

    def conversation(base: dict[str, Any], updated_at: float) -> dict[str, Any]:
        return base | {"created_at": t0, "updated_at": updated_at, "timestamp": int(updated_at)}

    def message(name: str, at_s: float) -> dict[str, Any]:
        payload = sample(name)
        return payload | {"created_at": iso(at_s), "conversation": conversation(payload["conversation"], at_s)}

    csat = sample("message_updated_csat")
    return [
        conversation(sample("conversation_created"), t0 + 0.204118),
        message("message_created_incoming", t0 + 0.516),
        message("message_created_bot", t0 + 1.25),
        message("message_created_agent", t0 + 107.031),
        message("message_created_private_note", t0 + 130),
        conversation(sample("conversation_status_changed"), t0 + 1530.734268),
        csat | {"created_at": iso(t0 + 1531), "conversation": conversation(csat["conversation"], t0 + 2222.118003)},
    ]


def deliver(worker: WorkerProcess, token: str, payload: dict[str, Any] | bytes) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    at = str(int(time.time()))
    signature = "sha256=" + hmac.new(SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Chatwoot-Timestamp": at, "X-Chatwoot-Signature": signature}
    return httpx.post(f"{worker.base_url}/api/v1/ingest/chatwoot/{token}", content=body, headers=headers, timeout=30)


async def test_a_conversation_sent_as_webhooks_shows_in_the_overview_and_a_report(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"chatwoot-{unique}", tmp_path)
    reader = deployment.create_key("acme")
    hook = deployment.pingback(
        "keys", "create", "--account", "acme", "--scope", "ingest", "--chatwoot-secret", SECRET
    ).stdout.strip()
    worker = deployment.start_worker()
    t0 = int(time.time()) - 7200
    expected = {
        "total_conversations": 1,
        "avg_first_response": 107,
        "resolution_rate": 100.0,
        "active_agents": 0,
        "channel_mix": {"widget": 100.0},
        "top_agents": [{"name": "5", "resolved": 1, "agent_id": "5"}],
        "quick_pulse_open": 0,
        "median_handle_time": 1531,
        "avg_handle_time": 1531,
        "customer_happiness": 100,
    }
    try:
        worker.wait_ready()
        deliveries = conversation_deliveries(t0)
        outcomes = [deliver(worker, hook, payload).json()["outcome"] for payload in deliveries]
        assert outcomes == ["mapped"] * 4 + ["ignored"] + ["mapped"] * 2
        await wait_for_figures(worker, {"acme": reader}, lambda account, t: expected)
        # Chatwoot retries and duplicates: every delivery again, in reverse order.
        again = [deliver(worker, hook, payload).json()["outcome"] for payload in reversed(deliveries)]
        assert again == list(reversed(outcomes))
        unreadable = deliver(worker, hook, b'{"event": "message_created", "id": 999')
        assert unreadable.status_code == 200 and unreadable.json()["outcome"] == "dead_lettered"
        await wait_until_handled(worker, 12)  # six mapped events, twice
        await wait_for_figures(worker, {"acme": reader}, lambda account, t: expected, strict=True)
        [letter] = [parse_dead_letter(r.value) for r in await read_topic(kafka, deployment.dead_letter_topic, 1)]
        assert letter.original_value == b'{"event": "message_created", "id": 999' and letter.original_key == b"acme"
        assert letter.reason.startswith("Chatwoot webhook: not valid JSON")
        assert httpx.post(f"{worker.base_url}/api/v1/ingest/chatwoot/{hook}", content=b"{}").status_code == 401
        # ...and a report of the day shows it too, with its agent's row.
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 - 60))
        report = httpx.get(
            f"{worker.base_url}/api/v1/analytics/report",
            params={"since": since, "breakdown": "agent"},
            headers={"Authorization": f"Bearer {reader}"},
            timeout=30,
        ).json()
        totals = report["totals"]
        assert (totals["total_conversations"], totals["resolved"], totals["first_responses"], totals["ratings"]) == (
            1,
            1,
            1,
            1,
        )
        assert (totals["median_first_response"], totals["median_handle_time"], totals["customer_happiness"]) == (
            107,
            1531,
            100,
        )
        assert [(row["agent_id"], row["resolved"], row["first_responses"]) for row in report["breakdown"]] == [
            ("5", 1, 1)
        ]
    finally:
        deployment.stop_all()
