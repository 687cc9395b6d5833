"""Streams for accounts another worker owns: the owner's stream is relayed, one hop at most."""

from __future__ import annotations

import asyncio

import orjson

from api.forwarding import MOVING
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys
from tests.support.stream_fakes import LiveFakes, eventually, live_app, next_event, open_stream, serving


async def test_the_owners_stream_is_relayed_and_follows_its_changes() -> None:
    keys = FakeKeys()  # keys are global: every worker holds every key
    token = keys.issue("acme")
    owner_source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    owner_app = live_app(owner_source, keys)
    asked_source = LiveFakes({})
    async with serving(owner_app) as owner_url, serving(live_app(asked_source, keys)) as asked_url:
        asked_source.elsewhere["acme"] = owner_url
        async with open_stream(asked_url, token) as (response, events):
            assert response.status_code == 200
            first = await next_event(events)
            changed = owner_source.change("acme", quick_pulse_open=99)
            second = await next_event(events)
            assert owner_app.state.streams.accounts == 1
        await eventually(lambda: owner_app.state.streams.accounts == 0)  # the relay hung up upstream
    assert first.event == "overview" and orjson.loads(first.data or "") == SAMPLE_OVERVIEW
    assert second.id == "2" and orjson.loads(second.data or "") == changed
    assert not asked_source.computed  # the asked worker computed nothing


async def test_two_workers_that_each_name_the_other_end_the_stream_after_one_hop() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    a_source, b_source = LiveFakes({}), LiveFakes({})
    async with serving(live_app(a_source, keys)) as a_url, serving(live_app(b_source, keys)) as b_url:
        a_source.elsewhere["acme"], b_source.elsewhere["acme"] = b_url, a_url
        async with open_stream(a_url, token) as (_, events):
            async with asyncio.timeout(5):
                blocks = [block async for block in events]  # ends by itself
    told = [block for block in blocks if block.event is not None]
    assert [block.event for block in told] == ["unavailable"]
    assert orjson.loads(told[0].data or "")["message"] == MOVING


async def test_an_unreachable_owner_is_reported_then_the_stream_ends() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    source = LiveFakes({})
    source.elsewhere["acme"] = "http://127.0.0.1:9"  # discard port: nothing listens
    async with serving(live_app(source, keys)) as url, open_stream(url, token) as (_, events):
        async with asyncio.timeout(10):
            blocks = [block async for block in events]
    assert [block.event for block in blocks if block.event] == ["unavailable"]


async def test_shutdown_ends_a_relayed_stream_too() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    owner_source, asked_source = LiveFakes({"acme": SAMPLE_OVERVIEW}), LiveFakes({})
    asked_app = live_app(asked_source, keys)
    async with serving(live_app(owner_source, keys)) as owner_url, serving(asked_app) as asked_url:
        asked_source.elsewhere["acme"] = owner_url
        async with open_stream(asked_url, token) as (_, events):
            await next_event(events)
            asked_app.state.streams.close()
            async with asyncio.timeout(5):
                assert [block async for block in events if block.event] == []
