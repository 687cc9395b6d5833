"""The agents poller against a local HTTP server answering as Chatwoot's agents API does."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import NotReady
from pingback.chatwoot_command import AgentsPoller, PollRefused
from tests.support.api_fakes import FakeSink
from tests.support.cluster import PINGBACK, Deployment
from tests.test_chatwoot_mapping import FIXTURES
from tests.test_processor_kafka import read_topic

TOKEN = "cw-user-token"
NOW_S = 1_714_564_800.0


class FakeChatwoot:
    """Serves `GET /api/v1/accounts/1/agents` to the right `api_access_token`; `agents` may be changed."""

    def __init__(self) -> None:
        self.agents: list[dict[str, Any]] = json.loads((FIXTURES / "agents.json").read_text())
        self.failing = False
        chatwoot = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("api_access_token") != TOKEN:
                    status, body = 401, {"errors": ["Invalid Access Token"]}
                elif self.path != "/api/v1/accounts/1/agents":
                    status, body = 404, {"error": "Resource could not be found"}
                elif chatwoot.failing:
                    status, body = 502, {"error": "bad gateway"}
                else:
                    status, body = 200, chatwoot.agents
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def chatwoot() -> Iterator[FakeChatwoot]:
    fake = FakeChatwoot()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def poller(client: httpx.AsyncClient, sink: FakeSink, url: str, token: str = TOKEN, account: int = 1) -> AgentsPoller:
    return AgentsPoller(
        client,
        sink,
        url=url,
        api_token=token,
        chatwoot_account=account,
        account_id="acme",
        max_ahead_us=300_000_000,
        clock_s=lambda: NOW_S,
    )


def statuses(sink: FakeSink) -> list[tuple[str, str, str | None]]:
    return [(e["agent_id"], e["status"], e.get("name")) for e in (json.loads(v) for _, _, v in sink.sent)]


async def test_every_agent_first_then_only_changes(chatwoot: FakeChatwoot) -> None:
    sink = FakeSink()
    async with httpx.AsyncClient() as client:
        agents = poller(client, sink, chatwoot.url)
        assert await agents.poll() == 3
        assert statuses(sink) == [
            ("5", "live", "Sarah Chen"),
            ("6", "away", "James Rivera"),
            ("7", "offline", "Priya Nair"),
        ]
        assert await agents.poll() == 0
        chatwoot.agents[0]["availability_status"] = "offline"
        chatwoot.agents[2]["availability_status"] = "available"
        assert await agents.poll() == 2
    assert statuses(sink)[3:] == [("5", "offline", "Sarah Chen"), ("7", "live", "Priya Nair")]
    first = json.loads(sink.sent[0][2])
    assert first == {
        "event_id": "chatwoot:agent:5:live:2024-05-01T12:00:00.000000Z",
        "type": "agent.status_changed",
        "occurred_at": "2024-05-01T12:00:00.000000Z",
        "agent_id": "5",
        "status": "live",
        "name": "Sarah Chen",
        "account_id": "acme",
    }


async def test_a_failed_poll_or_send_loses_no_change(chatwoot: FakeChatwoot) -> None:
    sink = FakeSink(unavailable=NotReady(5, "Kafka away"))
    async with httpx.AsyncClient() as client:
        agents = poller(client, sink, chatwoot.url)
        with pytest.raises(NotReady):
            await agents.poll()
        sink.unavailable = None
        chatwoot.failing = True
        with pytest.raises(httpx.HTTPStatusError):
            await agents.poll()
        chatwoot.failing = False
        assert await agents.poll() == 3  # the changes never sent are sent now


@pytest.mark.parametrize(("token", "account"), [("wrong", 1), (TOKEN, 2)], ids=["bad token", "other account"])
async def test_a_refused_token_or_account_stops_the_poller(chatwoot: FakeChatwoot, token: str, account: int) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(PollRefused):
            await poller(client, FakeSink(), chatwoot.url, token, account).poll()


async def test_unreadable_agents_are_skipped_with_a_warning(chatwoot: FakeChatwoot) -> None:
    chatwoot.agents[1]["availability_status"] = "on_holiday"
    chatwoot.agents.append({"name": "no id"})
    sink, warnings = FakeSink(), []
    async with httpx.AsyncClient() as client:
        agents = poller(client, sink, chatwoot.url)
        agents.warn = warnings.append
        assert await agents.poll() == 2
    assert warnings == [
        "agent 6: unknown availability_status 'on_holiday'",
        "an agent entry has no id: {'name': 'no id'}",
    ]


async def test_the_command_produces_to_kafka(chatwoot: FakeChatwoot, kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"agents-{unique}", tmp_path)
    await deployment.ensure_topics()  # before the reader below, whose subscription would create them
    command = [
        *PINGBACK,
        "chatwoot",
        "agents",
        "--url",
        chatwoot.url,
        "--api-token",
        TOKEN,
        "--account-id",
        "1",
        "--account",
        "acme",
        "--interval",
        "0.2",
    ]
    process = subprocess.Popen(command, env=deployment.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        records = await read_topic(kafka, deployment.agent_topic, 3, timeout_s=120)
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert {(r.key, json.loads(r.value)["status"]) for r in records} == {
        (b"acme", "live"),
        (b"acme", "away"),
        (b"acme", "offline"),
    }
    wrong_token = [("wrong" if part == TOKEN else part) for part in command]
    refused = subprocess.run(wrong_token, env=deployment.env(), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "answered 401" in refused.stderr
