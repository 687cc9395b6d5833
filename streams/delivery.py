"""Batch delivery of the event topics on Faust's own consumer: the one module that uses Faust internals.

Why: Faust delivers every record alone. `Consumer._drain_messages` awaits
`wait_first(callback(message), suspend_flow.wait())` per record (several tasks and an
`asyncio.wait` each), then the conductor, a channel queue, the stream iterator and the ack: more
CPU per record than all of our own work (bench/README.md). Here each `getmany` batch of the event
topics goes straight to one handler, while everything else stays Faust's:

* the same consumer, group membership, assignor, rebalance callbacks and offset commits: every
  record is tracked before the handler runs (so a rebalance's `wait_empty` waits for the batch)
  and acknowledged with `Consumer.ack` after it returns (so Faust commits exactly what was
  folded and made durable);
* a failure is the handler's to answer, per batch: it returns the partitions whose records of the
  batch must stay unacknowledged (those it could not fold, or had stopped before), and delivery
  goes on with the next batch. `Consumer.ack` takes no notice of message refcounts, and Faust
  commits the first run of acknowledged offsets without checking it starts at the committed one,
  so one acknowledged record past a held one would commit past it: the handler holds a partition
  in every batch until a rebalance reads it again from the committed offset. Held records are
  still counted as delivered (`_read_offset`), so no gap is recorded over them; they leave
  Faust's (weak) set of unacknowledged messages when the batch is dropped, so a rebalance does
  not wait for them. A handler that raises `Redeliver` has done nothing with the batch: the
  partitions are sought back to its first records, which are fetched and handed over again. Any
  other exception out of the handler (cancellation) propagates out of `getmany` with none of the
  batch acknowledged;
* a rebalance: the suspend flag and the consumer generation are checked once per batch, and a
  batch fetched before a rebalance began is dropped unread (the fetcher re-reads it from the
  committed offsets once the rebalance is over, as Faust's own drop does);
* every other topic, the changelogs above all (recovery, standbys), still goes through Faust's
  per-record path untouched.

Each Faust internal relied on is marked `# internal:`; tests/test_delivery_contract.py checks
every one of them against the installed faust-streaming without a broker, so an upgrade that
changes one fails loudly there rather than quietly here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from collections.abc import Set as AbstractSet
from time import monotonic
from typing import Any

import faust
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, Message

# Folds a batch and returns once its results are durable, with the partitions whose records of the
# batch must stay unacknowledged; every other record of the batch is acknowledged after that.
BatchHandler = Callable[[Sequence[Message]], Awaitable[AbstractSet[TP]]]


class Redeliver(Exception):
    """Raised by a batch handler that did nothing with the batch: it is fetched and handed over again."""


class BatchConsumer(aiokafka_driver.Consumer):  # internal: the aiokafka driver's Consumer class
    """Faust's aiokafka consumer, except that records of the batch topics are delivered a fetch at a time."""

    transport: BatchTransport

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        # internal: `Consumer._drain_messages` iterates this and runs Faust's per-record path on
        # what it yields; the batch topics' records are handed to the handler here instead.
        # internal: `_wait_next_records` waits for resumed flow, then fetches the active partitions.
        records, active_partitions = await self._wait_next_records(timeout)
        generation = self.app.consumer_generation_id
        if records is None or self.should_stop:
            return
        if not self.flow_active:
            # As Faust does: records fetched while the flow was stopped are dropped, and the
            # fetch position goes back to the committed offsets.
            # internal: `perform_seek` seeks every assigned partition to its committed offset.
            await self.perform_seek()
            return
        batch_topics = self.transport.batch_topics
        # internal: `_buffered_partitions` are active partitions whose stream buffer is full.
        wanted = lambda tp: active_partitions is None or tp in active_partitions or tp in self._buffered_partitions  # noqa: E731
        batch = {tp: rs for tp, rs in records.items() if tp.topic in batch_topics and wanted(tp)}
        if batch:
            await self._deliver_batch(batch, generation)
        others = {tp: rs for tp, rs in records.items() if tp.topic not in batch_topics}
        if others:
            async for tp, message in self._one_by_one(others, active_partitions, generation):
                yield tp, message

    async def _deliver_batch(self, records: dict[TP, list[Any]], generation: int) -> None:
        if not self._still_current(generation):
            return  # a rebalance began after the fetch: its records are re-read afterwards
        # internal: `_read_offset[tp]` is the last offset delivered (None: none yet); records below it
        # are a re-fetch of what was delivered already, dropped as Faust drops them.
        read_offset = self._read_offset
        messages: list[Message] = []
        last: dict[TP, int] = {}
        for tp, tp_records in records.items():
            previous = read_offset[tp]
            for record in tp_records:
                offset = record.offset
                if previous is not None and offset < previous:
                    continue
                if previous and offset - previous > 1:
                    # internal: `_add_gap` lets commits step over offsets Kafka never delivers
                    # (compaction, transaction markers), exactly as `_drain_messages` does.
                    await self._add_gap(tp, previous + 1, offset)
                # internal: `_to_message` builds the ConsumerMessage Faust acks and commits by.
                message = self._to_message(tp, record)
                # Tracked before the handler runs: a rebalance's `wait_empty` waits for the batch.
                self.track_message(message)
                messages.append(message)
                previous = offset
            if previous is not None:
                last[tp] = previous
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
        if not messages or not self._still_current(generation):
            return  # recording a gap yields to the loop, where a rebalance may have begun
        try:
            held = await self.transport.batch_handler(messages)
        except Redeliver:
            # Nothing of the batch was acknowledged; read it again from its first records.
            # internal: `Consumer.seek` moves the fetch position and sets `_read_offset` to match.
            firsts: dict[TP, int] = {}
            for message in messages:
                firsts.setdefault(message.tp, message.offset)
            for tp, offset in firsts.items():
                await self.seek(tp, offset)
            return
        for message in messages:
            if message.tp not in held:
                self.ack(message)
        now = monotonic()
        for tp, offset in last.items():
            read_offset[tp] = offset
            # internal: the consumer thread's slow-stream warning reads the monitor's
            # `stream_inbound_time[tp]`, which Faust's streams set per event.
            self.app.monitor.stream_inbound_time[tp] = now
        # internal: `_commit_every` (broker_commit_every) and `_n_acked` are what `_drain_messages`
        # checks per record to commit after that many acks; once per batch here.
        if self._commit_every is not None and self._n_acked >= self._commit_every:
            self._n_acked = 0
            await self.commit()

    async def _one_by_one(
        self, records: dict[TP, list[Any]], active_partitions: set[TP] | None, generation: int
    ) -> AsyncIterator[tuple[TP, Message]]:
        # Faust's own `getmany` loop for every other topic: round-robin over partitions, stop at a
        # suspended flow or a new generation, skip inactive partitions, track the end offsets.
        # internal: `scheduler.iterate` is Faust's round-robin over a fetch's partitions.
        for tp, record in self.scheduler.iterate(records):
            if not self._still_current(generation):
                break
            if active_partitions is None or tp in active_partitions or tp in self._buffered_partitions:
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                yield tp, self._to_message(tp, record)

    def _still_current(self, generation: int) -> bool:
        # internal: `suspend_flow` is set (and `flow_active` cleared) when a rebalance revokes partitions;
        # `app.consumer_generation_id` changes with every new assignment.
        return self.flow_active and not self.suspend_flow.is_set() and self.app.consumer_generation_id == generation


class BatchTransport(aiokafka_driver.Transport):  # internal: the aiokafka driver's Transport class
    """Faust's aiokafka transport with `BatchConsumer` as its consumer, and what that consumer batches."""

    Consumer = BatchConsumer

    def __init__(self, url: Any, app: faust.App, *, batch_topics: frozenset[str], batch_handler: BatchHandler) -> None:
        super().__init__(url, app)
        self.batch_topics, self.batch_handler = batch_topics, batch_handler


def deliver_in_batches(app: faust.App, topic: faust.TopicT, handler: BatchHandler) -> None:
    """Subscribe `app` to `topic` and hand every fetched batch of its records to `handler`.

    Call while building the app, before the worker starts (its consumer is created then).
    """
    if app.conf.broker_consumer[0].scheme not in ("kafka", "aiokafka"):
        raise ValueError(f"batch delivery needs Faust's aiokafka transport, not {app.conf.broker_consumer[0]}")
    # `App.transport` has a public setter; the consumer is made from it when the worker starts.
    app.transport = BatchTransport(
        app.conf.broker_consumer, app, batch_topics=frozenset(topic.topics), batch_handler=handler
    )
    # Subscribed like any agent's topic (acks enabled, so `Consumer.ack` records commits), but
    # no agent reads its channel: the consumer never hands these records to the conductor.
    app.topics.add(topic)
