"""The broker side of Faust's consumer, faked where Faust meets aiokafka: `AIOKafkaConsumer` and its fetcher.

Everything above it is the installed Faust, thread included: `Consumer._drain_messages` (or a test)
iterates our `BatchConsumer.getmany`, whose `_wait_next_records` asks for the active partitions
through Faust's consumer thread, which calls `AIOKafkaConsumer._fetcher.fetched_records` as Faust's
`_fetch_records` does. Commits, seeks and the assignment go the same way. Faust calls the fake from
its consumer thread, so what the test and that thread share is behind a lock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aiokafka.structs import ConsumerRecord, OffsetAndMetadata, TopicPartition
from faust.transport.drivers import aiokafka as aiokafka_driver

# How often a waiting fetch looks for records the test has fed (in Faust's consumer thread).
_FETCH_POLL_S = 0.002


class FakeSubscriptions:
    """`aiokafka.consumer.subscription_state.SubscriptionState`, as far as Faust's fetch touches it."""

    @contextmanager
    def fetch_context(self) -> Iterator[None]:
        yield


class FakeFetcher:
    """`aiokafka.consumer.fetcher.Fetcher.fetched_records`: the records fed so far, of the partitions asked for.

    As aiokafka's, it waits up to `timeout` for records and keeps those of partitions not asked
    for (paused ones, say) until a fetch asks for them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fed: dict[TopicPartition, list[ConsumerRecord]] = {}
        self._asked: list[frozenset[TopicPartition]] = []
        self._subscriptions = FakeSubscriptions()
        self._closed = False

    def feed(self, records: Mapping[TopicPartition, Iterable[ConsumerRecord]]) -> None:
        with self._lock:
            for tp, tp_records in records.items():
                self._fed.setdefault(TopicPartition(*tp), []).extend(tp_records)

    @property
    def asked(self) -> list[frozenset[TopicPartition]]:
        """The partitions of every fetch so far, oldest first."""
        with self._lock:
            return list(self._asked)

    async def fetched_records(
        self, partitions: Iterable[TopicPartition], timeout: float = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        wanted = frozenset(TopicPartition(*tp) for tp in partitions)
        with self._lock:
            self._asked.append(wanted)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with self._lock:
                # In the order they were fed: tests name the partitions of a batch in order.
                ready = {tp: self._fed.pop(tp) for tp in list(self._fed) if tp in wanted and self._fed[tp]}
            if ready or asyncio.get_running_loop().time() >= deadline:
                return ready
            await asyncio.sleep(_FETCH_POLL_S)


class FakeKafkaConsumer:
    """`aiokafka.AIOKafkaConsumer` as Faust's consumer thread uses it, over an assignment the test sets."""

    _max_poll_records = 500

    def __init__(self, assignment: Iterable[TopicPartition], highwater: int) -> None:
        self._lock = threading.Lock()
        self._assignment = frozenset(TopicPartition(*tp) for tp in assignment)
        self._highwater = highwater
        self._fetcher = FakeFetcher()
        self._closed = False
        self._committed: dict[TopicPartition, int] = {}
        self._commits: list[dict[TopicPartition, int]] = []
        self._sought: list[tuple[TopicPartition, int]] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self._closed = True

    def assignment(self) -> frozenset[TopicPartition]:
        return self._assignment

    def highwater(self, tp: TopicPartition) -> int:
        return self._highwater

    async def commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> None:
        with self._lock:
            committed = {tp: meta.offset for tp, meta in offsets.items()}
            self._commits.append(committed)
            self._committed.update(committed)

    async def seek_to_committed(self, *partitions: TopicPartition) -> dict[TopicPartition, int | None]:
        with self._lock:
            return {tp: self._committed.get(tp) for tp in partitions or self._assignment}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        with self._lock:
            self._sought.append((TopicPartition(*tp), offset))

    @property
    def commits(self) -> list[dict[TopicPartition, int]]:
        """Every commit so far, as {partition: next offset to read}."""
        with self._lock:
            return list(self._commits)

    @property
    def sought(self) -> list[tuple[TopicPartition, int]]:
        with self._lock:
            return list(self._sought)


async def start_consumer_thread(consumer: Any, kafka: FakeKafkaConsumer) -> None:
    """Start Faust's own consumer thread of `consumer` (a faust aiokafka Consumer) over `kafka`.

    Only the making of the aiokafka consumer (which would dial the broker) is replaced.
    """
    thread = consumer._thread
    assert isinstance(thread, aiokafka_driver.AIOKafkaConsumerThread), type(thread)
    thread._create_consumer = lambda loop: kafka
    await thread.start()
