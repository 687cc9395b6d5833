"""Every API key record, read by every worker from the compacted keys topic.

A Faust GlobalTable would be the textbook fit, but in faust-streaming 0.15 a GlobalTable on a
named changelog topic hangs the partition assignment (seen here), and GlobalTables with several
workers have an open bug upstream (faust-streaming/faust#283). A plain aiokafka consumer with no
group, assigned every partition and reading from the start, is small and has no such failure mode.
Records are `api.keys` JSON keyed by key id; a revoke is a newer record for the same key id.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from api.keys import ApiKey, decode_key_record
from api.ports import RETRY_AFTER_S, NotReady
from streams.kafka_connection import KafkaConnection

log = logging.getLogger(__name__)
# The keys topic is small: a worker has read it a second or so after it starts.


class KeyRing:
    """`api.ports.KeyLookup` kept current by following the keys topic."""

    def __init__(self, *, kafka: KafkaConnection, topic: str) -> None:
        self._kafka = kafka
        self._topic = topic
        self._keys: dict[str, ApiKey] = {}
        self.loaded = asyncio.Event()  # set once everything present at start-up has been read

    def get(self, key_id: str) -> ApiKey | None:
        if not self.loaded.is_set():
            raise NotReady(RETRY_AFTER_S, "this worker is still loading the API keys")
        return self._keys.get(key_id)

    def all(self) -> list[ApiKey]:
        return sorted(self._keys.values(), key=lambda key: (key.account_id, key.created_at, key.key_id))

    async def follow(self, *, until_loaded: bool = False) -> None:
        """Read the topic from the start and keep following it (or stop once caught up)."""
        consumer = AIOKafkaConsumer(
            **self._kafka.client_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(self._topic, p) for p in sorted(consumer.partitions_for_topic(self._topic) or {0})
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end_offsets = await consumer.end_offsets(partitions)
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        self._apply(record.key, record.value)
                if not self.loaded.is_set() and all(
                    await asyncio.gather(*(self._reached(consumer, tp, end) for tp, end in end_offsets.items()))
                ):
                    self.loaded.set()
                    if until_loaded:
                        return
        finally:
            await consumer.stop()

    @staticmethod
    async def _reached(consumer: AIOKafkaConsumer, tp: TopicPartition, end_offset: int) -> bool:
        return await consumer.position(tp) >= end_offset

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # a tombstone removes the record altogether
            if key is not None:
                self._keys.pop(key.decode(errors="replace"), None)
            return
        try:
            record = decode_key_record(value)
        except ValueError as exc:
            # A foreign record must not take the API down; it simply authorises nobody.
            log.warning("ignoring an unreadable record in the keys topic: %s", exc)
            return
        self._keys[record.key_id] = record
