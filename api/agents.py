"""`GET /api/v1/analytics/agents`: the token's account's agents on duty now, for the wallboard's team panel."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from api.forwarding import Forwarder
from api.keys import ApiKey
from api.ports import AgentsSource, NotReady, OwnedElsewhere
from api.responses import not_ready_response

AGENTS_PATH = "/api/v1/analytics/agents"


class AgentsEndpoint:
    """An account endpoint (see `api.auth.BearerAuth`) answering from an AgentsSource."""

    def __init__(self, agents: AgentsSource, forwarder: Forwarder) -> None:
        self._agents = agents
        self._forwarder = forwarder

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        try:
            on_duty = await self._agents.agents_now(key.account_id)
        except NotReady as not_ready:
            return not_ready_response(not_ready.retry_after_s, not_ready.reason)
        except OwnedElsewhere as elsewhere:
            return await self._forwarder.forward(request, elsewhere.url)
        body = msgspec.json.encode(on_duty)
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
