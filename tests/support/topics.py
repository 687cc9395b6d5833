"""What is in the broker, read with plain aiokafka clients: topics, when records were written, a group's progress.

Written for the tests without `streams.reset` or `streams.topics`, whose work they check.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def existing_topics(kafka: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def write_times_ms(kafka: str, topic: str, partitions: int) -> list[int]:
    """When each record the topic holds now was written (its CreateTime, ms), first offset to last."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, partition) for partition in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        times: list[int] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                times += [record.timestamp for record in records]
        return times
    finally:
        await consumer.stop()


async def committed_and_end(kafka: str, group: str, partitions: list[TopicPartition]) -> tuple[int, int]:
    """(offsets the group has committed, offsets in the log) summed over `partitions`: equal when nothing is left."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
        await admin.close()
    # A partition the group never committed has offset -1 or is missing: nothing of it is done.
    done = sum(max(0, committed[tp].offset) for tp in partitions if tp in committed)
    return done, sum(ends.values())
