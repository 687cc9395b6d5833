"""`GET /api/v1/analytics/overview`: the token's account's overview, or 503 while it is not exact."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.forwarding import Forwarder
from api.keys import ApiKey
from api.openapi import OVERVIEW_FIELDS
from api.ports import NotReady, Overview, OverviewSource, OwnedElsewhere
from api.responses import ORJSONResponse, not_ready_response


def documented(overview: Overview) -> dict[str, Any]:
    """Exactly the documented fields, in SPEC order: a missing one fails loudly (a 500) rather
    than answering a partial overview, and internal extras never leak into the contract."""
    return {field: overview[field] for field in OVERVIEW_FIELDS}


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
        return ORJSONResponse(documented(overview), headers={"Cache-Control": "no-store"})
