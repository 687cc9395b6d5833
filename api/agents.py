"""`GET /api/v1/analytics/agents`: the token's account's agents on duty now, for the wallboard's team panel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.forwarding import Forwarder
from api.keys import ApiKey
from api.ports import AgentsSource
from api.responses import struct_response

AGENTS_PATH = "/api/v1/analytics/agents"


class AgentsEndpoint:
    """An account endpoint (see `api.auth.BearerAuth`) answering from an AgentsSource."""

    def __init__(self, agents: AgentsSource, forwarder: Forwarder) -> None:
        self._agents = agents
        self._forwarder = forwarder

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        on_duty = await self._forwarder.here_or_there(request, self._agents.agents_now(key.account_id))
        return on_duty if isinstance(on_duty, Response) else struct_response(on_duty)
