"""Relayed streams have their own pool and their own caps: request forwarding never waits for them."""

from __future__ import annotations

import asyncio
import dataclasses
import resource
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from api.app import OVERVIEW_PATH
from api.stream import STREAM_PATH
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, bearer
from tests.support.stream_fakes import FAST, LiveFakes, Sse, live_app, next_event, read_sse, serving


@asynccontextmanager
async def _pair(keys: FakeKeys, **caps: int) -> AsyncIterator[str]:
    """An owner of acme and globex, and the URL of a worker that owns neither (with the given caps)."""
    owner = live_app(LiveFakes({"acme": SAMPLE_OVERVIEW, "globex": SAMPLE_OVERVIEW}), keys)
    asked = LiveFakes({})
    async with serving(owner) as owner_url, serving(live_app(asked, keys, dataclasses.replace(FAST, **caps))) as url:
        asked.elsewhere.update(acme=owner_url, globex=owner_url)
        yield url


READERS: list[AsyncIterator[Sse]] = []  # a reader dropped half-way would close its response


async def _open(stack: AsyncExitStack, http: httpx.AsyncClient, token: str) -> httpx.Response:
    """A stream through the asked worker; when it is a 200, its first overview has arrived."""
    response = await stack.enter_async_context(http.stream("GET", STREAM_PATH, headers=bearer(token)))
    if response.status_code == 200:
        events = read_sse(response)
        stack.callback(READERS.remove, events)
        READERS.append(events)
        assert (await next_event(events, timeout=60)).event == "overview"
    return response


async def test_a_stream_over_a_cap_is_a_clear_503_and_a_closed_one_frees_its_slot() -> None:
    keys = FakeKeys()
    acme, globex = keys.issue("acme"), keys.issue("globex")
    async with _pair(keys, max_relayed_per_account=2, max_relayed=3) as url, AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
        first = [await _open(stack, http, acme) for _ in range(2)]
        over_account = await _open(stack, http, acme)
        other_account = await _open(stack, http, globex)
        over_worker = await _open(stack, http, globex)
        bodies = [(await refused.aread()).decode() for refused in (over_account, over_worker)]
        await first[0].aclose()
        async with asyncio.timeout(30):  # the slot comes back once the server has seen the client go
            while (again := await _open(stack, http, acme)).status_code != 200:
                await again.aclose()
                await asyncio.sleep(0.05)
    assert [r.status_code for r in first] == [200, 200] and other_account.status_code == 200
    for refused, body, limit in zip(
        (over_account, over_worker), bodies, ("2 streams of the account", "3 streams"), strict=True
    ):
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "30"
        assert '"error":"too_many_streams"' in body and limit in body


async def test_forwarded_requests_are_answered_while_500_relayed_streams_are_open() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096 <= hard:  # about 2,000 sockets in this one process
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
    keys = FakeKeys()
    acme, globex = keys.issue("acme"), keys.issue("globex")
    async with _pair(keys, max_relayed_per_account=500, max_relayed=500) as url, AsyncExitStack() as stack:
        limits = httpx.Limits(max_connections=None)
        streams = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60, limits=limits))
        async with asyncio.timeout(240):  # generous: this only bounds a hang, it measures nothing
            opened = []
            for _ in range(10):
                opened += await asyncio.gather(*(_open(stack, streams, acme) for _ in range(50)))
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                answers = await asyncio.gather(*(http.get(OVERVIEW_PATH, headers=bearer(globex)) for _ in range(20)))
            one_more = await _open(stack, streams, globex)
    assert [r.status_code for r in opened] == [200] * 500
    assert [r.status_code for r in answers] == [200] * 20  # forwarded to the owner, not waiting for a pool
    assert all(r.json() == SAMPLE_OVERVIEW for r in answers)
    assert one_more.status_code == 503
