"""Accounts owned by another worker: the request is replayed there once, and its answer relayed."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from api import NotReady, Overview, OverviewSource, OwnedElsewhere, create_app
from api.app import OVERVIEW_PATH
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, FakeOverviews, FakeReadiness, bearer, client

OWNER_URL = "http://worker-b:6066"


class Elsewhere:
    """A worker that owns no account: every account lives at `url`."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def overview(self, account_id: str) -> Overview:
        raise OwnedElsewhere(self.url)


def _worker(source: OverviewSource, keys: FakeKeys, forwarding: httpx.AsyncClient | None = None) -> Starlette:
    return create_app(
        overviews=source,
        keys=keys,
        readiness=FakeReadiness(),
        registry=CollectorRegistry(),
        forwarding=forwarding,
    )


def _to(app: Starlette) -> httpx.AsyncClient:
    """A forwarding client whose network is one in-process app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


async def test_the_owner_answers_through_the_worker_that_was_asked() -> None:
    keys = FakeKeys()  # keys are global: every worker holds every key
    token = keys.issue("acme")
    owner_source = FakeOverviews({"acme": SAMPLE_OVERVIEW})
    owner = _worker(owner_source, keys)
    async with client(_worker(Elsewhere(OWNER_URL), keys, _to(owner))) as http:
        response = await http.get(OVERVIEW_PATH, headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == SAMPLE_OVERVIEW
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert owner_source.asked == ["acme"]


async def test_the_owners_503_is_relayed_with_its_retry_after() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    owner = _worker(FakeOverviews({}, not_ready={"acme": NotReady(9, "catching up")}), keys)
    async with client(_worker(Elsewhere(OWNER_URL), keys, _to(owner))) as http:
        response = await http.get(OVERVIEW_PATH, headers=bearer(token))
    assert response.status_code == 503 and response.headers["retry-after"] == "9"
    assert response.json() == {"error": "not_ready", "message": "catching up"}


async def test_a_refused_token_is_never_forwarded() -> None:
    never = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(599)))
    async with client(_worker(Elsewhere(OWNER_URL), FakeKeys(), never)) as http:
        response = await http.get(OVERVIEW_PATH, headers=bearer("pbk_0123456789abcdef_" + "A" * 43))
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


async def test_two_workers_that_each_name_the_other_answer_503_after_one_hop() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    hops: list[httpx.Request] = []

    async def b_forwards_back(request: httpx.Request) -> httpx.Response:
        hops.append(request)
        # Worker B also thinks the account lives elsewhere: it must not forward again.
        b = _worker(Elsewhere("http://worker-a:6066"), keys)
        async with _to(b) as to_b:
            return await to_b.send(request)

    a_to_b = httpx.AsyncClient(transport=httpx.MockTransport(b_forwards_back))
    async with client(_worker(Elsewhere(OWNER_URL), keys, a_to_b)) as http:
        response = await http.get(OVERVIEW_PATH, headers=bearer(token))

    assert len(hops) == 1 and str(hops[0].url) == f"{OWNER_URL}{OVERVIEW_PATH}"
    assert hops[0].headers["authorization"] == f"Bearer {token}"
    assert response.status_code == 503 and response.json()["error"] == "not_ready"
    assert response.headers["retry-after"] == "2"


async def test_an_unreachable_owner_is_a_503_not_a_500() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    async with client(_worker(Elsewhere(OWNER_URL), keys, down)) as http:
        response = await http.get(OVERVIEW_PATH, headers=bearer(token))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2" and response.headers["cache-control"] == "no-store"
    assert set(response.json()) == {"error", "message"}
