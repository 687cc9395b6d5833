"""The worker on real Kafka, fed a messy history: exact figures, every invalid record dead-lettered."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from events.dead_letter import parse_dead_letter
from tests.support.cluster import Deployment, now_us, wait_for_figures
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview


async def read_topic(kafka: str, topic: str, expected: int, timeout_s: float = 60) -> list:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            records += [record for batch in batches.values() for record in batch]
    finally:
        await consumer.stop()
    return records


async def test_messy_history_gives_reference_figures_and_dead_letters(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"messy-{unique}", tmp_path)
    history = generate_history(now_us=now_us(), accounts=5, events=10_000, seed=7)
    events = decode_valid(history)
    invalid = [record for record in history if not record.valid]
    assert len(history) >= 10_000 and invalid
    accounts = sorted({event.account_id for event in events})
    tokens = {account: deployment.create_key(account) for account in accounts}
    await deployment.produce(history)

    worker = deployment.start_worker()
    try:
        started = time.monotonic()
        await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t))
        elapsed = time.monotonic() - started
        print(
            f"\n[messy history] {len(history)} records to exact figures in {elapsed:.1f} s "
            f"(≈ {len(history) / elapsed:,.0f} records/s including start-up)"
        )

        letters = await read_topic(kafka, deployment.dead_letter_topic, len(invalid))
        parsed = [parse_dead_letter(letter.value) for letter in letters]
        # At-least-once: a dead letter may repeat after a crash, so compare by source position.
        by_position = {
            (p.source_topic, p.source_partition, p.source_offset): (letter, p)
            for letter, p in zip(letters, parsed, strict=True)
        }
        assert Counter((p.original_key, p.original_value) for _, p in by_position.values()) == Counter(
            (record.key, record.value) for record in invalid
        )
        for letter, dead in by_position.values():
            assert dead.reason, dead
            assert letter.key == dead.original_key  # the Kafka record keeps the original key
            assert dead.source_topic in (deployment.conversation_topic, deployment.agent_topic)
    finally:
        worker.stop()
