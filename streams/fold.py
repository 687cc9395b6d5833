"""The agent's body: each fetched batch of events folded into the fact tables, or stopped visibly.

No exception in the fold path acknowledges a record. streams.delivery acknowledges a batch's
records once `Fold.batch` returns, except those of the partitions it hands back: a batch that
can be neither folded nor dead-lettered, or whose changelog partitions another worker has written
since (`Superseded`: this one lost them while paused), stops its partitions (`_stop`), and their records in it
and in any later batch stay unacknowledged, so nothing past them is committed. They are read
again after the next rebalance or restart; meanwhile the worker keeps folding its other
partitions and reports itself not ready and, after PINGBACK_STALL_SECONDS, unhealthy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence

import faust
from faust.types import TP

from events.schema import EVENT_TYPES
from streams.delivery import Redeliver
from streams.fact_tables import FactBatch, Superseded
from streams.ingest import Accepted, Ingestor, Misrouted, Record
from streams.lease import TICK_S
from streams.live_state import LiveState, TopicPartition
from streams.metrics import ProcessorMetrics
from streams.progress import Progress
from streams.retention import RetentionSweeper
from streams.stall import describe

log = logging.getLogger("pingback.fold")


class Fold:
    def __init__(
        self,
        *,
        app: faust.App,
        writes: FactBatch,
        ingestor: Ingestor,
        sweeper: RetentionSweeper,
        state: LiveState,
        progress: Progress,
        metrics: ProcessorMetrics,
        dead_letter_topic: str,
        clock_us: Callable[[], int],
    ) -> None:
        self._app, self._writes, self._ingestor, self._sweeper = app, writes, ingestor, sweeper
        self._state, self._progress, self._metrics = state, progress, metrics
        self._dead_letter_topic, self._clock_us = dead_letter_topic, clock_us
        # Per-event counters, their label children looked up once rather than per event.
        self._processed = {event_type: metrics.processed.labels(event_type) for event_type in EVENT_TYPES}

    async def batch(self, messages: Sequence[faust.types.Message]) -> set[TP]:
        """Fold a fetched batch; return the partitions whose records in it must stay unacknowledged.

        streams.delivery acknowledges the rest once this returns, so every write of a batch is
        durable (FactBatch.flush) before any of its offsets can be committed: still at-least-once.
        """
        if self._state.lease.suspended() is not None:
            # Paused long enough for the group to have given these partitions away: a write now
            # could land after the new owner's and put older facts over newer. Fold nothing until
            # the group's verdict (a rebalance, or half a session without one); read it again then.
            await asyncio.sleep(TICK_S)
            raise Redeliver
        # A stopped partition's records are neither folded nor acknowledged, whichever batch they
        # come in: acknowledging a later one would let Faust commit past the one that failed.
        stopped = self._state.stopped
        held = {message.tp for message in messages if message.tp in stopped}  # TP is a (topic, partition) tuple
        live = [message for message in messages if message.tp not in held] if held else messages
        try:
            for message in live:
                self._fold(message)
            await self._writes.flush()
        except BaseException as exc:
            self._writes.discard()  # a staged write must never reach a later batch
            if not isinstance(exc, Exception):
                raise  # cancelled: delivery acknowledges none of the batch; it is read again after the rebalance or restart
            failed = {message.tp for message in live}
            self._stop(failed, exc)
            return held | failed
        for message in live:
            self._progress.processed(message.tp, message.offset + 1)
        return held

    def _fold(self, message: faust.types.Message) -> None:
        self._writes.partition = message.partition
        outcome = self._ingestor.ingest(
            # A tombstone (value None) is not an event: it is rejected like any other empty record.
            Record(message.topic, message.partition, message.offset, message.key, message.value or b"")
        )
        if isinstance(outcome, Accepted):
            self._processed[outcome.event_type].inc()
        elif isinstance(outcome, Misrouted):
            self._writes.send(message.topic, outcome.account_id.encode(), message.value, partition=outcome.partition)
            self._metrics.rerouted.inc()
        else:
            self._writes.send(self._dead_letter_topic, outcome.dead_letter_key, outcome.dead_letter)
            self._metrics.rejected.labels(outcome.kind).inc()
        if self._sweeper.due(message.partition):
            self._metrics.forgotten.inc(self._sweeper.sweep(message.partition, self._clock_us()))

    def _stop(self, partitions: Collection[TopicPartition], exc: Exception) -> None:
        """Records of these partitions could not be made durable here: stop them, visibly."""
        if isinstance(exc, Superseded):
            reason = str(exc)[:500]
        else:
            reason = f"a record could not be folded or dead-lettered ({type(exc).__name__}: {exc})"[:500]
        log.error(
            "stopping %s: %s; nothing past it is committed, and it is read again after a restart",
            describe(sorted(partitions)),
            reason,
            exc_info=exc,
        )
        self._state.stop(partitions, reason)
        self._metrics.recovering.set(1)
        # No point fetching what is not folded; the next rebalance resumes them from the committed offset.
        consumer = self._app.consumer
        consumer.pause_partitions({tp for tp in consumer.assignment() if (tp.topic, tp.partition) in partitions})
