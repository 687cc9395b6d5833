"""Reliability: two workers share the load, one is killed with `kill -9` mid-ingest while events
keep arriving, and the survivor, once it has taken over, serves exact figures and never a wrong one."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.support.cluster import (
    Deployment,
    WorkerProcess,
    handled,
    now_us,
    wait_for_figures,
    wait_until_handled,
)
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview

FAST_FAILOVER = {"PINGBACK_SESSION_TIMEOUT_S": "6"}


async def wait_for_readiness(worker: WorkerProcess, reason: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        try:
            last = await asyncio.to_thread(httpx.get, f"{worker.base_url}/readyz", timeout=5)
        except httpx.TransportError:  # not listening yet
            await asyncio.sleep(0.2)
            continue
        if last.status_code == 200 and last.json()["reason"] == reason:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"never {reason!r}; last /readyz: {last and last.text}\n{worker.log_tail()}")


async def test_survivor_of_kill_9_mid_ingest_has_exact_figures(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"failover-{unique}", tmp_path, partitions=4)
    # Keyed records only: a keyless one is re-sent to its account's partition when read, so it can
    # still be on its way when the survivor, caught up with what its partitions held, starts serving.
    history = generate_history(now_us=now_us(), accounts=6, events=20_000, seed=13, keyless_fraction=0)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    half = len(history) // 2
    await deployment.produce(history[:half])
    victim, survivor = (deployment.start_worker(env=FAST_FAILOVER) for _ in range(2))
    try:
        # Each serves its share of the partitions, then the rest of the history arrives; the victim
        # dies once it has handled some of it.
        await asyncio.gather(*(wait_for_readiness(worker, "serving 2 partition(s)") for worker in (victim, survivor)))
        handled_before = handled(victim)
        late = asyncio.create_task(deployment.produce(history[half:]))
        await wait_until_handled(victim, handled_before + 300)
        victim.kill()
        await late
        # Until the group notices the death the survivor serves its own share, which may lag the
        # history just sent (live data); once it has taken over and caught up, every 200 is exact.
        await wait_for_readiness(survivor, "serving 4 partition(s)")
        await wait_for_figures(survivor, tokens, lambda account, t: reference_overview(events, account, t), strict=True)
    finally:
        deployment.stop_all()
