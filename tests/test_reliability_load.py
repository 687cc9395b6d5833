"""Reliability: wrk on the overview while the worker ingests live traffic, and not one error.

The worker is ready (caught up, serving exact figures) before the load starts, and a producer
keeps sending a messy history (duplicates, keyless and invalid records included) for as long
as wrk runs. Every request must get a 2xx: a 503 here would mean ingest made the worker stop
serving, and any socket error or timeout that it could not keep up.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.support.cluster import (
    OVERVIEW,
    Deployment,
    handled,
    now_us,
    wait_for_figures,
)
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview
from tests.support.wrk import run_wrk

LOAD_S = 15
LIVE_RECORDS_PER_S = 1_000


async def produce_paced(deployment: Deployment, records: list, per_s: int) -> None:
    """Send `records` in tenth-of-a-second slices, `per_s` a second: traffic that keeps arriving."""
    step = per_s // 10
    for start in range(0, len(records), step):
        began = time.monotonic()
        await deployment.produce(records[start : start + step])
        await asyncio.sleep(max(0.0, 0.1 - (time.monotonic() - began)))


async def test_overview_answers_every_request_while_the_worker_ingests(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"load-{unique}", tmp_path, partitions=2)
    history = generate_history(now_us=now_us(), accounts=2, events=2_000, seed=4)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    await deployment.produce(history)
    live = generate_history(now_us=now_us(), accounts=2, events=LOAD_S * LIVE_RECORDS_PER_S, seed=5)
    worker = deployment.start_worker()
    try:
        await wait_for_figures(worker, tokens, lambda account, t: reference_overview(events, account, t))
        handled_before = handled(worker)
        token = next(iter(tokens.values()))
        load = asyncio.create_task(run_wrk(worker.base_url + OVERVIEW, token=token, seconds=LOAD_S, connections=8))
        await produce_paced(deployment, live, LIVE_RECORDS_PER_S)
        report = await load
        print(
            f"\n[load] {report['requests']} requests, {report['requests_per_s']:.0f}/s, p50 {report['p50_us']} µs, "
            f"p99 {report['p99_us']} µs, {handled(worker) - handled_before:.0f} records ingested meanwhile"
        )
        assert report["requests"] > 0
        assert report["errors"] == 0, report
        assert handled(worker) > handled_before, "the worker ingested nothing during the load"
        assert (await asyncio.to_thread(httpx.get, f"{worker.base_url}/readyz", timeout=5)).status_code == 200
    finally:
        worker.stop()
