"""Faust's own producer over a fake `aiokafka.AIOKafkaProducer`, for tests of the fold and the fact tables
without Kafka.

The fold calls the real `faust` Producer (`app.producer`), which calls aiokafka's `send`: only that is
faked, answering as aiokafka does — a future of aiokafka's `RecordMetadata`, or aiokafka's refusal
of a record too large to send. tests/test_fact_tables_contract.py drives the real AIOKafkaProducer
the same way and checks the two agree.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import faust
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import RecordMetadata, TopicPartition


class FakeKafkaProducer:
    """`AIOKafkaProducer.send` as a broker answers it: offsets per partition counted from 0 (or from
    `next_offsets`, to stand in for another writer), and every record for a partition in `failing`
    refused as too large. A record sent without a partition goes where aiokafka's default
    partitioner puts it among `partitions`."""

    def __init__(self, partitions: int = 1) -> None:
        self.failing: set[int] = set()
        self.next_offsets: defaultdict[tuple[str, int], int] = defaultdict(int)
        self._partitions = list(range(partitions))

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Any = None,
    ) -> asyncio.Future[RecordMetadata]:
        if partition is None:
            partition = DefaultPartitioner()(key, self._partitions, self._partitions)
        if partition in self.failing:
            raise MessageSizeTooLargeError("The message is 2000000 bytes when serialized, over max_request_size")
        offset = self.next_offsets[topic, partition]
        self.next_offsets[topic, partition] = offset + 1
        sent: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        sent.set_result(RecordMetadata(topic, partition, TopicPartition(topic, partition), offset, timestamp_ms, 1, 0))
        return sent

    async def flush(self) -> None:
        pass  # every record is "written" once sent


def fake_kafka_producer(app: faust.App) -> FakeKafkaProducer:
    """Give `app`'s own Faust producer a fake aiokafka producer (returned) where it would start a real one."""
    kafka = FakeKafkaProducer()
    app.producer._producer = kafka  # type: ignore[attr-defined]  # what `Producer.on_start` sets
    return kafka
