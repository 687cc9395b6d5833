"""`api.ports.EventSink` on Kafka: the worker's own producer for the HTTP ingest doors.

A plain aiokafka producer (acks=all), apart from Faust's: an answer waits for exactly its own
records, and records go to the partition the rest of the system expects for their account
(`streams.partitioning`), as `pingback import` sends them. It starts on first use, so a worker
whose Kafka is briefly away still starts and serves reads; a request that finds Kafka away is
a `NotReady` (503) within `SEND_TIMEOUT_S`, never a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from api.ports import NotReady
from events.topics import topic_for
from streams.batch_sender import BatchSender
from streams.partitioning import partitioner
from streams.settings import Settings

SEND_TIMEOUT_S = 10.0
KAFKA_RETRY_AFTER_S = 5


class KafkaEventSink:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._partition_of = partitioner(settings.partitions)
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        self._stopped = False

    async def send(self, account_id: str, events: Sequence[tuple[str, bytes]]) -> None:
        topics = {"conversation_topic": self._settings.conversation_topic, "agent_topic": self._settings.agent_topic}
        await self._deliver(account_id, [(topic_for(event_type, **topics), value) for event_type, value in events])

    async def dead_letter(self, account_id: str, value: bytes) -> None:
        await self._deliver(account_id, [(self._settings.dead_letter_topic, value)])

    async def stop(self) -> None:
        """At shutdown; later requests are answered 503 (another worker can take them)."""
        self._stopped = True
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _deliver(self, account_id: str, records: list[tuple[str, bytes]]) -> None:
        key, partition = account_id.encode(), self._partition_of(account_id)
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                sender = BatchSender(await self._started())
                for topic, value in records:
                    await sender.send(topic, partition, key, value)
                await sender.flush()
        except (KafkaError, TimeoutError) as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise NotReady(
                KAFKA_RETRY_AFTER_S, f"Kafka did not acknowledge the events ({detail}); send them again"
            ) from exc

    async def _started(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._stopped:
                raise NotReady(KAFKA_RETRY_AFTER_S, "this worker is shutting down; send the events again")
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **self._settings.kafka.client_options(),
                    acks="all",
                    linger_ms=1,
                    request_timeout_ms=int(SEND_TIMEOUT_S * 1000),
                    compression_type="zstd",
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer
