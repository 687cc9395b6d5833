"""A recovery that a rebalance overtakes, with the real Recovery, Progress and LiveState and no broker.

Faust runs the tables' recovery callbacks as tasks of their own and abandons (cancels) only its
wait for them when another rebalance begins, so `Recovery.on_recovered` can finish after the
rebalance began, or even after the next generation's recovery. What it read before its awaits
(the assignment, above all) is then stale: taking it as the truth made a worker count partitions
it no longer held as its own, with empty views and no catch-up left, and serve 200 with all-zero
figures for their accounts until the next rebalance.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.structs import OffsetAndMetadata
from faust.types import TP
from prometheus_client import CollectorRegistry

from analytics.window import Views
from api.ports import NotReady
from streams.live_state import LiveState
from streams.metrics import ProcessorMetrics
from streams.progress import Progress
from streams.recovery import Recovery
from streams.settings import Settings
from tests.support.builders import T_US

SETTINGS = Settings()
HOME, MOVED = TP(SETTINGS.conversation_topic, 0), TP(SETTINGS.conversation_topic, 1)
END = 10  # every partition's end offset, all of it folded and committed by the group
ACCOUNT_ON = {"acme": HOME.partition, "globex": MOVED.partition}


class HeldConsumer:
    """The consumer's assignment and end offsets; the first end-offset question waits until released."""

    def __init__(self, assignment: set[TP]) -> None:
        self.assigned = assignment
        self.asked, self.release = asyncio.Event(), asyncio.Event()
        self.unreachable = False

    def assignment(self) -> set[TP]:
        return set(self.assigned)

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        if self.unreachable:
            self.asked.set()
            raise ConnectionError("broker unreachable")
        if not self.asked.is_set():
            self.asked.set()
            await self.release.wait()
        return dict.fromkeys(tps, END)


class GroupOffsets:
    """The admin client's answer: every partition committed at its end."""

    async def list_consumer_group_offsets(self, group_id: str) -> dict[TP, OffsetAndMetadata]:
        return {tp: OffsetAndMetadata(END, "") for tp in (HOME, MOVED)}


class App:
    def __init__(self, consumer: HeldConsumer) -> None:
        self.consumer, self.consumer_generation_id = consumer, 1


def worker_holding_both() -> tuple[App, LiveState, Recovery]:
    app = App(HeldConsumer({HOME, MOVED}))
    state = LiveState(views=Views(), partition_of=ACCOUNT_ON.__getitem__)
    metrics = ProcessorMetrics(CollectorRegistry())
    progress = Progress(app, SETTINGS, state, metrics)  # the parts of faust.App it uses
    progress._admin = GroupOffsets()  # committed_offsets asks it
    empty: Any = type("EmptyTable", (), {"items": lambda self: []})()
    recovery = Recovery(
        app=app,
        conversations=empty,
        agents=empty,
        state=state,
        progress=progress,
        metrics=metrics,
        clock_us=lambda: T_US,
    )
    return app, state, recovery


async def test_a_recovery_overtaken_by_the_next_generations_does_not_undo_it() -> None:
    app, state, recovery = worker_holding_both()
    first = asyncio.create_task(recovery.on_recovered())
    await app.consumer.asked.wait()  # generation 1's recovery is asking Kafka for end offsets
    await recovery.on_partitions_revoked(None, set())
    app.consumer.assigned, app.consumer_generation_id = {HOME}, 2  # the other worker took MOVED
    await recovery.on_recovered()
    assert state.readiness() == (True, "serving 1 partition(s)")
    app.consumer.release.set()
    await first
    assert state.readiness() == (True, "serving 1 partition(s)")
    assert state.overview("acme", T_US).total_conversations == 0  # served: HOME is this worker's
    with pytest.raises(NotReady, match="moving between workers"):
        state.overview("globex", T_US)  # not a 200 with zeros: its facts are on the other worker


async def test_a_recovery_that_ends_after_a_rebalance_began_leaves_the_worker_recovering() -> None:
    app, state, recovery = worker_holding_both()
    first = asyncio.create_task(recovery.on_recovered())
    await app.consumer.asked.wait()
    await recovery.on_partitions_revoked(None, set())
    app.consumer.release.set()
    await first
    assert state.recovering
    with pytest.raises(NotReady, match="recovering"):
        state.overview("acme", T_US)


async def test_a_recovery_retrying_an_unreachable_kafka_gives_up_at_the_next_rebalance() -> None:
    app, state, recovery = worker_holding_both()
    app.consumer.unreachable = True
    first = asyncio.create_task(recovery.on_recovered())
    await app.consumer.asked.wait()  # the first attempt failed; it retries after a pause
    await recovery.on_partitions_revoked(None, set())
    async with asyncio.timeout(30):  # generous: it ends after its next pause, never after Kafka answers
        await first
    assert state.recovering
