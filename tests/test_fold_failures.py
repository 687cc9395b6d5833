"""A batch that can be neither folded nor dead-lettered, through the real topology and batch consumer, no broker.

Issue #11 item 1 with batch delivery (#14): the failing batch's partitions stop visibly and none of
their records is acknowledged, in that batch or any later one, while the other partitions go on.
The broker side alone is faked, where Faust meets aiokafka (tests/support/consumer_fake.py and
producer_fake.py): the fetcher, the assignment, the end offsets, seeks and the produce.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from aiokafka.structs import ConsumerRecord
from faust.types import TP
from prometheus_client import CollectorRegistry

from analytics.window import Views
from api.ports import NotReady
from streams.app import create_faust_app
from streams.delivery import BatchConsumer
from streams.kafka_connection import KafkaConnection
from streams.lease import Lease
from streams.live_state import LiveState
from streams.metrics import ProcessorMetrics
from streams.partitioning import partitioner
from streams.settings import Settings
from streams.topology import build_topology
from tests.support.builders import T_US, H, created
from tests.support.consumer_fake import FakeKafkaConsumer, start_consumer_thread
from tests.support.producer_fake import fake_kafka_producer

PARTITIONS = 2
TOPIC = Settings().conversation_topic
# One account on each partition.
ACCOUNTS = {partitioner(PARTITIONS)(name): name for name in ("acme", "globex", "initech", "umbrella")}


SESSION_S = 6.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self, tmp_path: Path) -> None:
        settings = Settings(
            kafka=KafkaConnection(bootstrap_servers="127.0.0.1:1"),
            store="memory://",
            data_dir=tmp_path,
            partitions=PARTITIONS,
        )
        self.app = create_faust_app(settings)
        self.producer = fake_kafka_producer(self.app)
        self.clock = Clock()
        lease = Lease(session_timeout_s=SESSION_S, monotonic=self.clock)
        self.state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS), lease=lease)
        self.topology = build_topology(
            self.app, settings, state=self.state, metrics=ProcessorMetrics(CollectorRegistry()), clock_us=lambda: T_US
        )
        consumer = self.app.consumer
        assert isinstance(consumer, BatchConsumer)
        self.consumer = consumer
        self.tps = [TP(TOPIC, partition) for partition in range(PARTITIONS)]
        self.kafka = FakeKafkaConsumer(assignment=self.tps, highwater=1000)
        self.state.recovered(
            assigned=[(tp.topic, tp.partition) for tp in self.tps],
            conversations=(),
            agents=(),
            next_offsets={},
            highwaters={},
            now_us=T_US,
        )

    async def fetch(self, offsets: dict[int, range]) -> None:
        """The records arrive from the broker and one `getmany` runs, as `_drain_messages` runs it."""
        self.kafka._fetcher.feed({TP(TOPIC, p): [self.record(p, o) for o in span] for p, span in offsets.items()})
        assert [item async for item in self.consumer.getmany(timeout=1.0)] == []

    @staticmethod
    def record(partition: int, offset: int) -> ConsumerRecord:
        account = ACCOUNTS[partition]
        value = msgspec.json.encode(created(f"c{offset}", -H, account=account, event_id=f"{account}-{offset}"))
        return ConsumerRecord(TOPIC, partition, offset, 0, 0, account.encode(), value, None, 1, len(value), ())


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    world = World(tmp_path)
    await world.app.topics._update_indices()  # what subscribing does: enables acks per topic
    await start_consumer_thread(world.consumer, world.kafka)
    world.consumer.resume_partitions(world.tps)  # what recovery does once the assignment is read
    yield world
    await world.consumer._thread.stop()


def total(world: World, partition: int) -> int:
    return world.state.overview(ACCOUNTS[partition], T_US).total_conversations


async def test_a_failing_batch_stops_only_its_partitions_and_acknowledges_none_of_their_records(world: World) -> None:
    p0, p1 = world.tps
    await world.fetch({0: range(0, 3), 1: range(0, 3)})
    world.producer.failing = {0}
    await world.fetch({0: range(3, 6)})
    assert world.consumer._acked[p0] == [0, 1, 2]
    assert p0 in world.consumer._paused_partitions and p1 not in world.consumer._paused_partitions
    with pytest.raises(NotReady, match=r"a record could not be folded or dead-lettered .*MessageSizeTooLarge"):
        world.state.overview(ACCOUNTS[0], T_US)
    ready, reason = world.state.readiness()
    assert not ready and f"{TOPIC}/0" in reason
    # Partition 1 keeps going; later records of partition 0 are neither fetched, folded nor
    # acknowledged, even once writes would succeed again.
    world.producer.failing = set()
    await world.fetch({0: range(6, 8), 1: range(3, 5)})
    await world.fetch({1: range(5, 6)})
    assert all(p0 not in asked for asked in world.kafka._fetcher.asked[2:])
    assert world.consumer._acked[p0] == [0, 1, 2] and world.consumer._acked[p1] == list(range(6))
    assert world.consumer._new_offset(p0) == 3 and world.consumer._new_offset(p0) is None
    assert world.consumer._new_offset(p1) == 6
    assert total(world, 1) == 6
    assert world.topology.progress.next_offsets[(TOPIC, 0)] == 3


async def test_a_batch_spanning_partitions_stops_them_all_and_the_rest_go_on(world: World) -> None:
    world.producer.failing = {0}
    await world.fetch({0: range(0, 2), 1: range(0, 2)})  # one batch: its writes fail as a whole
    assert set(world.state.stopped) == {(TOPIC, 0), (TOPIC, 1)}
    assert not world.consumer._acked[world.tps[0]] and not world.consumer._acked[world.tps[1]]
    assert world.consumer._paused_partitions == set(world.tps)


async def test_nothing_staged_by_a_failed_batch_reaches_the_next(world: World) -> None:
    world.producer.failing = {0}
    await world.fetch({0: range(0, 2)})
    assert all(not table.staged for table in world.topology.writes.tables)
    world.producer.failing = set()
    await world.fetch({1: range(0, 1)})
    assert world.consumer._acked[world.tps[1]] == [0] and total(world, 1) == 1


async def test_after_a_pause_nothing_is_folded_or_written_until_the_group_s_verdict(world: World) -> None:
    p0, p1 = world.tps
    await world.fetch({0: range(0, 2)})
    world.clock.now += SESSION_S  # frozen past its session: the group may have moved its partitions
    await world.fetch({0: range(2, 4), 1: range(0, 1)})
    assert world.kafka.sought == [(p0, 2), (p1, 0)]  # read again once the verdict is in
    assert world.consumer._acked[p0] == [0, 1] and not world.consumer._acked[p1]
    assert world.producer.next_offsets == {(world.topology.writes.tables[0].topic, 0): 2}  # nothing written
    for _ in range(6):  # half a session, ticking on time, without a rebalance: the group kept this worker
        world.clock.now += SESSION_S / 12
        world.state.lease.tick()
    await world.fetch({0: range(2, 4), 1: range(0, 1)})
    assert world.consumer._acked[p0] == [0, 1, 2, 3] and world.consumer._acked[p1] == [0]
    assert total(world, 0) == 4 and total(world, 1) == 1
