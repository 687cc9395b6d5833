"""The topics the product owns, created up front with the settings they need.

The event topics are the source of truth (replay and rebuild read them from the start), so they
keep records for `event_retention_ms` (-1: forever). Both event topics must have the same
partition count: one account's conversation and agent events land on the same partition number,
which is what keeps its state in one worker.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from streams.settings import Settings


class TopicLayoutError(RuntimeError):
    """An existing topic does not have the partition count the processor needs."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def topic_specs(settings: Settings) -> list[TopicSpec]:
    events = {"retention.ms": str(settings.event_retention_ms), "cleanup.policy": "delete"}
    return [
        TopicSpec(settings.conversation_topic, settings.partitions, events),
        TopicSpec(settings.agent_topic, settings.partitions, events),
        TopicSpec(settings.dead_letter_topic, settings.partitions, {"retention.ms": "-1"}),
        # One compacted partition: every worker reads every key (a Faust GlobalTable).
        TopicSpec(settings.keys_topic, 1, {"cleanup.policy": "compact"}),
    ]


async def ensure_topics(settings: Settings) -> None:
    """Create missing topics; refuse to run on event topics with the wrong partition count."""
    admin = AIOKafkaAdminClient(**settings.kafka.client_options())
    await admin.start()
    try:
        specs = topic_specs(settings)
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.config) for spec in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another worker or the importer created it first: fine
            await _wait_until_served(settings, missing)
        for topic in await _describe_when_led(admin, [spec.name for spec in specs]):
            if topic["topic"] not in (settings.conversation_topic, settings.agent_topic):
                continue
            count = len(topic["partitions"])
            if count != settings.partitions:
                raise TopicLayoutError(
                    f"topic {topic['topic']!r} has {count} partitions but PINGBACK_PARTITIONS is "
                    f"{settings.partitions}; both event topics must match it"
                )
    finally:
        await admin.close()


async def _wait_until_served(settings: Settings, created: list[TopicSpec]) -> None:
    """Until each new partition's leader answers for it: a broker that has just started may name a
    leader before it serves the partition, and the first producer then logs NotLeaderForPartition."""
    consumer = AIOKafkaConsumer(**settings.kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(spec.name, p) for spec in created for p in range(spec.partitions)]
        await consumer.end_offsets(partitions)  # answered by each partition's leader, once it serves it
    finally:
        await consumer.stop()


async def _describe_when_led(admin: AIOKafkaAdminClient, names: list[str], attempts: int = 50) -> list[dict]:
    """Describe `names`, waiting out the moment after creation when metadata shows no partitions, or
    partitions without a leader yet: a producer sending then gets NotLeaderForPartition and logs it."""
    for _ in range(attempts):
        described = await admin.describe_topics(names)
        if all(topic["partitions"] and all(p["leader"] >= 0 for p in topic["partitions"]) for topic in described):
            return described
        await asyncio.sleep(0.1)
    return described
