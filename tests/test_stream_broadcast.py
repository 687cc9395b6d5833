"""The broadcaster without HTTP: fan-out cost, coalescing, latest-only mailboxes, feed lifetime, failures."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from itertools import pairwise

import orjson

from api.broadcast import BroadcastHub, Mailbox, Moved
from tests.support.api_fakes import SAMPLE_OVERVIEW
from tests.support.fake_clock import FakeClock
from tests.support.stream_fakes import LiveFakes, eventually

POLL_S = 0.01
# How long a listener waits for an update that must come: a deadline for a broken hub, never a budget.
WAIT_S = 30.0


def _figures(frame: bytes | Moved | None) -> dict[str, object]:
    assert isinstance(frame, bytes), frame
    data = frame.split(b"data: ", 1)[1]
    return orjson.loads(data)  # type: ignore[no-any-return]


async def test_a_thousand_listeners_cost_one_computation_per_change() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with AsyncExitStack() as stack:
        mailboxes = [await stack.enter_async_context(hub.subscribe("acme")) for _ in range(1000)]
        assert all([_figures(await box.take(WAIT_S)) == SAMPLE_OVERVIEW for box in mailboxes])
        changed = source.change("acme", total_conversations=1)
        updates = [await box.take(WAIT_S) for box in mailboxes]
        assert all(update is updates[0] for update in updates)  # every listener, one shared buffer encoded once
        assert _figures(updates[0]) == changed
    assert source.computed["acme"] == 2  # one computation on the first connect, one served the change to all
    assert hub.accounts == 0


async def test_rapid_changes_reach_a_listener_at_most_once_per_interval_and_the_last_always() -> None:
    interval_s, step_s = 0.25, 1 / 32  # a change every 31.25 ms, 8 per interval; exact in binary
    clock = FakeClock()
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=interval_s, clock=clock)
    sent_at: list[float] = []
    received: list[int] = []

    def note(update: bytes | Moved | None) -> None:
        if update is not None:
            total = _figures(update)["total_conversations"]
            assert isinstance(total, int)
            sent_at.append(clock.now)
            received.append(total)

    async with hub.subscribe("acme") as mailbox:
        note(await mailbox.take(WAIT_S))  # the first figures, at once
        for n in range(1, 101):
            source.change("acme", total_conversations=n)
            await clock.advance(step_s)  # the hub has done whatever this step asks of it
            note(await mailbox.take(0))  # a listener that reads everything at once
        await clock.advance(interval_s)
        note(await mailbox.take(0))
    assert received[0] == SAMPLE_OVERVIEW["total_conversations"] and received[-1] == 100
    assert received[1:] == sorted(received[1:])
    assert all(later - earlier >= interval_s for earlier, later in pairwise(sent_at)), sent_at
    assert len(received) <= 2 + 100 * step_s / interval_s  # 100 changes over 12.5 intervals


async def test_a_slow_listener_gets_only_the_latest_update() -> None:
    mailbox = Mailbox()
    for frame in (b"one", b"two", b"three"):
        mailbox.put(frame)
    assert await mailbox.take(0.01) == b"three"
    assert await mailbox.take(0.01) is None  # idle: the caller sends a heartbeat


async def test_each_account_is_computed_apart_and_only_while_someone_listens() -> None:
    clock = FakeClock()
    source = LiveFakes({"acme": SAMPLE_OVERVIEW, "globex": SAMPLE_OVERVIEW | {"active_agents": 7}})
    hub = BroadcastHub(source, source, poll_s=POLL_S, clock=clock)
    async with hub.subscribe("acme") as acme, hub.subscribe("globex") as globex:
        assert _figures(await acme.take(0))["active_agents"] == 3
        assert _figures(await globex.take(0))["active_agents"] == 7
        source.change("globex", active_agents=8)
        await clock.advance(POLL_S)
        assert _figures(await globex.take(0))["active_agents"] == 8
        for _ in range(5):
            await clock.advance(POLL_S)
        assert await acme.take(0) is None
    assert source.computed == {"acme": 1, "globex": 2}
    source.change("acme", active_agents=1)
    for _ in range(3):  # the ticker wakes, finds nothing left to follow and ends
        await clock.advance(POLL_S)
    assert source.computed == {"acme": 1, "globex": 2}


async def test_a_late_listener_gets_the_current_figures_without_a_computation() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with hub.subscribe("acme") as early:
        await early.take(WAIT_S)
        async with hub.subscribe("acme") as late:
            assert _figures(await late.take(0.001)) == SAMPLE_OVERVIEW
    assert source.computed["acme"] == 1


async def test_moving_owner_is_passed_on_and_a_failing_source_reported_without_internals() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with hub.subscribe("acme") as mailbox:
        await mailbox.take(WAIT_S)
        source.elsewhere["acme"] = "http://worker-b:6066"
        assert await mailbox.take(WAIT_S) == Moved("http://worker-b:6066")
        del source.elsewhere["acme"]
        source.overviews["acme"] = {"total_conversations": 1}  # a broken overview: fields missing
        failure = await mailbox.take(WAIT_S)
        assert failure is not None and failure.startswith(b"event: unavailable\n")  # type: ignore[union-attr]
        assert _figures(failure) == {"error": "internal_error", "message": "The server failed to compute the figures."}


async def test_close_ends_every_mailbox_and_refuses_new_listeners() -> None:
    source = LiveFakes({"acme": SAMPLE_OVERVIEW})
    hub = BroadcastHub(source, source, poll_s=POLL_S)
    async with hub.subscribe("acme") as mailbox:
        await mailbox.take(WAIT_S)
        waiting = asyncio.create_task(mailbox.take(60))
        hub.close()
        await eventually(waiting.done)
        assert waiting.result() is None and mailbox.closed
    async with hub.subscribe("acme") as late:
        assert late.closed
