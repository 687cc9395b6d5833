"""Revoking a key ends its open streams, local and relayed, with `event: unauthorized`; other keys stream on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson

from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys
from tests.support.stream_fakes import LiveFakes, Sse, eventually, live_app, next_event, open_stream, serving


async def _rest(events: AsyncIterator[Sse]) -> list[Sse]:
    """Every event until the server ends the stream (bounded: it must end by itself)."""
    async with asyncio.timeout(10):
        return [block async for block in events if block.event is not None]


async def test_revoking_a_key_ends_its_local_stream_and_no_other() -> None:
    keys = FakeKeys()
    revoked_token, kept_token = keys.issue("acme"), keys.issue("acme")
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    app = live_app(source, keys)
    async with (
        serving(app) as url,
        open_stream(url, revoked_token) as (_, revoked_events),
        open_stream(url, kept_token) as (_, kept_events),
    ):
        assert (await next_event(revoked_events)).event == "overview"
        assert (await next_event(kept_events)).event == "overview"
        keys.revoke(revoked_token)
        told = await _rest(revoked_events)
        await eventually(lambda: app.state.streams.accounts == 1)  # the kept stream still follows acme
        changed = source.change("acme", quick_pulse_open=7)
        update = await next_event(kept_events)
    assert [block.event for block in told] == ["unauthorized"]
    assert orjson.loads(told[0].data or "") == {
        "error": "invalid_token",
        "message": "The bearer token is unknown or revoked.",
    }
    assert orjson.loads(update.data or "") == changed


async def test_a_key_that_disappears_ends_its_stream_too() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    async with (
        serving(live_app(LiveFakes({"acme": SAMPLE_OVERVIEW}), keys)) as url,
        open_stream(url, token) as (_, events),
    ):
        await next_event(events)
        keys.records.clear()  # a tombstone on the keys topic
        told = await _rest(events)
    assert [block.event for block in told] == ["unauthorized"]


async def test_revoking_a_key_ends_its_relayed_stream_on_the_worker_that_relays_it() -> None:
    owner_keys, asked_keys = FakeKeys(), FakeKeys()
    token = owner_keys.issue("acme")
    asked_keys.records = dict(owner_keys.records)  # every worker holds every key, in its own copy
    owner_app = live_app(LiveFakes({"acme": SAMPLE_OVERVIEW}), owner_keys)
    asked_source = LiveFakes({})
    async with serving(owner_app) as owner_url, serving(live_app(asked_source, asked_keys)) as asked_url:
        asked_source.elsewhere["acme"] = owner_url
        async with open_stream(asked_url, token) as (_, events):
            assert (await next_event(events)).event == "overview"
            asked_keys.revoke(token)  # only the relaying worker has seen the revocation so far
            told = await _rest(events)
        await eventually(lambda: owner_app.state.streams.accounts == 0)  # and it hung up upstream
    assert [block.event for block in told] == ["unauthorized"]


async def test_the_owner_ending_a_revoked_stream_reaches_the_client_through_the_relay() -> None:
    owner_keys, asked_keys = FakeKeys(), FakeKeys()
    token = owner_keys.issue("acme")
    asked_keys.records = dict(owner_keys.records)
    asked_source = LiveFakes({})
    owner_app = live_app(LiveFakes({"acme": SAMPLE_OVERVIEW}), owner_keys)
    async with serving(owner_app) as owner_url, serving(live_app(asked_source, asked_keys)) as asked_url:
        asked_source.elsewhere["acme"] = owner_url
        async with open_stream(asked_url, token) as (_, events):
            await next_event(events)
            owner_keys.revoke(token)  # only the owner has seen it
            told = await _rest(events)
    assert [block.event for block in told] == ["unauthorized"]
