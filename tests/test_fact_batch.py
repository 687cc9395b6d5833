"""`FactBatch.flush` applies what Kafka acknowledged to the local store, unless another worker wrote the
changelog partition in between: then it must not step the store's persisted offset over those records."""

from __future__ import annotations

from pathlib import Path

import faust
import pytest
from faust.types import TP

from streams.fact_tables import ChangelogRecord, FactBatch, Superseded, _written_since
from tests.support.producer_fake import fake_kafka_producer


@pytest.mark.parametrize(
    ("persisted", "offsets", "gap"),
    [
        (None, [5, 6], None),  # nothing persisted (the memory store, or a store that never read one)
        (4, [5, 6, 7], None),  # ours follow the last one the store holds
        (4, [7, 5, 6], None),  # in any order
        (4, [8, 9], (5, 7)),  # another writer took 5–7 first
        (4, [5, 7], (6, 6)),  # or wrote between ours
    ],
)
def test_written_since(persisted: int | None, offsets: list[int], gap: tuple[int, int] | None) -> None:
    assert _written_since(persisted, offsets) == gap


class Facts:
    def __init__(self, tmp_path: Path, store: str) -> None:
        self.app = faust.App("facts-test", broker="kafka://127.0.0.1:1", store=store, datadir=str(tmp_path))
        self.producer = fake_kafka_producer(self.app)
        self.table = self.app.Table("conversations", partitions=2, key_type=bytes, value_type=bytes)
        self.batch = FactBatch(self.app, self.table)
        self.topic = self.table.changelog_topic.get_topic_name()

    def caught_up_to(self, partition: int, offset: int) -> None:
        """As recovery leaves the store: the changelog read up to `offset`."""
        tp = TP(self.topic, partition)
        self.table.data.apply_changelog_batch([ChangelogRecord(b"old", b"0", tp, offset)], lambda k: k, lambda v: v)
        self.producer.next_offsets[self.topic, partition] = offset + 1

    def stage(self, partition: int, key: bytes, value: bytes) -> None:
        (table,) = self.batch.tables
        self.batch.partition = partition
        table[key] = value


async def test_a_batch_after_the_stores_last_record_is_applied(tmp_path: Path) -> None:
    facts = Facts(tmp_path, "rocksdb://")
    facts.caught_up_to(0, 9)
    facts.stage(0, b"acme/c1", b"1")
    await facts.batch.flush()
    assert facts.table.data[b"acme/c1"] == b"1"
    assert facts.table.data.persisted_offset(TP(facts.topic, 0)) == 10


async def test_a_partition_another_worker_wrote_is_left_to_recovery_and_the_rest_applied(tmp_path: Path) -> None:
    facts = Facts(tmp_path, "rocksdb://")
    facts.caught_up_to(0, 9)
    facts.caught_up_to(1, 3)
    facts.producer.next_offsets[facts.topic, 0] = 40  # the partition's new owner wrote 10–39 meanwhile
    facts.stage(0, b"acme/c1", b"1")
    facts.stage(1, b"globex/c1", b"1")
    with pytest.raises(Superseded, match=rf"{facts.topic}/0 offsets 10–39 .* reads it again at the next rebalance"):
        await facts.batch.flush()
    assert b"acme/c1" not in facts.table.data
    assert facts.table.data.persisted_offset(TP(facts.topic, 0)) == 9  # recovery reads 10–40, in order
    assert facts.table.data[b"globex/c1"] == b"1"
    assert not facts.batch.tables[0].staged


async def test_the_memory_store_keeps_no_offsets_and_is_always_applied(tmp_path: Path) -> None:
    # Faust reads a memory store's changelog from its start at every recovery: no offset to step over.
    facts = Facts(tmp_path, "memory://")
    facts.producer.next_offsets[facts.topic, 0] = 40
    facts.stage(0, b"acme/c1", b"1")
    await facts.batch.flush()
    assert facts.table.data[b"acme/c1"] == b"1"
