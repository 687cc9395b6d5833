"""The overview stream over a real uvicorn: figures on connect and on change, coalescing, heartbeats,
401s, not-ready accounts, one computation per change for many listeners, and clean endings."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import orjson
from starlette.routing import Route

from api import NotReady
from api.app import OVERVIEW_PATH
from api.stream import STREAM_PATH
from api.wallboard import WALLBOARD_PATH
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, bearer, client, make_app
from tests.support.stream_fakes import (
    FAST,
    LiveFakes,
    eventually,
    live_app,
    next_event,
    open_stream,
    read_sse,
    serving,
)


def _world() -> tuple[LiveFakes, FakeKeys, str]:
    keys = FakeKeys()
    return LiveFakes({"acme": SAMPLE_OVERVIEW}), keys, keys.issue("acme")


async def test_the_first_event_is_the_overview_exactly_as_the_endpoint_serialises_it() -> None:
    source, keys, token = _world()
    async with serving(live_app(source, keys)) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            endpoint_body = (await http.get(OVERVIEW_PATH, headers=bearer(token))).content
        async with open_stream(url, token) as (response, events):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-store"
            hint = await anext(events)
            assert hint.retry == str(FAST.retry_ms)
            first = await next_event(events)
    assert first.event == "overview"
    assert first.data is not None and first.data.encode() == endpoint_body
    assert first.id == "1"


async def test_a_change_sends_the_new_figures_with_the_new_version() -> None:
    source, keys, token = _world()
    async with serving(live_app(source, keys)) as url, open_stream(url, token) as (_, events):
        await next_event(events)
        changed = source.change("acme", total_conversations=1285, customer_happiness=97)
        update = await next_event(events)
    assert update.event == "overview" and update.id == "2"
    assert orjson.loads(update.data or "") == changed


async def test_a_version_that_changes_no_figure_sends_nothing() -> None:
    source, keys, token = _world()
    async with serving(live_app(source, keys)) as url, open_stream(url, token) as (_, events):
        await next_event(events)
        source.change("acme")  # e.g. the window slid past nothing
        await eventually(lambda: source.computed["acme"] == 2)
        source.change("acme", quick_pulse_open=15)
        update = await next_event(events)
    assert orjson.loads(update.data or "")["quick_pulse_open"] == 15


async def test_a_burst_of_changes_arrives_in_order_and_ends_with_the_last() -> None:
    # How many events a burst costs (at most one per poll interval) is test_stream_broadcast's, on a fake clock.
    source, keys, token = _world()
    received: list[int] = []
    async with serving(live_app(source, keys)) as url, open_stream(url, token) as (_, events):
        await next_event(events)
        for n in range(1, 101):
            source.change("acme", total_conversations=n)
            await asyncio.sleep(FAST.poll_s / 4)
        while not received or received[-1] != 100:
            received.append(orjson.loads((await next_event(events)).data or "")["total_conversations"])
    assert received == sorted(set(received))


async def test_an_idle_stream_sends_heartbeat_comments() -> None:
    source, keys, token = _world()
    chatty = dataclasses.replace(FAST, heartbeat_s=0.05)
    async with serving(live_app(source, keys, chatty)) as url, open_stream(url, token) as (_, events):
        await next_event(events)
        comments = []
        async with asyncio.timeout(5):
            async for block in events:
                assert block.event is None, "nothing changed, so only heartbeats may come"
                if block.comment is not None:
                    comments.append(block.comment)
                if len(comments) == 3:
                    break
    assert comments == ["heartbeat"] * 3


async def test_a_bad_token_gets_the_same_401_as_the_overview_endpoint() -> None:
    source, keys, token = _world()
    keys.revoke(token)
    async with serving(live_app(source, keys)) as url, httpx.AsyncClient(base_url=url) as http:
        for headers in [{}, bearer("pbk_nonsense"), bearer(token)]:
            stream = await http.get(STREAM_PATH, headers=headers)
            overview = await http.get(OVERVIEW_PATH, headers=headers)
            assert stream.status_code == 401
            assert stream.headers["content-type"] == "application/json"
            assert stream.json() == overview.json()
            assert stream.headers["www-authenticate"] == overview.headers["www-authenticate"]


async def test_an_account_that_is_not_ready_gets_unavailable_then_the_figures() -> None:
    source, keys, token = _world()
    source.not_ready["acme"] = NotReady(2, "catching up with its backlog")
    async with serving(live_app(source, keys)) as url, open_stream(url, token) as (response, events):
        assert response.status_code == 200
        waiting = await next_event(events)
        del source.not_ready["acme"]
        ready = await next_event(events)
    assert waiting.event == "unavailable"
    assert orjson.loads(waiting.data or "") == {"error": "not_ready", "message": "catching up with its backlog"}
    assert ready.event == "overview" and orjson.loads(ready.data or "") == SAMPLE_OVERVIEW


async def test_many_listeners_share_one_computation_per_change() -> None:
    source, keys, token = _world()
    async with serving(live_app(source, keys)) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        streams = [
            await http.send(http.build_request("GET", STREAM_PATH, headers=bearer(token)), stream=True)
            for _ in range(40)
        ]
        try:
            readers = [read_sse(response) for response in streams]
            firsts = await asyncio.gather(*(next_event(events) for events in readers))
            source.change("acme", active_agents=4)
            seconds = await asyncio.gather(*(next_event(events) for events in readers))
        finally:
            for response in streams:
                await response.aclose()
    assert {event.id for event in firsts} == {"1"} and {event.id for event in seconds} == {"2"}
    assert source.computed["acme"] == 2  # one on the first connect, one for the change


async def test_a_client_leaving_drops_the_accounts_feed() -> None:
    source, keys, token = _world()
    app = live_app(source, keys)
    async with serving(app) as url:
        async with open_stream(url, token) as (_, events):
            await next_event(events)
            assert app.state.streams.accounts == 1
        await eventually(lambda: app.state.streams.accounts == 0)
        computed = source.computed["acme"]
        source.change("acme", active_agents=9)
        await asyncio.sleep(10 * FAST.poll_s)
    assert source.computed["acme"] == computed  # nobody listens, nothing is computed


async def test_closing_the_streams_ends_open_responses_so_the_server_can_stop() -> None:
    source, keys, token = _world()
    app = live_app(source, keys)
    async with serving(app) as url, open_stream(url, token) as (_, events):
        await next_event(events)
        app.state.streams.close()
        async with asyncio.timeout(5):
            rest = [block async for block in events]  # the response completes
    assert all(block.event is None for block in rest)


async def test_the_document_lists_the_stream_and_the_wallboard_exactly_when_they_are_served() -> None:
    source, keys, _ = _world()
    live, plain = live_app(source, keys), make_app()
    for app, expected in [(live, True), (plain, False)]:
        async with client(app) as http:
            document = (await http.get("/openapi.json")).json()
        routes = {route.path: route.methods for route in app.routes if isinstance(route, Route)}
        assert set(document["paths"]) == set(routes)
        assert (STREAM_PATH in routes) is expected and (WALLBOARD_PATH in routes) is expected
    async with client(live) as http:
        operation = (await http.get("/openapi.json")).json()["paths"][STREAM_PATH]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"text/event-stream"}
    assert operation["security"] == [{"bearer": []}]
    assert set(operation["responses"]) == {"200", "401", "403", "500"}


async def test_a_server_with_open_streams_stops_at_once_when_they_are_closed_first() -> None:
    source, keys, token = _world()
    async with httpx.AsyncClient(timeout=10) as http:
        async with serving(live_app(source, keys)) as url:
            request = http.build_request("GET", url + STREAM_PATH, headers=bearer(token))
            response = await http.send(request, stream=True)
            events = read_sse(response)
            await next_event(events)
        # `serving` closed the streams, then asked uvicorn to exit, and uvicorn stopped within its
        # deadline although this client never left: without the close it would wait for the client.
        assert not response.is_closed
        assert [block async for block in events if block.event] == []  # a complete, clean ending
        await response.aclose()
