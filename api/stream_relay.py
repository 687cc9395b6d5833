"""Serving a stream for an account another worker owns, by relaying the owner's stream.

Like `api.forwarding` for single answers: the owner is asked once, with the client's own
`Authorization` and the one-hop `x-pingback-forwarded` mark, and its bytes are passed through
untouched, one whole event at a time (so an event of this worker's own, such as `unauthorized`, can
always follow). A failure before anything was relayed becomes an `unavailable` event; after that the
stream simply ends (SSE clients discard a half-received event) and the client reconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from starlette.requests import Request

from api import sse
from api.forwarding import FORWARDED_HEADER, MOVING, replay

UNREACHABLE = "the worker that holds the account's state is unreachable"


class StreamRelay:
    def __init__(self, client: httpx.AsyncClient, timeout: httpx.Timeout, stopped: asyncio.Event) -> None:
        """`timeout.read` bounds the silence between chunks, so it must exceed the heartbeat
        interval; `stopped` ends every relay at once (server shutdown)."""
        self._client = client
        self._timeout = timeout
        self._stopped = stopped

    async def relay(self, request: Request, owner_url: str, revoked: asyncio.Event) -> AsyncIterator[bytes]:
        """The owner's events until it ends, the server stops or `revoked` is set."""
        if FORWARDED_HEADER in request.headers:
            # Two workers each think the other owns the account: end this hop, the client retries.
            yield sse.unavailable(MOVING)
            return
        url, headers = replay(request, owner_url)
        relayed = False
        try:
            async with self._client.stream("GET", url, headers=headers, timeout=self._timeout) as answer:
                if answer.status_code != 200:
                    yield sse.unavailable(f"the worker that holds the account's state answered {answer.status_code}")
                    return
                async for events in _whole_events(_until(answer.aiter_raw(), self._stopped, revoked)):
                    relayed = True
                    yield events
        except httpx.HTTPError:
            if not relayed:
                yield sse.unavailable(UNREACHABLE)


async def _whole_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` regrouped to end on event boundaries (our workers end every line with `\\n`)."""
    pending = b""
    async for chunk in chunks:
        pending += chunk
        cut = pending.rfind(b"\n\n")
        if cut >= 0:
            yield pending[: cut + 2]
            pending = pending[cut + 2 :]


async def _until(chunks: AsyncIterator[bytes], *ends: asyncio.Event) -> AsyncIterator[bytes]:
    """`chunks` until they end or one of `ends` is set, even while waiting for the next one."""
    stops = [asyncio.ensure_future(end.wait()) for end in ends]
    step: asyncio.Future[bytes] | None = None
    try:
        while True:
            step = asyncio.ensure_future(anext(chunks))
            await asyncio.wait((step, *stops), return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                return
            try:
                chunk = step.result()
            except StopAsyncIteration:
                return
            yield chunk
    finally:
        for stop in stops:
            stop.cancel()
        if step is not None and not step.done():
            step.cancel()
            await asyncio.wait((step,))  # let it unwind before the response it reads is closed
