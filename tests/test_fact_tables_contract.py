"""The Faust internals `streams.fact_tables` relies on, checked against the installed faust-streaming
without a broker: if an upgrade renames, re-signs or changes one of them, a test here names it."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import aiokafka
import faust
import pytest
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.protocol.metadata import MetadataResponse_v0
from faust.exceptions import ProducerSendError
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP

from streams.fact_tables import ChangelogRecord
from tests.support.producer_fake import FakeKafkaProducer, fake_kafka_producer


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


def _real_kafka_producer(topic: str, partitions: int, **settings: Any) -> aiokafka.AIOKafkaProducer:
    """aiokafka's own producer, unstarted, with the broker's metadata for `topic` as if it had asked."""
    kafka = aiokafka.AIOKafkaProducer(bootstrap_servers="127.0.0.1:1", **settings)

    async def metadata_known(topic: str) -> None:
        pass

    kafka.client._wait_on_metadata = metadata_known  # type: ignore[method-assign]
    layout = [(0, topic, [(0, partition, 0, [0], [0]) for partition in range(partitions)])]
    kafka.client.cluster.update_metadata(MetadataResponse_v0([(0, "127.0.0.1", 1)], layout))
    return kafka


def _broker_wrote(kafka: aiokafka.AIOKafkaProducer, base_offsets: dict[int, int]) -> None:
    """What aiokafka's sender does with the broker's produce response: each partition's batch written at a base offset."""
    batches, _ = kafka._message_accumulator.drain_by_nodes(ignore_nodes=[], muted_partitions=set())
    for node_batches in batches.values():
        for tp, batch in node_batches.items():
            batch.done(base_offset=base_offsets[tp.partition])


def _app(tmp_path: Path, name: str) -> faust.App:
    return faust.App(name, broker="kafka://127.0.0.1:1", store="memory://", datadir=str(tmp_path / name))


async def test_producer_send_answers_a_future_of_where_the_broker_wrote_each_record(tmp_path: Path) -> None:
    # `FactBatch.flush` reads `.partition` and `.offset` of each send's result; the fold's tests fake
    # aiokafka's producer (tests/support/producer_fake.py): real and fake must answer alike.
    real_app, fake_app = _app(tmp_path, "real"), _app(tmp_path, "fake")
    kafka = _real_kafka_producer("facts", partitions=2)
    real_app.producer._producer = kafka  # type: ignore[attr-defined]
    fake = fake_kafka_producer(fake_app)
    fake.next_offsets["facts", 1] = 41
    real = [await real_app.producer.send("facts", b"k", b"v%d" % n, 1, None, None) for n in range(3)]
    faked = [await fake_app.producer.send("facts", b"k", b"v%d" % n, 1, None, None) for n in range(3)]
    _broker_wrote(kafka, {1: 41})
    written = await asyncio.gather(*real)
    assert [(record.partition, record.offset) for record in written] == [(1, 41), (1, 42), (1, 43)]
    assert [type(record) for record in written] == [type(record) for record in await asyncio.gather(*faked)]
    assert [(r.topic, r.partition, r.topic_partition, r.offset) for r in written] == [
        (r.topic, r.partition, r.topic_partition, r.offset) for r in (sent.result() for sent in faked)
    ]
    await kafka.stop()


async def test_producer_send_refuses_a_record_too_large_as_the_fake_does(tmp_path: Path) -> None:
    real_app, fake_app = _app(tmp_path, "real"), _app(tmp_path, "fake")
    kafka = _real_kafka_producer("facts", partitions=1, max_request_size=1000)
    real_app.producer._producer = kafka  # type: ignore[attr-defined]
    fake_kafka_producer(fake_app).failing = {0}
    refusals = []
    for app in (real_app, fake_app):
        with pytest.raises(ProducerSendError) as refused:
            await app.producer.send("facts", b"k", b"x" * 2000, 0, None, None)
        refusals.append(type(refused.value.__cause__))
    assert refusals == [MessageSizeTooLargeError, MessageSizeTooLargeError]
    await kafka.stop()


def test_the_fake_kafka_producer_takes_what_aiokafka_s_send_takes() -> None:
    def shape(send: Any) -> list[tuple[str, object]]:
        return [(name, parameter.default) for name, parameter in inspect.signature(send).parameters.items()]

    assert shape(FakeKafkaProducer.send) == shape(aiokafka.AIOKafkaProducer.send)
