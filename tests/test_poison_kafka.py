"""Issue #11 item 1 on real Kafka: an oversized invalid record loses no valid event.

The reproduction from the issue: 50 valid events per account, one invalid event padded to
~450 KB (the broker accepts it), 5 more valid per account; then `kill -9` and a restart. Its
dead letter used to be ~1 MB, refused by the producer, and the batch was acknowledged anyway.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from events.dead_letter import parse_dead_letter
from tests.support.cluster import Deployment, WorkerProcess, metric, now_us, wait_for_figures, wait_until_handled
from tests.support.history import CONVERSATION_TOPIC, Record, decode_valid, format_timestamp
from tests.support.reference import reference_overview
from tests.test_processor_kafka import read_topic

pytestmark = pytest.mark.kafka

ACCOUNTS = ("acme", "globex")


def created(account: str, n: int) -> Record:
    value = {
        "event_id": f"{account}-{n}",
        "type": "conversation.created",
        "account_id": account,
        "occurred_at": format_timestamp(now_us() - 3_600_000_000),
        "conversation_id": f"c{n}",
        "channel": "email",
    }
    return Record(CONVERSATION_TOPIC, account.encode(), orjson.dumps(value), True)


def poison() -> Record:
    value = {
        "event_id": "poison",
        "type": "conversation.rated",
        "account_id": "acme",
        "conversation_id": "c1",
        "occurred_at": format_timestamp(now_us()),
        "rating": 7,
        "padding": "x" * 450_000,
    }
    return Record(CONVERSATION_TOPIC, b"acme", orjson.dumps(value), False)


def the_reproduction() -> list[Record]:
    return [
        *(created(account, n) for n in range(50) for account in ACCOUNTS),
        poison(),
        *(created(account, n) for n in range(50, 55) for account in ACCOUNTS),
    ]


async def wait_for_probe(worker: WorkerProcess, path: str, status: int, contains: str, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = await asyncio.to_thread(httpx.get, f"{worker.base_url}{path}", timeout=5)
            if last.status_code == status and contains in last.text:
                return last.text
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} never {status} with {contains!r}; last: {last and last.text}\n{worker.log_tail()}")


async def assert_counted_after_kill_9_and_restart(
    deployment: Deployment, records: list[Record], worker: WorkerProcess, env: dict[str, str]
) -> None:
    """kill -9, restart on the same local state: every valid event counted, the poison dead-lettered."""
    events = decode_valid(records)
    tokens = {account: deployment.create_key(account) for account in ACCOUNTS}
    worker.kill()
    restarted = deployment.start_worker(data_dir=worker.data_dir, env=env)
    figures = await wait_for_figures(restarted, tokens, lambda account, t: reference_overview(events, account, t))
    assert all(orjson.loads(text)["total_conversations"] == 55 for text in figures.values()), figures
    letters = [
        parse_dead_letter(letter.value)
        for letter in await read_topic(deployment.kafka, deployment.dead_letter_topic, 1)
    ]
    (poisoned,) = [record.value for record in records if not record.valid]
    # At-least-once: a dead letter may be written twice around a crash, never for another record.
    assert {
        (
            letter.source_topic,
            letter.source_offset,
            letter.original_value_size,
            letter.original_value_sha256,
            letter.truncated,
        )
        for letter in letters
    } == {
        (
            deployment.conversation_topic,
            letters[0].source_offset,
            len(poisoned),
            hashlib.sha256(poisoned).hexdigest(),
            True,
        )
    }
    kept = letters[0].original_value
    assert kept == poisoned[: len(kept)] and len(kept) < len(poisoned)
    assert letters[0].reason.startswith("`rating`")


async def test_an_oversized_poison_is_dead_lettered_truncated_and_no_valid_event_is_lost(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"poison-{unique}", tmp_path, partitions=4)
    records = the_reproduction()
    await deployment.ensure_topics()
    await deployment.produce(records)
    worker = deployment.start_worker()
    try:
        await wait_until_handled(worker, len(records))
        await assert_counted_after_kill_9_and_restart(deployment, records, worker, {})
    finally:
        deployment.stop_all()


async def test_a_record_that_cannot_be_dead_lettered_stops_its_partition_visibly_and_is_not_acknowledged(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"stuck-{unique}", tmp_path, partitions=4)
    # A dead-letter topic that refuses the worker's (bounded, 64 KiB) dead letter.
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(deployment.dead_letter_topic, 4, 1, topic_configs={"max.message.bytes": "4096"})]
        )
    finally:
        await admin.close()
    records = the_reproduction()
    await deployment.ensure_topics()
    await deployment.produce(records)
    worker = deployment.start_worker(env={"PINGBACK_STALL_SECONDS": "5"})
    try:
        ready = await wait_for_probe(worker, "/readyz", 503, "a record could not be folded or dead-lettered")
        assert "MessageSizeTooLarge" in ready, ready
        health = await wait_for_probe(worker, "/healthz", 503, "stalled")
        assert "has had records waiting and none processed" in health
        assert metric(worker, "pingback_partition_stalled") >= 1
        log = worker.log_path.read_text(errors="replace")
        assert "no progress for 5 s on" in log and "a record could not be folded or dead-lettered" in log
        # Fixed (dead letters small enough for this topic) and restarted: nothing was skipped.
        await assert_counted_after_kill_9_and_restart(
            deployment, records, worker, {"PINGBACK_DEAD_LETTER_KEEP_BYTES": "512"}
        )
    finally:
        deployment.stop_all()
