"""A worker frozen past its session (SIGSTOP) while events keep arriving, then resumed (SIGCONT): it
must not answer from the figures of the moment it froze, neither requests queued during the freeze
nor new ones, while the group moves its partitions (streams.lease)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import httpx

from api.forwarding import FORWARDED_HEADER
from tests.support.builders import created_now
from tests.support.cluster import OVERVIEW, Deployment, WorkerProcess, now_us, wait_for_figures
from tests.support.history import CONVERSATION_TOPIC, Record
from tests.support.reference import reference_overview

SESSION = {"PINGBACK_SESSION_TIMEOUT_S": "6"}
FREEZE_S = 9.0  # longer than the session: the group gives the frozen worker's partitions away


def created(n: int) -> Record:
    event = created_now(n, ago_s=60)
    return Record(CONVERSATION_TOPIC, b"acme", json.dumps(event).encode(), True)


async def owner_of(workers: list[WorkerProcess], token: str) -> WorkerProcess:
    """The worker that answers for acme itself: asked as if forwarded, the others say 503."""
    headers = {"Authorization": f"Bearer {token}", FORWARDED_HEADER: "1"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for worker in workers:
            response = await asyncio.to_thread(httpx.get, f"{worker.base_url}{OVERVIEW}", headers=headers, timeout=10)
            if response.status_code == 200:
                return worker
        await asyncio.sleep(0.2)
    raise AssertionError("no worker answers for acme")


async def test_a_frozen_worker_never_answers_with_the_figures_it_froze_with(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"freeze-{unique}", tmp_path, partitions=4)
    token = deployment.create_key("acme")
    await deployment.produce([created(n) for n in range(100)])
    workers = [deployment.start_worker(env=SESSION) for _ in range(2)]
    produced = 100
    try:
        for worker in workers:
            worker.wait_ready()
        await wait_for_figures(
            workers[0],
            {"acme": token},
            lambda account, t: {
                **reference_overview([], account, t),
                "total_conversations": 100,
                "channel_mix": {"widget": 100.0},
                "quick_pulse_open": 100,
            },
        )
        frozen = await owner_of(workers, token)

        answers: list[tuple[float, int, int | None]] = []  # (received at, status, total) after the resume
        resumed_at = float("inf")
        async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:

            async def ask(worker: WorkerProcess) -> None:
                try:
                    response = await http.get(f"{worker.base_url}{OVERVIEW}")
                except httpx.TransportError:
                    return
                received = time.monotonic()
                if received > resumed_at:
                    total = response.json()["total_conversations"] if response.status_code == 200 else None
                    answers.append((received, response.status_code, total))

            asks: list[asyncio.Task[None]] = []

            async def keep_asking(until: float) -> None:
                while time.monotonic() < until:
                    asks.extend(asyncio.create_task(ask(worker)) for worker in workers)
                    await asyncio.sleep(0.2)

            assert frozen.process is not None
            os.kill(frozen.process.pid, signal.SIGSTOP)
            at_freeze = produced  # the frozen worker has folded at most these
            asking = asyncio.create_task(keep_asking(time.monotonic() + FREEZE_S + 15))
            freeze_ends = time.monotonic() + FREEZE_S
            while time.monotonic() < freeze_ends:  # events keep arriving; the other worker takes them over
                await deployment.produce([created(produced)])
                produced += 1
                await asyncio.sleep(0.05)
            resumed_at = time.monotonic()
            os.kill(frozen.process.pid, signal.SIGCONT)
            await asking
            await asyncio.gather(*asks)

        stale = [answer for answer in answers if answer[1] == 200 and answer[2] is not None and answer[2] <= at_freeze]
        assert not stale, f"answered with the figures it froze with ({at_freeze} produced then): {stale[:5]}"
        assert produced > at_freeze + 50  # the partition did move on while it was frozen
        final = {
            **reference_overview([], "acme", now_us()),
            "total_conversations": produced,
            "channel_mix": {"widget": 100.0},
            "quick_pulse_open": produced,
        }
        for worker in workers:
            await wait_for_figures(worker, {"acme": token}, lambda account, t: final)
    finally:
        for worker in workers:
            if worker.process is not None and worker.process.poll() is None:
                os.kill(worker.process.pid, signal.SIGCONT)
        deployment.stop_all()
