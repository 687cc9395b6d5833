"""Crash safety and restarts on real Kafka: `kill -9` mid-ingest loses nothing and counts nothing twice."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import httpx
from aiokafka import TopicPartition

from tests.support.cluster import (
    Deployment,
    WorkerProcess,
    metric,
    now_us,
    wait_for_figures,
)
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview
from tests.support.topics import committed_and_end

FAST_FAILOVER = {"PINGBACK_SESSION_TIMEOUT_S": "6"}


# Every record the worker takes from the event topics is folded, dead-lettered or re-sent keyed.
TAKEN = ("pingback_events_processed_total", "pingback_events_rejected_total", "pingback_events_rerouted_total")


async def kill_once_taken(worker: WorkerProcess, records: int, timeout_s: float = 120) -> float:
    """`kill -9` the worker as soon as it has taken `records` since it started; how many it had taken by then.

    One /metrics read per check, the kill right after it: the worker folds a batch at a time and
    answers between batches, so it is killed within a batch or two of the count it was shown at.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        try:
            taken = await asyncio.to_thread(metric, worker, *TAKEN)
        except httpx.TransportError:  # not listening yet
            taken = 0
        if taken >= records:
            worker.kill()
            return taken
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker never took {records} records:\n{worker.log_tail()}")


async def test_kill_9_mid_ingest_loses_nothing_and_counts_nothing_twice(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"crash-{unique}", tmp_path)
    history = generate_history(now_us=now_us(), accounts=4, events=20_000, seed=11)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    half = len(history) // 2
    await deployment.produce(history[:half])
    rng = random.Random(5)
    data_dir = tmp_path / "worker-state"
    group = f"{deployment.name}-app"
    partitions = [
        TopicPartition(topic, partition)
        for topic in (deployment.conversation_topic, deployment.agent_topic)
        for partition in range(deployment.partitions)
    ]
    committed_before, kills = 0, []
    for round_ in range(6):
        worker = deployment.start_worker(data_dir=data_dir, env=FAST_FAILOVER)
        if round_ == 2:  # the rest of the history arrives while the worker keeps crashing
            await deployment.produce(history[half:])
        # Killed after a random share of its backlog, by count rather than time.
        taken = await kill_once_taken(worker, rng.randint(1, len(history) // 12))
        committed, end = await committed_and_end(deployment.kafka, group, partitions)
        # It resumed from the last commit: a worker that had taken all of end - committed_before was idle, not mid-ingest.
        assert 0 < taken < end - committed_before, (round_, taken, end, committed_before)
        assert committed < end, (round_, committed, end)  # a backlog is left for the next worker
        kills.append((taken, committed - committed_before))
        committed_before = committed
    # Some worker died with records taken but not committed: the next one folds them again, and
    # the figures below must count them once.
    assert any(taken > progress for taken, progress in kills), kills
    survivor = deployment.start_worker(data_dir=data_dir, env=FAST_FAILOVER)
    try:
        # Not strict: a keyless record's keyed re-send may land after its partition caught up (README).
        await wait_for_figures(survivor, tokens, lambda account, t: reference_overview(events, account, t))
    finally:
        survivor.stop()
    print(f"\n[crash] (records taken, commits advanced) at each kill: {kills}")


async def test_restart_with_local_state_skips_changelog_replay(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"restart-{unique}", tmp_path)
    history = generate_history(now_us=now_us(), accounts=3, events=6_000, seed=3)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    await deployment.produce(history)
    expected = lambda account, t: reference_overview(events, account, t)  # noqa: E731

    first = deployment.start_worker(data_dir=tmp_path / "state")
    await wait_for_figures(first, tokens, expected)
    first.stop()

    timings = {}
    for label, data_dir in [("local state intact", tmp_path / "state"), ("empty local state", tmp_path / "empty")]:
        started = time.monotonic()
        worker = deployment.start_worker(data_dir=data_dir)
        try:
            worker.wait_ready()
            timings[label] = (time.monotonic() - started, metric(worker, "pingback_changelog_records_recovered_total"))
            await wait_for_figures(worker, tokens, expected)
        finally:
            worker.stop()
    print(f"\n[restart] {timings}")
    (_, intact_records), (_, empty_records) = timings["local state intact"], timings["empty local state"]
    # Without local state the whole changelog is read back; with it, at most a small tail.
    assert empty_records > 1000
    assert intact_records < empty_records / 10
