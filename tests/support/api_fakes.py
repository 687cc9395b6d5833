"""In-memory stand-ins for the API's ports, and a client that talks to the app in-process.

The `test_api*` files import them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from api import ApiKey, KeyLookup, NotReady, Overview, OverviewSource, Readiness, create_app
from api.ingest import IngestSettings
from api.keys import issue_key, parse_token, revoke
from api.ports import ReportSource
from api.report import ReportSettings

CREATED = datetime(2024, 5, 1, tzinfo=UTC)

# As JSON carries it; the fakes hand the API the typed figure set made from such a dict.
SAMPLE_OVERVIEW: dict[str, Any] = {
    "total_conversations": 1284,
    "avg_first_response": 47,
    "resolution_rate": 91.3,
    "active_agents": 3,
    "channel_mix": {"whatsapp": 45.5, "widget": 30.0, "telegram": 16.2, "instagram": 8.3},
    "top_agents": [{"name": "Sarah Chen", "resolved": 312, "agent_id": "agt_1"}],
    "quick_pulse_open": 14,
    "median_handle_time": 384,
    "avg_handle_time": 912,
    "customer_happiness": None,
}


class FakeOverviews:
    """Fixed overviews per account; accounts listed in `not_ready` raise NotReady instead."""

    def __init__(self, overviews: dict[str, dict[str, Any]], not_ready: dict[str, NotReady] | None = None) -> None:
        self.overviews = overviews
        self.not_ready = not_ready or {}
        self.asked: list[str] = []

    async def overview(self, account_id: str) -> Overview:
        self.asked.append(account_id)
        if account_id in self.not_ready:
            raise self.not_ready[account_id]
        return msgspec.convert(self.overviews[account_id], Overview)


class FakeKeys:
    """A dict of key records, as the streams layer's table of the key topic would be."""

    def __init__(self) -> None:
        self.records: dict[str, ApiKey] = {}

    def get(self, key_id: str) -> ApiKey | None:
        return self.records.get(key_id)

    def issue(self, account_id: str, scope: str = "read", chatwoot_secret: str | None = None) -> str:
        key, token = issue_key(account_id, CREATED, scope=scope, chatwoot_secret=chatwoot_secret)
        self.records[key.key_id] = key
        return token

    def revoke(self, token: str) -> None:
        key_id = parse_token(token)
        assert key_id is not None
        self.records[key_id] = revoke(self.records[key_id], CREATED)


class FakeReadiness:
    def __init__(
        self,
        ready: bool = True,
        reason: str = "all partitions assigned and caught up",
        alive: bool = True,
        alive_reason: str = "ok",
    ) -> None:
        self.ready, self.reason = ready, reason
        self.alive, self.alive_reason = alive, alive_reason

    def is_ready(self) -> tuple[bool, str]:
        return self.ready, self.reason

    def is_alive(self) -> tuple[bool, str]:
        return self.alive, self.alive_reason


class FakeSink:
    """`api.ports.EventSink` in memory: what was sent, per account; `unavailable` makes it refuse."""

    def __init__(self, unavailable: NotReady | None = None) -> None:
        self.sent: list[tuple[str, str, bytes]] = []  # (account, event type, value)
        self.dead_letters: list[tuple[str, bytes]] = []
        self.unavailable = unavailable

    async def send(self, account_id: str, events: Sequence[tuple[str, bytes]]) -> None:
        if self.unavailable is not None:
            raise self.unavailable
        self.sent += [(account_id, event_type, value) for event_type, value in events]

    async def dead_letter(self, account_id: str, value: bytes) -> None:
        if self.unavailable is not None:
            raise self.unavailable
        self.dead_letters.append((account_id, value))


# The fake clock of ingest tests: 2024-05-01T12:00:00Z.
INGEST_NOW_US = 1_714_564_800_000_000


def ingest_settings(sink: FakeSink) -> IngestSettings:
    return IngestSettings(sink=sink, max_ahead_us=300_000_000, clock_us=lambda: INGEST_NOW_US)


def make_app(
    overviews: OverviewSource | None = None,
    keys: KeyLookup | None = None,
    readiness: Readiness | None = None,
    registry: CollectorRegistry | None = None,
    reports: tuple[ReportSource, ReportSettings] | None = None,
    sink: FakeSink | None = None,
) -> Starlette:
    return create_app(
        overviews=overviews or FakeOverviews({}),
        keys=keys or FakeKeys(),
        readiness=readiness or FakeReadiness(),
        registry=registry or CollectorRegistry(),
        reports=reports,
        ingest=None if sink is None else ingest_settings(sink),
    )


def client(app: Starlette) -> httpx.AsyncClient:
    # raise_app_exceptions=False: a 500 is then seen as the client would see it, not as a raise.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def bearer(token: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"}
