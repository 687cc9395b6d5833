"""`GET /api/v1/analytics/agents` over in-memory fakes: the token's account only, the SPEC §3
authentication, 503 while not exact, forwarding to the owner, and the OpenAPI document's shape."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import settings
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from analytics.agents_now import AgentNow, AgentsNow
from api import NotReady, OwnedElsewhere, create_app
from api.agents import AGENTS_PATH
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, FakeOverviews, FakeReadiness, bearer, client

AS_OF = "2026-12-01T11:00:00+00:00"
ACME = AgentsNow(
    as_of=AS_OF,
    agents=[
        AgentNow("agt_2", "Diego", "away", "2026-12-01T10:45:00+00:00"),
        AgentNow("agt_1", "Sarah Chen", "live", "2026-12-01T08:00:00+00:00"),
    ],
)


class FakeAgents:
    """`AgentsSource` over a dict; accounts in `not_ready` or `elsewhere` raise as a worker would."""

    def __init__(
        self,
        answers: dict[str, AgentsNow],
        *,
        not_ready: dict[str, NotReady] | None = None,
        elsewhere: str | None = None,
    ) -> None:
        self.answers = answers
        self.not_ready = not_ready or {}
        self.elsewhere = elsewhere
        self.asked: list[str] = []

    async def agents_now(self, account_id: str) -> AgentsNow:
        self.asked.append(account_id)
        if self.elsewhere is not None:
            raise OwnedElsewhere(self.elsewhere)
        if account_id in self.not_ready:
            raise self.not_ready[account_id]
        return self.answers.get(account_id, AgentsNow(as_of=AS_OF, agents=[]))


def _app(agents: FakeAgents, keys: FakeKeys, forwarding: httpx.AsyncClient | None = None) -> Starlette:
    return create_app(
        overviews=FakeOverviews({"acme": SAMPLE_OVERVIEW}),
        keys=keys,
        readiness=FakeReadiness(),
        registry=CollectorRegistry(),
        forwarding=forwarding,
        agents=agents,
    )


async def test_a_token_sees_its_own_accounts_agents_on_duty() -> None:
    keys = FakeKeys()
    acme, globex = keys.issue("acme"), keys.issue("globex")
    source = FakeAgents({"acme": ACME})
    async with client(_app(source, keys)) as http:
        mine = await http.get(AGENTS_PATH, headers=bearer(acme))
        theirs = await http.get(AGENTS_PATH, headers=bearer(globex))
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/json"
    assert mine.headers["cache-control"] == "no-store"
    assert mine.json() == {
        "as_of": AS_OF,
        "agents": [
            {"agent_id": "agt_2", "name": "Diego", "status": "away", "since": "2026-12-01T10:45:00+00:00"},
            {"agent_id": "agt_1", "name": "Sarah Chen", "status": "live", "since": "2026-12-01T08:00:00+00:00"},
        ],
    }
    assert theirs.json() == {"as_of": AS_OF, "agents": []}
    assert source.asked == ["acme", "globex"]


async def test_missing_and_revoked_tokens_are_401s_that_never_reach_the_source() -> None:
    keys = FakeKeys()
    revoked = keys.issue("acme")
    keys.revoke(revoked)
    source = FakeAgents({"acme": ACME})
    async with client(_app(source, keys)) as http:
        missing = await http.get(AGENTS_PATH)
        refused = await http.get(AGENTS_PATH, headers=bearer(revoked))
    for response, code in [(missing, "missing_token"), (refused, "invalid_token")]:
        assert response.status_code == 401 and response.json()["error"] == code
        assert response.headers["www-authenticate"].startswith('Bearer realm="pingback"')
    assert source.asked == []


async def test_while_the_state_is_not_exact_the_answer_is_a_503_with_retry_after() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    source = FakeAgents({}, not_ready={"acme": NotReady(4, "catching up")})
    async with client(_app(source, keys)) as http:
        response = await http.get(AGENTS_PATH, headers=bearer(token))
    assert response.status_code == 503 and response.headers["retry-after"] == "4"
    assert response.json() == {"error": "not_ready", "message": "catching up"}


async def test_an_account_owned_elsewhere_is_answered_by_its_owner() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    owner_source = FakeAgents({"acme": ACME})
    owner = httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(owner_source, keys)))
    async with client(_app(FakeAgents({}, elsewhere="http://worker-b:6066"), keys, owner)) as http:
        response = await http.get(AGENTS_PATH, headers=bearer(token))
    assert response.status_code == 200 and response.json()["agents"][1]["name"] == "Sarah Chen"
    assert owner_source.asked == ["acme"]


async def test_an_app_without_an_agents_source_does_not_serve_or_document_the_path() -> None:
    app = create_app(
        overviews=FakeOverviews({}), keys=FakeKeys(), readiness=FakeReadiness(), registry=CollectorRegistry()
    )
    async with client(app) as http:
        assert (await http.get(AGENTS_PATH)).status_code == 404
        assert AGENTS_PATH not in (await http.get("/openapi.json")).json()["paths"]


# -- conformance: every answer matches the document, whatever schemathesis sends -----------------

_keys = FakeKeys()
_TOKEN = _keys.issue("acme")
_conformance = FakeAgents({"acme": ACME}, not_ready={"globex": NotReady(2, "rebalancing")})
_schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    _app(_conformance, _keys),
    config=schemathesis.Config.from_dict({"checks": {"not_a_server_error": {"expected-statuses": ["2xx", "4xx"]}}}),
).include(path=AGENTS_PATH)


@_schema.parametrize()
@settings(max_examples=30, deadline=None)
def test_the_endpoint_conforms_to_its_openapi_description(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=bearer(_TOKEN))
    case.call_and_validate()  # generated or missing credentials: clean, documented 401s
