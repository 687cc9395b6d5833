"""The Faust shell: topics → tables → the agent, each a thin wrapper around the pure core.

Faust traps avoided on purpose: no windowed tables (our own event-time buckets live in the
views), no exactly_once, and the one agent that writes tables runs with concurrency=1.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import faust
from aiokafka.admin import AIOKafkaAdminClient

from analytics.time import DAY_US, SECOND_US
from events.schema import EVENT_TYPES
from pingback.config import Settings
from streams.fact_tables import FactBatch
from streams.ingest import Accepted, Ingestor, Misrouted, Record
from streams.live_state import LiveState, TopicPartition
from streams.metrics import ProcessorMetrics
from streams.retention import RetentionSweeper


def raw() -> dict[str, faust.Schema]:
    """Topic options that keep keys and values as bytes: the core decodes events and encodes facts.

    A fresh Schema every time: Faust mutates a Schema it is handed, and a shared instance made
    a topic decode keys as JSON (seen with faust-streaming 0.15.3). Tables do not take a schema
    for their store at all; they pick serializers from key_type/value_type (bytes → raw).
    """
    return {"schema": faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")}


LAG_INTERVAL_S = 5.0
# A batch is what one FactBatch.flush() makes durable: larger ones amortise more, and an event
# waits at most BATCH_WITHIN_S for its batch to fill (what live traffic adds to its latency).
BATCH_MAX_EVENTS = 1000
BATCH_WITHIN_S = 0.05


def wall_clock_us() -> int:
    return time.time_ns() // 1000


class Topology:
    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        *,
        state: LiveState,
        metrics: ProcessorMetrics,
        clock_us: Callable[[], int] = wall_clock_us,
    ) -> None:
        self.app, self.settings, self.state, self.metrics, self.clock_us = app, settings, state, metrics, clock_us
        # -- topics
        self.events = app.topic(settings.conversation_topic, settings.agent_topic, **raw())
        # -- tables: facts, keyed "<account>/<conversation or agent id>", values msgpack bytes
        tables = {"partitions": settings.partitions, "key_type": bytes, "value_type": bytes,
                  "on_changelog_event": self._on_changelog_event}
        self.conversations = app.Table("conversations", **tables)
        self.agents = app.Table("agents", **tables)
        # The agent writes through these, a batch at a time (see streams.fact_tables); recovery reads the tables.
        self.batch = FactBatch(app, self.conversations, self.agents)
        conversations, agents = self.batch.tables
        self.ingestor = Ingestor(
            conversations=conversations, agents=agents, views=state.views,
            max_ahead_us=settings.max_ahead_s * SECOND_US, clock_us=clock_us, partition_of=state.partition_of,
        )
        self.sweeper = RetentionSweeper(
            conversations=conversations, agents=agents, views=state.views, partition_of=state.partition_of,
            retention_us=settings.retention_days * DAY_US, interval_s=settings.retention_sweep_s,
        )
        # Per-event counters, their label children looked up once rather than per event.
        self._processed = {event_type: metrics.processed.labels(event_type) for event_type in EVENT_TYPES}
        self._next_offsets: dict[TopicPartition, int] = {}
        self._rebalance_started = time.monotonic()
        # -- agents and hooks
        app.agent(self.events, name="fold-events", concurrency=1)(self._fold_events)
        self.conversations.on_recover(self._on_recovered)
        app.on_partitions_revoked.connect(self._on_partitions_revoked)
        app.timer(LAG_INTERVAL_S)(self._measure_lag)

    async def _fold_events(self, stream: faust.StreamT) -> None:
        # Events are acknowledged when the batch's block has run, so every write of a batch is
        # durable (FactBatch.flush) before any of its offsets can be committed: still at-least-once.
        async for events in stream.take_events(BATCH_MAX_EVENTS, within=BATCH_WITHIN_S):
            for event in events:
                self._fold(event.message)
            await self.batch.flush()
            for event in events:
                message = event.message
                self._next_offsets[(message.topic, message.partition)] = message.offset + 1
                self.state.processed(message.topic, message.partition, message.offset)

    def _fold(self, message: faust.types.Message) -> None:
        self.batch.partition = message.partition
        outcome = self.ingestor.ingest(
            # A tombstone (value None) is not an event: it is rejected like any other empty record.
            Record(message.topic, message.partition, message.offset, message.key, message.value or b"")
        )
        if isinstance(outcome, Accepted):
            self._processed[outcome.event_type].inc()
        elif isinstance(outcome, Misrouted):
            self.batch.send(message.topic, outcome.account_id.encode(), message.value, partition=outcome.partition)
            self.metrics.rerouted.inc()
        else:
            # The original key keeps the dead letter next to its account's events.
            self.batch.send(self.settings.dead_letter_topic, message.key, outcome.dead_letter)
            self.metrics.rejected.labels(outcome.kind).inc()
        if self.sweeper.due(message.partition):
            self.metrics.forgotten.inc(self.sweeper.sweep(message.partition, self.clock_us()))

    async def _on_changelog_event(self, event: object) -> None:
        self.metrics.changelog_recovered.inc()

    async def _on_partitions_revoked(self, sender: object, revoked: object, **kwargs: object) -> None:
        self._rebalance_started = time.monotonic()
        self.metrics.recovering.set(1)
        self.state.rebalance_started()

    async def _on_recovered(self) -> None:
        assigned = self._assigned_event_partitions()
        highwaters = await self.app.consumer.highwaters(*assigned) if assigned else {}
        self.state.recovered(
            assigned=[(tp.topic, tp.partition) for tp in assigned],
            conversations=self.conversations.items(),
            agents=self.agents.items(),
            next_offsets=await self._committed_offsets(),
            highwaters={(tp.topic, tp.partition): offset for tp, offset in highwaters.items()},
            now_us=self.clock_us(),
        )
        self.metrics.recovery_seconds.set(time.monotonic() - self._rebalance_started)
        self.metrics.recovering.set(0 if self.state.readiness()[0] else 1)

    async def _committed_offsets(self) -> dict[TopicPartition, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.bootstrap_list)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.settings.app_id)
        finally:
            await admin.close()
        return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    def _assigned_event_partitions(self) -> list:
        topics = {self.settings.conversation_topic, self.settings.agent_topic}
        return sorted(tp for tp in self.app.consumer.assignment() if tp.topic in topics)

    async def _measure_lag(self) -> None:
        assigned = self._assigned_event_partitions()
        if not assigned:
            return
        for tp, highwater in (await self.app.consumer.highwaters(*assigned)).items():
            position = self._next_offsets.get((tp.topic, tp.partition))
            if position is not None:
                self.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - position))
        self.metrics.recovering.set(0 if self.state.readiness()[0] else 1)
