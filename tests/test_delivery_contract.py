"""The Faust internals streams.delivery relies on, checked without a broker (streams.fact_tables' are in
test_fact_tables_contract.py).

If a faust-streaming upgrade renames, re-signs or changes one of them, a test here fails and
names it; nothing is skipped. The broker side alone is stubbed: `_wait_next_records` (the fetch)
and `highwater` (the broker's end offsets); everything else is the installed Faust.
"""

from __future__ import annotations

import gc
import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka.structs import ConsumerRecord
from faust.transport.consumer import Consumer as FaustConsumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, Message

from streams.delivery import BatchConsumer, Redeliver, deliver_in_batches

EVENTS, CHANGELOG = "events", "app-facts-changelog"


def record(topic: str, partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord(topic, partition, offset, 0, 0, b"k", f"v{offset}".encode(), None, 1, 2, ())


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.app = faust.App("contract", broker="kafka://127.0.0.1:1", store="memory://", datadir=str(tmp_path))
        self.batches: list[list[tuple[str, int, int]]] = []
        self.topic = self.app.topic(EVENTS)
        deliver_in_batches(self.app, self.topic, self.handler)
        self.app.topic(CHANGELOG, acks=False)  # stands in for a changelog: not a batch topic
        consumer = self.app.consumer
        assert isinstance(consumer, BatchConsumer), type(consumer)  # the transport hook made our consumer
        self.consumer: BatchConsumer = consumer
        self.consumer.highwater = lambda tp: 100  # type: ignore[method-assign]  # the broker's end offset
        self.fetches: list[dict[TP, list[ConsumerRecord]]] = []
        self.on_handler: Any = None
        self.held: set[TP] = set()  # what the handler answers: partitions whose records stay unacknowledged

    async def handler(self, messages: Sequence[Message]) -> set[TP]:
        self.batches.append([(m.topic, m.partition, m.offset) for m in messages])
        if self.on_handler:
            self.on_handler()
        return self.held

    async def _wait_next_records(self, timeout: float) -> tuple[dict[TP, list[ConsumerRecord]], None]:
        return self.fetches.pop(0), None

    async def fetch(self, records: dict[TP, list[ConsumerRecord]]) -> list[tuple[TP, Message]]:
        """One `getmany` as `_drain_messages` runs it: what comes out one by one."""
        self.fetches.append(records)
        self.consumer._wait_next_records = self._wait_next_records  # type: ignore[method-assign]
        return [item async for item in self.consumer.getmany(timeout=1.0)]


@pytest.fixture
async def harness(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path)
    await harness.app.topics._update_indices()  # what subscribing does: enables acks per topic
    return harness


def test_drain_messages_fetches_through_getmany_and_awaits_each_record() -> None:
    # Our batching lives in `getmany`, which `_drain_messages` binds and iterates: if Faust stops
    # calling it, batch delivery silently stops; if it stops the per-record `wait_first`, this
    # module's reason to exist changes.
    source = inspect.getsource(FaustConsumer._drain_messages)
    assert "getmany = self.getmany" in source
    assert "async for tp, message in ait" in source
    assert "self.wait_first(" in source
    for name in (
        "_wait_next_records",
        "perform_seek",
        "_to_message",
        "track_message",
        "ack",
        "_add_gap",
        "commit",
        "seek",
        "_seek",
    ):
        assert callable(getattr(aiokafka_driver.Consumer, name)), name
    assert aiokafka_driver.Transport.Consumer is aiokafka_driver.Consumer


async def test_a_batch_goes_to_the_handler_at_once_and_is_acked_for_commit(harness: Harness) -> None:
    p0, p1 = TP(EVENTS, 0), TP(EVENTS, 1)
    yielded = await harness.fetch({p0: [record(EVENTS, 0, o) for o in range(3)], p1: [record(EVENTS, 1, 7)]})
    assert yielded == []  # nothing of the batch topic goes the per-record way
    assert harness.batches == [[(EVENTS, 0, 0), (EVENTS, 0, 1), (EVENTS, 0, 2), (EVENTS, 1, 7)]]
    consumer = harness.consumer
    assert consumer._acked[p0] == [0, 1, 2] and consumer._acked[p1] == [7]  # what Faust commits from
    assert consumer._new_offset(p0) == 3
    assert consumer._read_offset[p0] == 2 and consumer._read_offset[p1] == 7
    assert not consumer._unacked_messages
    assert p0 in harness.app.monitor.stream_inbound_time


async def test_records_are_tracked_until_the_handler_returns(harness: Harness) -> None:
    # A rebalance's `wait_empty` waits while `_unacked_messages` holds the batch.
    seen: list[int] = []
    harness.on_handler = lambda: seen.append(len(harness.consumer._unacked_messages))
    await harness.fetch({TP(EVENTS, 0): [record(EVENTS, 0, o) for o in range(5)]})
    assert seen == [5]
    assert not harness.consumer._unacked_messages


async def test_held_partitions_are_not_acknowledged_and_never_committed_past(harness: Harness) -> None:
    consumer, p0, p1 = harness.consumer, TP(EVENTS, 0), TP(EVENTS, 1)
    await harness.fetch({p0: [record(EVENTS, 0, o) for o in range(3)]})
    harness.held = {p0}  # offset 3 on fails: p0 is held from here on, p1 goes on
    await harness.fetch({p0: [record(EVENTS, 0, o) for o in (3, 4)], p1: [record(EVENTS, 1, o) for o in range(2)]})
    await harness.fetch({p0: [record(EVENTS, 0, o) for o in (5, 9)], p1: [record(EVENTS, 1, 2)]})
    assert harness.batches[1:] == [
        [(EVENTS, 0, 3), (EVENTS, 0, 4), (EVENTS, 1, 0), (EVENTS, 1, 1)],
        [(EVENTS, 0, 5), (EVENTS, 0, 9), (EVENTS, 1, 2)],
    ]
    assert consumer._acked[p0] == [0, 1, 2] and consumer._acked[p1] == [0, 1, 2]
    assert consumer._new_offset(p0) == 3 and consumer._new_offset(p1) == 3
    assert consumer._new_offset(p0) is None  # the gap before offset 9 does not carry a commit past 3
    # Delivered all the same: a refetch before the rebalance is dropped, no gap is laid over them.
    assert consumer._read_offset[p0] == 9
    gc.collect()
    assert not consumer._unacked_messages  # a rebalance's `wait_empty` does not wait for held records


async def test_a_batch_the_handler_redelivers_is_sought_back_unacknowledged_and_handed_over_again(
    harness: Harness,
) -> None:
    consumer, p0, p1 = harness.consumer, TP(EVENTS, 0), TP(EVENTS, 1)
    sought: list[tuple[TP, int]] = []

    async def _seek(tp: TP, offset: int) -> None:  # the broker side of `Consumer.seek`
        sought.append((tp, offset))

    def redeliver() -> None:
        raise Redeliver

    consumer._seek = _seek  # type: ignore[method-assign]
    harness.on_handler = redeliver
    await harness.fetch({p0: [record(EVENTS, 0, o) for o in (5, 6, 7)], p1: [record(EVENTS, 1, 0)]})
    assert sought == [(p0, 5), (p1, 0)]
    assert not consumer._acked[p0] and not consumer._acked[p1]
    assert consumer._read_offset[p0] == 5 and consumer._read_offset[p1] is None  # so the refetch is not dropped
    harness.on_handler = None
    await harness.fetch({p0: [record(EVENTS, 0, o) for o in (5, 6, 7)], p1: [record(EVENTS, 1, 0)]})
    assert harness.batches[-1] == [(EVENTS, 0, 5), (EVENTS, 0, 6), (EVENTS, 0, 7), (EVENTS, 1, 0)]
    assert consumer._acked[p0] == [5, 6, 7] and consumer._acked[p1] == [0]


async def test_a_refetch_is_dropped_and_a_gap_recorded(harness: Harness) -> None:
    tp = TP(EVENTS, 0)
    await harness.fetch({tp: [record(EVENTS, 0, o) for o in range(1, 4)]})
    await harness.fetch({tp: [record(EVENTS, 0, o) for o in (2, 3, 9)]})
    assert harness.batches[1] == [(EVENTS, 0, 3), (EVENTS, 0, 9)]  # offset 3 again, as Faust's own drain does
    assert harness.consumer._gap[tp].overlaps(4, 9)


async def test_records_fetched_while_the_flow_is_stopped_are_dropped_and_the_position_sought_back(
    harness: Harness,
) -> None:
    consumer, tp = harness.consumer, TP(EVENTS, 0)
    sought: list[bool] = []

    async def perform_seek() -> None:  # the broker side: seek to the committed offsets
        sought.append(True)

    async def fetched_during_revocation(timeout: float) -> tuple[dict[TP, list[ConsumerRecord]], None]:
        consumer.stop_flow()  # a revocation began while the fetch was out
        return {tp: [record(EVENTS, 0, 0)]}, None

    consumer.perform_seek = perform_seek  # type: ignore[method-assign]
    consumer._wait_next_records = fetched_during_revocation  # type: ignore[method-assign]
    assert [item async for item in consumer.getmany(timeout=1.0)] == []
    assert sought == [True] and harness.batches == [] and not consumer._acked[tp]


@pytest.mark.parametrize("rebalance", ["new generation", "flow suspended"])
async def test_a_batch_a_rebalance_invalidated_is_dropped(harness: Harness, rebalance: str) -> None:
    consumer, tp = harness.consumer, TP(EVENTS, 0)
    generation = harness.app.consumer_generation_id
    if rebalance == "new generation":
        harness.app.consumer_generation_id += 1
    else:
        consumer.suspend_flow.set()
    await consumer._deliver_batch({tp: [record(EVENTS, 0, 0)]}, generation)
    assert harness.batches == [] and not consumer._acked[tp] and consumer._read_offset[tp] is None


async def test_other_topics_keep_faust_s_per_record_path(harness: Harness) -> None:
    changelog = TP(CHANGELOG, 0)
    yielded = await harness.fetch(
        {changelog: [record(CHANGELOG, 0, o) for o in range(3)], TP(EVENTS, 0): [record(EVENTS, 0, 0)]}
    )
    assert [(tp, m.offset) for tp, m in yielded] == [(changelog, 0), (changelog, 1), (changelog, 2)]
    assert harness.batches == [[(EVENTS, 0, 0)]]
