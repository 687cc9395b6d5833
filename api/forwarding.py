"""Answering for an account whose state lives on another worker, by replaying the request there.

The source raises `OwnedElsewhere(url)`; the request is sent once to that worker's API with the
caller's own `Authorization`, so the owner authenticates it exactly as it would a direct call,
and its answer is relayed unchanged. The HTTP client is passed in (tests use an
`httpx.ASGITransport` onto a second app).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import httpx
from starlette.requests import Request
from starlette.responses import Response

from api.ports import RETRY_AFTER_S, NotReady, OwnedElsewhere
from api.responses import not_ready_response

T = TypeVar("T")

# Marks a request that has already been forwarded once, so two workers that each think the other
# owns the account (mid-rebalance) answer 503 instead of bouncing the request between them.
FORWARDED_HEADER = "x-pingback-forwarded"
MOVING = "the account's partition is moving between workers"
_RELAYED_HEADERS = ("content-type", "cache-control", "retry-after", "www-authenticate")


def replay(request: Request, owner_url: str) -> tuple[str, dict[str, str]]:
    """The URL and headers that ask the owner the same question, marked as forwarded once."""
    url = owner_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return url, {"authorization": request.headers.get("authorization", ""), FORWARDED_HEADER: "1"}


class Forwarder:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def here_or_there(self, request: Request, compute: Awaitable[T]) -> T | Response:
        """What `compute` (a source's answer for the account) gives, or the response that stands for
        it: 503 while the account cannot be exact here, the owner's answer when another worker owns it."""
        try:
            return await compute
        except NotReady as not_ready:
            return not_ready_response(not_ready.retry_after_s, not_ready.reason)
        except OwnedElsewhere as elsewhere:
            return await self.forward(request, elsewhere.url)

    async def forward(self, request: Request, owner_url: str) -> Response:
        if FORWARDED_HEADER in request.headers:
            return not_ready_response(RETRY_AFTER_S, MOVING)
        url, headers = replay(request, owner_url)
        try:
            answer = await self._client.request(request.method, url, headers=headers)
        except httpx.HTTPError:
            # Most likely the owner is restarting or the assignment is stale: both pass quickly.
            return not_ready_response(RETRY_AFTER_S, "the worker that holds the account's state is unreachable")
        relayed = {name: answer.headers[name] for name in _RELAYED_HEADERS if name in answer.headers}
        return Response(answer.content, status_code=answer.status_code, headers=relayed)
