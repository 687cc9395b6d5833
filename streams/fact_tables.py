"""The fact tables as the agent writes them: one batch of events at a time, made durable at once.

Why not `Table.__setitem__` per event: each Faust table write builds a FutureMessage, queues it in
the ProducerBuffer, runs sensors and layers of callbacks and writes the persisted offset to
RocksDB, all per message: more CPU than everything else the worker does per event (bench/README.md).

`FactBatch.flush()` writes what a batch changed the way Faust's own recovery writes a table:
1. every key the batch wrote (its latest value, or a tombstone) is sent to the table's changelog,
   on the partition of the event that wrote it (Faust's rule: changelog partition = source
   partition), after the batch's dead letters and re-routed records have been acknowledged;
2. once Kafka has acknowledged all of them, the changelog records are applied to the local store
   with `Store.apply_changelog_batch`, which also records the persisted offsets, so a restart with
   local state replays only the changelog's tail.
   A changelog partition that another worker wrote to since the local store caught up with it
   (this worker lost it while paused) is not applied, and `Superseded` is raised: the fold stops
   the batch's partitions until the rebalance that must follow reads them again.
The agent acknowledges the batch's events only after that, so nothing is committed that Kafka
does not hold, and the local store never holds what the changelog lacks. Until then reads see the
batch's own writes over the store (`FactTable`), so the core folds against a plain mapping.

Faust internals used (pinned by `tests/test_fact_tables_contract.py`, which fails if an upgrade
changes them): `Producer.send(topic, key, value, partition, timestamp, headers)` called
positionally; `Table.data` (the store) and `Store.apply_changelog_batch(batch, to_key, to_value)`
reading `event.message.{tp, offset, partition, key, value}` (our `ChangelogRecord` stands in for
the event) and recording the persisted offset.
"""

from __future__ import annotations

import asyncio
from collections.abc import ItemsView, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, cast

import faust
from faust.types import TP

# Staged value of a key: (changelog partition, value), None as value meaning deleted.
Staged = tuple[int, bytes | None]


@dataclass(frozen=True, slots=True)
class ChangelogRecord:
    """An acknowledged changelog record in the shape `Store.apply_changelog_batch` reads from an event."""

    key: bytes
    value: bytes | None
    tp: TP
    offset: int

    @property
    def message(self) -> ChangelogRecord:  # the store reads event.message.{tp,offset,partition,key,value}
        return self

    @property
    def partition(self) -> int:
        return self.tp.partition


class FactTable(MutableMapping[bytes, bytes]):
    """One fact table as the agent sees it during a batch: the batch's writes over the local store."""

    def __init__(self, table: faust.Table, batch: FactBatch) -> None:
        self.topic = table.changelog_topic.get_topic_name()
        self.store: Any = table.data  # a Faust store (RocksDB or memory): a mapping with apply_changelog_batch
        self.staged: dict[bytes, Staged] = {}
        self._batch = batch

    def __getitem__(self, key: bytes) -> bytes:
        staged = self.staged.get(key)
        if staged is None:
            return cast(bytes, self.store[key])
        if staged[1] is None:
            raise KeyError(key)
        return staged[1]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.staged[key] = (self._batch.partition, value)

    def __delitem__(self, key: bytes) -> None:
        if key not in self:
            raise KeyError(key)
        self.staged[key] = (self._batch.partition, None)

    def __iter__(self) -> Iterator[bytes]:
        return (key for key, _ in self.items())

    def __len__(self) -> int:
        return sum(1 for _ in self.items())

    def items(self) -> ItemsView[bytes, bytes]:
        return _MergedItems(self)


class _MergedItems(ItemsView[bytes, bytes]):
    # The store lists its own pairs (per-key lookups there would cost a search per key).
    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        table = cast(FactTable, self._mapping)
        for key, value in table.store.items():
            if key not in table.staged:
                yield key, value
        for key, (_, staged) in table.staged.items():
            if staged is not None:
                yield key, staged


class FactBatch:
    """What one batch of events writes: fact tables and other records, until `flush()`."""

    def __init__(self, app: faust.App, *tables: faust.Table) -> None:
        self._app = app
        self.tables = [FactTable(table, self) for table in tables]
        self.partition = 0  # of the event being folded: where its table writes go
        self._records: list[tuple[str, int | None, bytes | None, bytes | None]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None) -> None:
        """Send a record with the batch (None: the producer's partitioner picks the partition)."""
        self._records.append((topic, partition, key, value))

    async def flush(self) -> None:
        producer = self._app.producer
        written: list[tuple[FactTable, bytes, bytes | None, asyncio.Future[Any]]] = []
        others = [
            await producer.send(topic, key, value, partition, None, None)
            for topic, partition, key, value in self._records
        ]
        if others:
            # Dead letters and re-sends first: a batch that cannot set its invalid records aside
            # writes no facts either, so a stopped batch leaves no changelog records behind.
            await asyncio.gather(*others)
        for table in self.tables:
            for key, (partition, value) in table.staged.items():
                written.append((table, key, value, await producer.send(table.topic, key, value, partition, None, None)))
        await asyncio.gather(*others, *(sent for *_, sent in written))
        superseded: list[str] = []
        for table in self.tables:
            by_partition: dict[TP, list[ChangelogRecord]] = {}
            for written_to, key, value, sent in written:
                if written_to is table:
                    tp = TP(table.topic, sent.result().partition)
                    by_partition.setdefault(tp, []).append(ChangelogRecord(key, value, tp, sent.result().offset))
            records = []
            for tp, tp_records in by_partition.items():
                gap = _written_since(table.store.persisted_offset(tp), [record.offset for record in tp_records])
                if gap is None:
                    records.extend(tp_records)
                else:
                    superseded.append(f"{tp.topic}/{tp.partition} offsets {gap[0]}–{gap[1]}")
            if records:
                table.store.apply_changelog_batch(cast(Iterable[Any], records), to_key=_same, to_value=_same)
            table.staged.clear()
        self._records.clear()
        if superseded:
            raise Superseded(superseded)

    def discard(self) -> None:
        """Forget what the batch staged: its records will be folded again when they are read again."""
        for table in self.tables:
            table.staged.clear()
        self._records.clear()


class Superseded(Exception):
    """Another writer appended to a changelog partition this batch wrote, after the local store last caught up with it.

    Only a worker whose partition was given to another (after a pause past its session, say) sees
    this: the local store lacks the other's records, so the batch's records are not applied there
    (its persisted offset would step over them); the next recovery reads them all, in order.
    """

    def __init__(self, gaps: list[str]) -> None:
        super().__init__(
            "another worker wrote to " + ", ".join(gaps) + " since this worker's local state caught up with"
            " the changelog: it lost the partition (paused past its session?) and reads it again at the next rebalance"
        )


def _written_since(persisted: int | None, offsets: list[int]) -> tuple[int, int] | None:
    """The offsets another writer took before or between ours, as (first, last), or None.

    `persisted` is the last changelog offset in the local store (None: the store keeps none, as
    the memory store, or has never read one); ours are contiguous after it unless another wrote.
    """
    offsets = sorted(offsets)
    expected = offsets[0] if persisted is None else persisted + 1
    for offset in offsets:
        if offset != expected:
            return expected, offset - 1
        expected += 1
    return None


def _same(value: Any) -> Any:
    return value
