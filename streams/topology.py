"""The Faust shell: topics → tables → the agent, each a thin wrapper around the pure core.

Faust traps avoided on purpose: no windowed tables (our own event-time buckets live in the
views), no exactly_once, and the one agent that writes tables runs with concurrency=1.

No exception in the fold path acknowledges a record. Faust's `take_events` acknowledges every
event of a batch when the batch's block ends, even when it raised (faust-streaming 0.15.3 has no
`stream_ack_exceptions` any more); a batch that fails is therefore held (see `_hold`) and its
partitions stopped: nothing past it is committed, and it is read again after the next rebalance
or restart, while the worker reports itself not ready and, after PINGBACK_STALL_SECONDS, unhealthy.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable

import faust

from analytics.time import DAY_US, SECOND_US
from events.schema import EVENT_TYPES
from streams.fact_tables import FactBatch
from streams.ingest import Accepted, Ingestor, Misrouted, Record
from streams.live_state import LiveState, TopicPartition
from streams.metrics import ProcessorMetrics
from streams.progress import Progress
from streams.retention import RetentionSweeper
from streams.settings import Settings
from streams.stall import describe

log = logging.getLogger("pingback.topology")


def raw() -> dict[str, faust.Schema]:
    """Topic options that keep keys and values as bytes: the core decodes events and encodes facts.

    A fresh Schema every time: Faust mutates a Schema it is handed, and a shared instance made
    a topic decode keys as JSON (seen with faust-streaming 0.15.3). Tables do not take a schema
    for their store at all; they pick serializers from key_type/value_type (bytes → raw).
    """
    return {"schema": faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")}


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
        tables = {
            "partitions": settings.partitions,
            "key_type": bytes,
            "value_type": bytes,
            "on_changelog_event": self._on_changelog_event,
        }
        self.conversations = app.Table("conversations", **tables)
        self.agents = app.Table("agents", **tables)
        # The agent writes through these, a batch at a time (see streams.fact_tables); recovery reads the tables.
        self.batch = FactBatch(app, self.conversations, self.agents)
        conversations, agents = self.batch.tables
        self.ingestor = Ingestor(
            conversations=conversations,
            agents=agents,
            views=state.views,
            max_ahead_us=settings.max_ahead_s * SECOND_US,
            clock_us=clock_us,
            partition_of=state.partition_of,
            dead_letter_keep_bytes=settings.dead_letter_keep_bytes,
        )
        self.sweeper = RetentionSweeper(
            conversations=conversations,
            agents=agents,
            views=state.views,
            partition_of=state.partition_of,
            retention_us=settings.retention_days * DAY_US,
            interval_s=settings.retention_sweep_s,
        )
        # Per-event counters, their label children looked up once rather than per event.
        self._processed = {event_type: metrics.processed.labels(event_type) for event_type in EVENT_TYPES}
        self.progress = Progress(app, settings, state, metrics)
        self._rebalance_started = time.monotonic()
        # -- agents and hooks
        app.agent(self.events, name="fold-events", concurrency=1)(self._fold_events)
        self.conversations.on_recover(self._on_recovered)
        app.on_partitions_revoked.connect(self._on_partitions_revoked)

    async def _fold_events(self, stream: faust.StreamT) -> None:
        # Events are acknowledged when the batch's block has run, so every write of a batch is
        # durable (FactBatch.flush) before any of its offsets can be committed: still at-least-once.
        async for events in stream.take_events(BATCH_MAX_EVENTS, within=BATCH_WITHIN_S):
            stopped = self.state.stopped
            live = [event for event in events if (event.message.topic, event.message.partition) not in stopped]
            _hold(event for event in events if (event.message.topic, event.message.partition) in stopped)
            try:
                for event in live:
                    self._fold(event.message)
                await self.batch.flush()
            except BaseException as exc:
                _hold(live)
                self.batch.discard()
                if not isinstance(exc, Exception):
                    raise  # cancelled: the held records are read again after the rebalance or restart
                self._stop({(event.message.topic, event.message.partition) for event in live}, exc)
                continue
            for event in live:
                message = event.message
                self.progress.processed((message.topic, message.partition), message.offset + 1)

    def _stop(self, partitions: set[TopicPartition], exc: Exception) -> None:
        """Records of these partitions could be neither folded nor dead-lettered: stop them, visibly."""
        reason = f"a record could not be folded or dead-lettered ({type(exc).__name__}: {exc})"[:500]
        log.error(
            "stopping %s: %s; nothing past it is committed, and it is read again after a restart",
            describe(sorted(partitions)),
            reason,
            exc_info=exc,
        )
        self.state.stop(partitions, reason)
        self.metrics.recovering.set(1)
        # No point fetching what is not folded; the next rebalance resumes them from the committed offset.
        self.app.consumer.pause_partitions(
            {tp for tp in self.app.consumer.assignment() if (tp.topic, tp.partition) in partitions}
        )

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
            self.batch.send(self.settings.dead_letter_topic, outcome.dead_letter_key, outcome.dead_letter)
            self.metrics.rejected.labels(outcome.kind).inc()
        if self.sweeper.due(message.partition):
            self.metrics.forgotten.inc(self.sweeper.sweep(message.partition, self.clock_us()))

    async def _on_changelog_event(self, event: object) -> None:
        self.metrics.changelog_recovered.inc()

    async def _on_partitions_revoked(self, sender: object, revoked: object, **kwargs: object) -> None:
        self._rebalance_started = time.monotonic()
        self.metrics.recovering.set(1)
        self.state.rebalance_started()

    async def _rewind_never_committed(self, assigned: list, committed: dict[TopicPartition, int]) -> None:
        """Read partitions the group never committed from their start.

        Faust seeks to the committed offsets after recovery, but aiokafka leaves a partition with
        none where its fetch position is, and records fetched (and set aside) while the changelogs
        were being read would then never be delivered: the partition would catch up with nothing.
        Reading them again is harmless (the fold is idempotent).
        """
        never = [tp for tp in assigned if (tp.topic, tp.partition) not in committed]
        if never:
            earliest = await self.app.consumer.earliest_offsets(*never)
            for tp in never:
                await self.app.consumer.seek(tp, earliest[tp])

    async def _on_recovered(self) -> None:
        assigned = self.progress.assigned_event_partitions()
        # An exception here would leave the worker "recovering" for good (Faust only logs it), so
        # the two Kafka questions are asked until they are answered or the next rebalance begins.
        for attempt in itertools.count(1):
            try:
                highwaters = await self.app.consumer.highwaters(*assigned) if assigned else {}
                committed = await self.progress.committed_offsets()
                await self._rewind_never_committed(assigned, committed)
                break
            except Exception as exc:
                log.warning("recovery: reading end and committed offsets failed (attempt %d): %r", attempt, exc)
                await asyncio.sleep(min(5.0, 0.5 * attempt))
        partitions = [(tp.topic, tp.partition) for tp in assigned]
        self.state.recovered(
            assigned=partitions,
            conversations=self.conversations.items(),
            agents=self.agents.items(),
            next_offsets=committed,
            highwaters={(tp.topic, tp.partition): offset for tp, offset in highwaters.items()},
            now_us=self.clock_us(),
        )
        self.progress.recovered(partitions, committed)
        self.metrics.recovery_seconds.set(time.monotonic() - self._rebalance_started)
        self.metrics.recovering.set(0 if self.state.readiness()[0] else 1)


def _hold(events: Iterable[faust.types.EventT]) -> None:
    """Keep Faust from ever counting these events as acknowledged, so no commit passes them.

    `take_events` acknowledges a batch's events when its block ends, however it ended; one extra
    reference per message makes that acknowledgement a no-op. Nothing keeps the messages alive
    after that, so they drop out of Faust's (weak) set of unacknowledged messages instead of
    holding up a rebalance, and the consumer reads them again from the committed offset.
    """
    for event in events:
        event.message.incref()
