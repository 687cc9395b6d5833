"""The overview endpoint end to end on real Kafka: keys made with the CLI, answers over real HTTP,
any worker answering any account, and failover after `kill -9`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from tests.support.cluster import Deployment, WorkerProcess, now_us, wait_for_figures
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview
from tests.support.stream_fakes import Sse, next_event, open_stream

FAST_FAILOVER = {"PINGBACK_SESSION_TIMEOUT_S": "6"}
KEY_DEADLINE_S = 60.0  # generous: how long a key takes to reach every worker is measured, not tested


async def _until_unauthorized(events: AsyncIterator[Sse]) -> str:
    """Read a stream until its `unauthorized` event, then to its end (generous bound, never a timing check)."""
    async with asyncio.timeout(30):
        while (await next_event(events, timeout=30)).event != "unauthorized":
            pass
        async for block in events:
            assert block.event in (None, "unauthorized"), block  # nothing after it but its end
    return "ended"


async def wait_for_status(worker: WorkerProcess, token: str, status: int) -> float:
    """Seconds until the worker answers `status` for the key (a figure to print, never a budget)."""
    started = time.monotonic()
    while time.monotonic() - started < KEY_DEADLINE_S:
        if (await asyncio.to_thread(worker.overview, token)).status_code == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {status} from {worker.base_url} within {KEY_DEADLINE_S} s")


async def test_keys_take_effect_on_every_worker(kafka: str, unique: str, tmp_path: Path) -> None:
    deployment = Deployment(kafka, f"keys-{unique}", tmp_path)
    # Heartbeats every second keep the streams' reads busy while the revoke command starts up.
    workers = [
        deployment.start_worker(env=FAST_FAILOVER | {"PINGBACK_STREAM_HEARTBEAT_SECONDS": "1"}) for _ in range(2)
    ]
    try:
        for worker in workers:
            worker.wait_ready()
        token = deployment.create_key("acme")
        created = [await wait_for_status(worker, token, 200) for worker in workers]
        listing = deployment.pingback("keys", "list", "--account", "acme").stdout
        assert token not in listing and token.split("_")[1] in listing  # key ids are shown, tokens never
        async with AsyncExitStack() as streams:
            # With both workers owning partitions, one stream is served locally and the other relayed.
            opened = [await streams.enter_async_context(open_stream(w.base_url, token)) for w in workers]
            for _, events in opened:
                assert (await next_event(events, timeout=30)).event == "overview"
            await asyncio.to_thread(deployment.pingback, "keys", "revoke", token)
            started = time.monotonic()
            ends = [await _until_unauthorized(events) for _, events in opened]
        revoked = [await wait_for_status(worker, token, 401) for worker in workers]
        print(f"\n[keys] both streams told unauthorized {time.monotonic() - started:.2f} s after the revoke returned")
        assert ends == ["ended", "ended"]
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
