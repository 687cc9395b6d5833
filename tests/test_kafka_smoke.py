"""The development broker really works with the clients the product uses: aiokafka and a Faust agent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

SMOKE_APP = Path(__file__).parent / "support" / "smoke_faust_app.py"


async def create_topics(kafka: str, *names: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1) for name in names])
    finally:
        await admin.close()


async def consume(kafka: str, topic: str, count: int, timeout_ms: int = 60_000) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list[tuple[bytes, bytes]] = []
    try:
        while len(records) < count:
            batch = await consumer.getmany(timeout_ms=timeout_ms)
            if not batch:
                break
            records += [(r.key, r.value) for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return records


async def test_aiokafka_round_trip(kafka: str, unique: str) -> None:
    topic = f"smoke-{unique}"
    await create_topics(kafka, topic)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        for i in range(100):
            await producer.send(topic, key=b"acme", value=b"event-%d" % i)
        await producer.flush()
    finally:
        await producer.stop()
    records = await consume(kafka, topic, 100)
    assert records == [(b"acme", b"event-%d" % i) for i in range(100)]


async def test_faust_agent_round_trip(kafka: str, unique: str, tmp_path: Path) -> None:
    source, sink = f"smoke-in-{unique}", f"smoke-out-{unique}"
    await create_topics(kafka, source, sink)
    env = dict(
        os.environ,
        KAFKA_BOOTSTRAP_SERVERS=kafka,
        SMOKE_APP_ID=f"smoke-{unique}",
        SMOKE_SOURCE=source,
        SMOKE_SINK=sink,
        SMOKE_DATA_DIR=str(tmp_path),
    )
    worker = subprocess.Popen(
        [sys.executable, str(SMOKE_APP), "worker", "-l", "warn"],
        env=env,
        stdout=open(tmp_path / "worker.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        producer = AIOKafkaProducer(bootstrap_servers=kafka)
        await producer.start()
        try:
            for key, value in [(b"acme", b"a"), (b"globex", b"b"), (b"acme", b"c")]:
                await producer.send_and_wait(source, key=key, value=value)
        finally:
            await producer.stop()
        echoed = await consume(kafka, sink, 3, timeout_ms=90_000)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert sorted(echoed) == [(b"acme", b"a:1"), (b"acme", b"c:2"), (b"globex", b"b:1")], (
        tmp_path / "worker.log"
    ).read_text()[-3000:]
