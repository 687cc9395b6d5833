"""`GET /api/v1/analytics/overview`: the token's account's overview, or 503 while it is not exact."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from api.forwarding import Forwarder
from api.keys import ApiKey
from api.ports import NotReady, OverviewSource, OwnedElsewhere
from api.responses import not_ready_response


class OverviewEndpoint:
    """An account endpoint (see `api.auth.BearerAuth`) answering from an OverviewSource."""

    def __init__(self, overviews: OverviewSource, forwarder: Forwarder) -> None:
        self._overviews = overviews
        self._forwarder = forwarder

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        try:
            overview = await self._overviews.overview(key.account_id)
        except NotReady as not_ready:
            return not_ready_response(not_ready.retry_after_s, not_ready.reason)
        except OwnedElsewhere as elsewhere:
            return await self._forwarder.forward(request, elsewhere.url)
        # The struct is the contract (analytics.figures.Overview): exactly its fields, in SPEC order.
        return Response(msgspec.json.encode(overview), media_type="application/json", headers={"Cache-Control": "no-store"})
