"""The overview endpoint end to end on real Kafka: keys made with the CLI, answers over real HTTP,
any worker answering any account, and failover after `kill -9`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.support.cluster import Deployment, WorkerProcess, now_us, wait_for_figures
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview

FAST_FAILOVER = {"PINGBACK_SESSION_TIMEOUT_S": "6"}


async def wait_for_status(worker: WorkerProcess, token: str, status: int, timeout_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if (await asyncio.to_thread(worker.overview, token)).status_code == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {status} from {worker.base_url} within {timeout_s} s")


async def test_keys_take_effect_on_every_worker_within_seconds(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"keys-{unique}", tmp_path)
    workers = [deployment.start_worker(env=FAST_FAILOVER) for _ in range(2)]
    try:
        for worker in workers:
            worker.wait_ready()
        token = deployment.create_key("acme")
        created = [await wait_for_status(worker, token, 200, timeout_s=5) for worker in workers]
        listing = deployment.pingback("keys", "list", "--account", "acme").stdout
        assert token not in listing and token.split("_")[1] in listing  # key ids are shown, tokens never
        deployment.pingback("keys", "revoke", token)
        revoked = [await wait_for_status(worker, token, 401, timeout_s=5) for worker in workers]
        response = workers[0].overview(token)
        assert response.json()["error"] == "invalid_token"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        print(f"\n[keys] usable after {max(created):.2f} s, refused after {max(revoked):.2f} s")
    finally:
        deployment.stop_all()


async def test_two_workers_answer_every_account_and_survive_kill_9(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"pair-{unique}", tmp_path, partitions=4)
    history = generate_history(now_us=now_us(), accounts=6, events=6_000, seed=21)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    await deployment.produce(history)
    expected = lambda account, t: reference_overview(events, account, t)  # noqa: E731

    first, second = (deployment.start_worker(env=FAST_FAILOVER) for _ in range(2))
    try:
        for worker in (first, second):
            await wait_for_figures(worker, tokens, expected)
        # Both workers own partitions, so some answers above were forwarded to the owner.
        for worker in (first, second):
            reason = httpx.get(f"{worker.base_url}/readyz", timeout=5).json()["reason"]
            assert reason.startswith("serving") and not reason.startswith("serving 0"), reason
        first.kill()
        # 503 while the partitions move is fine; a wrong number never is.
        await wait_for_figures(second, tokens, expected, strict=True)
        assert httpx.get(f"{second.base_url}/readyz", timeout=5).json()["reason"] == "serving 4 partition(s)"
    finally:
        deployment.stop_all()
