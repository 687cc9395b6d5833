"""The Faust internals `streams.fact_tables` relies on, checked against the installed faust-streaming
without a broker: if an upgrade renames, re-signs or changes one of them, a test here names it."""

from __future__ import annotations

import inspect
from pathlib import Path

import faust
import pytest
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP

from streams.fact_tables import ChangelogRecord


def test_producer_send_takes_the_positional_arguments_fact_tables_passes() -> None:
    parameters = list(inspect.signature(aiokafka_driver.Producer.send).parameters)
    assert parameters[:7] == ["self", "topic", "key", "value", "partition", "timestamp", "headers"]


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
def test_apply_changelog_batch_reads_our_changelog_record(tmp_path: Path, store: str) -> None:
    app = faust.App(f"contract-{store[:3]}", broker="kafka://127.0.0.1:1", store=store, datadir=str(tmp_path))
    table = app.Table("facts", partitions=2, key_type=bytes, value_type=bytes)
    tp = TP(table.changelog_topic.get_topic_name(), 1)
    batch = [
        ChangelogRecord(b"a", b"1", tp, 10),
        ChangelogRecord(b"b", b"2", tp, 11),
        ChangelogRecord(b"a", None, tp, 12),
    ]
    table.data.apply_changelog_batch(batch, to_key=lambda k: k, to_value=lambda v: v)
    if store == "rocksdb://":
        db = table.data._db_for_partition(1)
        assert db[b"b"] == b"2" and db.get(b"a") is None  # a None value is a tombstone
        assert table.data.persisted_offset(tp) == 12  # so a restart replays only the changelog's tail
    else:
        assert dict(table.data.items()) == {b"b": b"2"}
