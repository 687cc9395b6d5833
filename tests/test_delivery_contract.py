"""The Faust internals streams.delivery relies on, checked without a broker (streams.fact_tables' are in
test_fact_tables_contract.py).

If a faust-streaming upgrade renames, re-signs or changes one of them, a test here fails and
names it; nothing is skipped. Only the broker is faked, where Faust meets aiokafka
(tests/support/consumer_fake.py): Faust's own `_wait_next_records` asks its consumer thread for the
active partitions, and Faust's `_drain_messages` loop drives `getmany` where a test says so.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import aiokafka
import faust
import pytest
from aiokafka.consumer.fetcher import Fetcher as AiokafkaFetcher
from aiokafka.consumer.subscription_state import SubscriptionState
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from faust.transport.consumer import Consumer as FaustConsumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, Message

from streams.delivery import BatchConsumer, Redeliver, deliver_in_batches
from tests.support.consumer_fake import FakeFetcher, FakeKafkaConsumer, start_consumer_thread

EVENTS, CHANGELOG = "events", "app-facts-changelog"
ASSIGNED = [TP(EVENTS, 0), TP(EVENTS, 1), TP(CHANGELOG, 0)]
# A deadline for a consumer that never gets there, never a budget.
LONG_S = 30.0


def record(topic: str, partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord(topic, partition, offset, 0, 0, b"k", f"v{offset}".encode(), None, 1, 2, ())


def records(tp: TP, offsets: Sequence[int] | range) -> list[ConsumerRecord]:
    return [record(tp.topic, tp.partition, offset) for offset in offsets]


def _committed(offset: int) -> OffsetAndMetadata:
    return OffsetAndMetadata(offset, "")


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(LONG_S):
        while not condition():
            await asyncio.sleep(0.005)


class Harness:
    def __init__(self, tmp_path: Path, commit_every: int) -> None:
        self.app = faust.App(
            "contract",
            broker="kafka://127.0.0.1:1",
            store="memory://",
            datadir=str(tmp_path),
            broker_commit_every=commit_every,
        )
        self.batches: list[list[tuple[str, int, int]]] = []
        self.topic = self.app.topic(EVENTS)
        deliver_in_batches(self.app, self.topic, self.handler)
        self.app.topic(CHANGELOG, acks=False)  # stands in for a changelog: not a batch topic
        consumer = self.app.consumer
        assert isinstance(consumer, BatchConsumer), type(consumer)  # the transport hook made our consumer
        self.consumer: BatchConsumer = consumer
        self.kafka = FakeKafkaConsumer(assignment=ASSIGNED, highwater=100)
        self.on_handler: Any = None  # called (and awaited when it answers an awaitable) as the handler runs
        self.held: set[TP] = set()  # what the handler answers: partitions whose records stay unacknowledged

    async def handler(self, messages: Sequence[Message]) -> set[TP]:
        self.batches.append([(m.topic, m.partition, m.offset) for m in messages])
        if self.on_handler:
            waiting = self.on_handler()
            if inspect.isawaitable(waiting):
                await waiting
        return self.held

    async def fetch(self, fed: dict[TP, list[ConsumerRecord]]) -> list[tuple[TP, Message]]:
        """The records arrive from the broker and one `getmany` runs: what comes out one by one."""
        self.kafka._fetcher.feed(fed)
        return [item async for item in self.consumer.getmany(timeout=1.0)]


async def _harness(tmp_path: Path, commit_every: int) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, commit_every)
    await harness.app.topics._update_indices()  # what subscribing does: enables acks per topic
    await start_consumer_thread(harness.consumer, harness.kafka)
    harness.consumer.resume_partitions(ASSIGNED)  # what recovery does once the assignment is read
    yield harness
    await harness.app._fetcher.stop()
    await harness.consumer._thread.stop()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async for made in _harness(tmp_path, commit_every=10_000):  # Faust's default: no commit in these tests
        yield made


COMMIT_EVERY = 4


@pytest.fixture
async def committing(tmp_path: Path) -> AsyncIterator[Harness]:
    async for made in _harness(tmp_path, commit_every=COMMIT_EVERY):
        yield made


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

    def redeliver() -> None:
        raise Redeliver

    harness.on_handler = redeliver
    await harness.fetch({p0: [record(EVENTS, 0, o) for o in (5, 6, 7)], p1: [record(EVENTS, 1, 0)]})
    assert harness.kafka.sought == [(p0, 5), (p1, 0)]  # through Faust's consumer thread to aiokafka's seek
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
    consumer, kafka, tp = harness.consumer, harness.kafka, TP(EVENTS, 0)
    await kafka.commit({tp: _committed(7)})  # where the group's offsets stand
    fetching = asyncio.create_task(harness.fetch({}))
    await eventually(lambda: len(kafka._fetcher.asked) == 1)  # the fetch is out...
    consumer.stop_flow()  # ...when a revocation begins
    kafka._fetcher.feed({tp: records(tp, [7, 8])})
    assert await fetching == []
    assert harness.batches == [] and not consumer._acked[tp]
    assert consumer._read_offset[tp] == 7  # sought back to the committed offset, through Faust's thread


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


def test_the_fake_fetcher_takes_what_aiokafka_s_takes_and_faust_reads_what_aiokafka_has() -> None:
    # What Faust's `_fetch_records` calls on the aiokafka consumer; the fake stands in for exactly that.
    def shape(function: Any) -> list[tuple[str, object]]:
        return [(name, parameter.default) for name, parameter in inspect.signature(function).parameters.items()]

    assert shape(FakeFetcher.fetched_records) == shape(AiokafkaFetcher.fetched_records)
    assert callable(SubscriptionState.fetch_context)
    fetch = inspect.getsource(aiokafka_driver.AIOKafkaConsumerThread._fetch_records)
    assert "consumer._fetcher" in fetch and "fetcher.fetched_records(" in fetch
    assert "fetcher._subscriptions.fetch_context()" in fetch
    for name in ("assignment", "highwater", "commit", "seek", "seek_to_committed", "start", "stop"):
        assert callable(getattr(aiokafka.AIOKafkaConsumer, name)), name
        assert callable(getattr(FakeKafkaConsumer, name)), name


async def test_the_drain_loop_hands_each_fetch_to_the_handler_and_commits_once_enough_are_acked(
    committing: Harness,
) -> None:
    consumer, kafka, tp = committing.consumer, committing.kafka, TP(EVENTS, 0)
    await committing.app._fetcher.start()  # Faust's fetcher service: `_drain_messages` over `getmany`
    kafka._fetcher.feed({tp: records(tp, range(3))})
    await eventually(lambda: len(committing.batches) == 1)
    assert kafka.commits == [] and consumer._n_acked == 3  # under the threshold: nothing committed yet
    kafka._fetcher.feed({tp: records(tp, range(3, 5))})
    await eventually(lambda: len(committing.batches) == 2)
    await eventually(lambda: kafka.commits != [])
    assert kafka.commits == [{tp: 5}]  # 5 acks >= 4: the batch committed all it folded, once
    assert consumer._n_acked == 0
    assert committing.batches == [[(EVENTS, 0, o) for o in range(3)], [(EVENTS, 0, 3), (EVENTS, 0, 4)]]


async def test_a_paused_partition_is_not_fetched(harness: Harness) -> None:
    p0, p1 = TP(EVENTS, 0), TP(EVENTS, 1)
    harness.consumer.pause_partitions({p1})
    await harness.fetch({p0: records(p0, [0]), p1: records(p1, [0])})
    assert harness.kafka._fetcher.asked == [frozenset({p0, TP(CHANGELOG, 0)})]
    assert harness.batches == [[(EVENTS, 0, 0)]]


@pytest.mark.parametrize("topic", [EVENTS, CHANGELOG])
@pytest.mark.parametrize("while_fetching", ["paused", "buffer full"])
async def test_records_of_a_partition_that_left_the_active_ones_mid_fetch_come_only_from_a_full_buffer(
    harness: Harness, topic: str, while_fetching: str
) -> None:
    # `_wait_next_records` answers Faust's live set of active partitions: a partition paused while the
    # fetch was out is dropped, one whose stream buffer filled (Faust's `on_buffer_full`) still delivered.
    consumer, tp = harness.consumer, TP(topic, 0)
    fetching = asyncio.create_task(harness.fetch({}))
    await eventually(lambda: len(harness.kafka._fetcher.asked) == 1)
    if while_fetching == "paused":
        consumer.pause_partitions({tp})
    else:
        consumer.on_buffer_full(tp)
    harness.kafka._fetcher.feed({tp: records(tp, [0, 1])})
    yielded = await fetching
    delivered = [entry for batch in harness.batches for entry in batch]
    delivered += [(message.topic, message.partition, message.offset) for _, message in yielded]
    assert delivered == ([] if while_fetching == "paused" else [(topic, 0, 0), (topic, 0, 1)])


async def test_wait_empty_waits_for_the_batch_in_flight_and_then_commits_it(harness: Harness) -> None:
    consumer, kafka, tp = harness.consumer, harness.kafka, TP(EVENTS, 0)
    folded = asyncio.Event()
    harness.on_handler = folded.wait  # the handler is folding the batch until the test says
    await harness.app._fetcher.start()
    kafka._fetcher.feed({tp: records(tp, range(3))})
    await eventually(lambda: len(harness.batches) == 1)
    waiting = asyncio.create_task(consumer.wait_empty())  # a rebalance waits for what is in flight
    await eventually(lambda: consumer._waiting_for_ack is not None)  # it saw the batch and waits for acks
    assert not waiting.done() and len(consumer._unacked_messages) == 3
    folded.set()
    async with asyncio.timeout(LONG_S):
        await waiting
    assert not consumer._unacked_messages
    assert kafka.commits[-1] == {tp: 3}  # and committed the batch before the partitions move
