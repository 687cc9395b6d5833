"""Fakes and helpers for the overview stream: a changing source, a real uvicorn, an SSE reader.

The `test_stream*` and `test_wallboard*` files import them. Streams need a real server: httpx's ASGITransport buffers a whole response before returning it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import uvicorn
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from api import NotReady, Overview, OwnedElsewhere, StreamSettings, create_app
from api.stream import STREAM_PATH
from tests.support.api_fakes import FakeKeys, FakeReadiness, bearer

FAST = StreamSettings(heartbeat_s=30.0, poll_s=0.02, retry_ms=1500)


class LiveFakes:
    """Both ports over dicts: `OverviewSource.overview` and `ChangeSource.version`.

    `change()` sets an account's figures and bumps its version, as folding an event would;
    `computed` counts overview computations per account.
    """

    def __init__(self, overviews: dict[str, dict[str, Any]]) -> None:
        self.overviews = dict(overviews)
        self.versions = dict.fromkeys(overviews, 1)
        self.not_ready: dict[str, NotReady] = {}
        self.elsewhere: dict[str, str] = {}
        self.computed: Counter[str] = Counter()

    def _check(self, account_id: str) -> None:
        if account_id in self.not_ready:
            raise self.not_ready[account_id]
        if account_id in self.elsewhere:
            raise OwnedElsewhere(self.elsewhere[account_id])

    def version(self, account_id: str) -> int:
        self._check(account_id)
        return self.versions.get(account_id, 0)

    async def overview(self, account_id: str) -> Overview:
        self._check(account_id)
        self.computed[account_id] += 1
        return msgspec.convert(self.overviews[account_id], Overview)

    def change(self, account_id: str, **figures: object) -> dict[str, Any]:
        self.overviews[account_id] = self.overviews[account_id] | figures
        self.versions[account_id] += 1
        return self.overviews[account_id]


def live_app(
    source: LiveFakes,
    keys: FakeKeys,
    settings: StreamSettings = FAST,
    forwarding: httpx.AsyncClient | None = None,
) -> Starlette:
    return create_app(
        overviews=source,
        keys=keys,
        readiness=FakeReadiness(),
        registry=CollectorRegistry(),
        forwarding=forwarding,
        changes=source,
        stream=settings,
    )


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """`app` on a real uvicorn on 127.0.0.1 (a free port); yields its base URL.

    On exit it stops the way a host should: close the streams, then ask the server to exit.
    """
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raise why it could not start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.state.streams.close()
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)  # a deadline for a server that would not stop


@dataclass(frozen=True)
class Sse:
    """One received SSE block: an event (`event`/`data`/`id`/`retry`) or a `comment`."""

    event: str | None = None
    data: str | None = None
    id: str | None = None
    retry: str | None = None
    comment: str | None = None


async def read_sse(response: httpx.Response) -> AsyncIterator[Sse]:
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield Sse(comment=line[1:].strip())
        elif line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        elif fields:
            yield Sse(**fields)
            fields = {}


@asynccontextmanager
async def open_stream(base_url: str, token: str) -> AsyncIterator[tuple[httpx.Response, AsyncIterator[Sse]]]:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as http,
        http.stream("GET", STREAM_PATH, headers=bearer(token)) as response,
    ):
        yield response, read_sse(response)


async def next_event(events: AsyncIterator[Sse], *, timeout: float = 5) -> Sse:
    """The next block that is an event, skipping heartbeats and the `retry:` hint."""
    async with asyncio.timeout(timeout):
        async for block in events:
            if block.event is not None:
                return block
    raise AssertionError("the stream ended")


async def eventually(condition: Callable[[], bool], *, timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
