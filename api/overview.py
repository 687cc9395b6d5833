"""`GET /api/v1/analytics/overview`: the token's account's overview, or 503 while it is not exact."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.forwarding import Forwarder
from api.keys import ApiKey
from api.ports import OverviewSource
from api.responses import struct_response


class OverviewEndpoint:
    """An account endpoint (see `api.auth.BearerAuth`) answering from an OverviewSource."""

    def __init__(self, overviews: OverviewSource, forwarder: Forwarder) -> None:
        self._overviews = overviews
        self._forwarder = forwarder

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        overview = await self._forwarder.here_or_there(request, self._overviews.overview(key.account_id))
        # The struct is the contract (analytics.figures.Overview): exactly its fields, in SPEC order.
        return overview if isinstance(overview, Response) else struct_response(overview)
