"""The broadcaster without HTTP: fan-out cost, latest-only mailboxes, feed lifetime, failures."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import orjson

from api.broadcast import BroadcastHub, Mailbox, Moved
from tests.support.api_fakes import SAMPLE_OVERVIEW
from tests.support.stream_fakes import LiveFakes, eventually

POLL_S = 0.01


def _figures(frame: bytes | Moved | None) -> dict[str, object]:
    assert isinstance(frame, bytes), frame
    data = frame.split(b"data: ", 1)[1]
    return orjson.loads(data)  # type: ignore[no-any-return]


async def test_a_thousand_listeners_cost_one_computation_per_change() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with AsyncExitStack() as stack:
        mailboxes = [await stack.enter_async_context(hub.subscribe("acme")) for _ in range(1000)]
        assert all([_figures(await box.take(1)) == SAMPLE_OVERVIEW for box in mailboxes])
        started = time.perf_counter()
        changed = source.change("acme", total_conversations=1)
        updates = [await box.take(1) for box in mailboxes]
        fan_out_s = time.perf_counter() - started
        assert all(update is updates[0] for update in updates)  # one shared buffer, encoded once
        assert _figures(updates[0]) == changed
    assert source.computed["acme"] == 2
    assert fan_out_s < 0.5
    assert hub.accounts == 0


async def test_a_slow_listener_gets_only_the_latest_update() -> None:
    mailbox = Mailbox()
    for frame in (b"one", b"two", b"three"):
        mailbox.put(frame)
    assert await mailbox.take(0.01) == b"three"
    assert await mailbox.take(0.01) is None  # idle: the caller sends a heartbeat


async def test_each_account_is_computed_apart_and_only_while_someone_listens() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW, "globex": SAMPLE_OVERVIEW | {"active_agents": 7}})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with hub.subscribe("acme") as acme, hub.subscribe("globex") as globex:
        assert _figures(await acme.take(1))["active_agents"] == 3
        assert _figures(await globex.take(1))["active_agents"] == 7
        source.change("globex", active_agents=8)
        assert _figures(await globex.take(1))["active_agents"] == 8
        assert await acme.take(5 * POLL_S) is None
    assert source.computed == {"acme": 1, "globex": 2}
    await asyncio.sleep(3 * POLL_S)  # the ticker notices there is nothing left to follow
    source.change("acme", active_agents=1)
    await asyncio.sleep(3 * POLL_S)
    assert source.computed == {"acme": 1, "globex": 2}


async def test_a_late_listener_gets_the_current_figures_without_a_computation() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with hub.subscribe("acme") as early:
        await early.take(1)
        async with hub.subscribe("acme") as late:
            assert _figures(await late.take(0.001)) == SAMPLE_OVERVIEW
    assert source.computed["acme"] == 1


async def test_moving_owner_is_passed_on_and_a_failing_source_reported_without_internals() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with hub.subscribe("acme") as mailbox:
        await mailbox.take(1)
        source.elsewhere["acme"] = "http://worker-b:6066"
        assert await mailbox.take(1) == Moved("http://worker-b:6066")
        del source.elsewhere["acme"]
        source.overviews["acme"] = {"total_conversations": 1}  # a broken overview: fields missing
        failure = await mailbox.take(1)
        assert failure is not None and failure.startswith(b"event: unavailable\n")  # type: ignore[union-attr]
        assert _figures(failure) == {"error": "internal_error", "message": "The server failed to compute the figures."}


async def test_close_ends_every_mailbox_and_refuses_new_listeners() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with hub.subscribe("acme") as mailbox:
        await mailbox.take(1)
        waiting = asyncio.create_task(mailbox.take(60))
        hub.close()
        await eventually(waiting.done)
        assert waiting.result() is None and mailbox.closed
    async with hub.subscribe("acme") as late:
        assert late.closed
