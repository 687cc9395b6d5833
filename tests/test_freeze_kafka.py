"""A worker frozen (SIGSTOP) while events keep arriving until the group has given its partitions to
the other worker, then resumed (SIGCONT): it must not answer from the figures of the moment it
froze, neither requests queued during the freeze nor new ones (streams.lease), and once the group's
verdict is in it answers again, with the figures of now."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from api.forwarding import FORWARDED_HEADER
from tests.support.builders import created_now
from tests.support.cluster import OVERVIEW, Deployment, WorkerProcess, now_us, wait_for_figures
from tests.support.history import CONVERSATION_TOPIC, Record
from tests.support.reference import reference_overview

SESSION = {"PINGBACK_SESSION_TIMEOUT_S": "6"}
DEADLINE_S = 120.0  # generous: for the group to move the partitions, and for the resumed worker to answer


def created(n: int) -> Record:
    event = created_now(n, ago_s=60)
    return Record(CONVERSATION_TOPIC, b"acme", json.dumps(event).encode(), True)


async def own_total(worker: WorkerProcess, token: str) -> int | None:
    """acme's total as the worker answers it itself (asked as if forwarded); None unless it owns acme."""
    headers = {"Authorization": f"Bearer {token}", FORWARDED_HEADER: "1"}
    response = await asyncio.to_thread(httpx.get, f"{worker.base_url}{OVERVIEW}", headers=headers, timeout=10)
    return response.json()["total_conversations"] if response.status_code == 200 else None


async def owner_of(workers: list[WorkerProcess], token: str) -> WorkerProcess:
    """The worker that answers for acme itself: asked as if forwarded, the others say 503."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for worker in workers:
            if await own_total(worker, token) is not None:
                return worker
        await asyncio.sleep(0.2)
    raise AssertionError("no worker answers for acme")


async def until(condition: Callable[[], Awaitable[bool]], failure: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not await condition():
        assert time.monotonic() < deadline, failure
        await asyncio.sleep(0.2)


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
        survivor = next(worker for worker in workers if worker is not frozen)

        answers: list[tuple[WorkerProcess, int, int | None]] = []  # (who, status, total) after the resume
        resumed = False
        async with (
            httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http,
            deployment.producer() as producer,
        ):

            async def ask(worker: WorkerProcess) -> None:
                try:
                    response = await http.get(f"{worker.base_url}{OVERVIEW}")
                except httpx.TransportError:
                    return
                if resumed:
                    total = response.json()["total_conversations"] if response.status_code == 200 else None
                    answers.append((worker, response.status_code, total))

            asks: list[asyncio.Task[None]] = []
            stop_asking = asyncio.Event()

            async def keep_asking() -> None:
                while not stop_asking.is_set():
                    asks.extend(asyncio.create_task(ask(worker)) for worker in workers)
                    await asyncio.sleep(0.2)

            assert frozen.process is not None
            os.kill(frozen.process.pid, signal.SIGSTOP)
            at_freeze = produced  # the frozen worker has folded at most these
            asking = asyncio.create_task(keep_asking())

            async def moved_on() -> bool:
                """Events keep arriving until the survivor owns acme and has folded one the frozen worker never saw."""
                nonlocal produced
                record = created(produced)
                await producer.send_and_wait(deployment.topic_of(record), key=record.key, value=record.value)
                produced += 1
                total = await own_total(survivor, token)
                return total is not None and total > at_freeze

            async def survivor_has_all() -> bool:
                return await own_total(survivor, token) == produced

            await until(moved_on, "the group never gave acme's partition to the other worker")
            await until(survivor_has_all, "the other worker never folded every event")
            resumed = True  # from here on, every answer counts, also those to requests queued during the freeze
            os.kill(frozen.process.pid, signal.SIGCONT)

            async def frozen_answered() -> bool:
                return any(who is frozen and status == 200 for who, status, _ in answers)

            await until(frozen_answered, "the resumed worker never answered 200 again")
            stop_asking.set()
            await asking
            await asyncio.gather(*asks)

        # Nothing was produced after the resume: every 200 since, the resumed worker's included, is exact.
        wrong = [(who.port, status, total) for who, status, total in answers if status == 200 and total != produced]
        assert not wrong, (
            f"{at_freeze} produced at the freeze, {produced} in all; answered after the resume: {wrong[:5]}"
        )
        statuses = Counter(("resumed" if who is frozen else "other", status) for who, status, _ in answers)
        print(f"\n[freeze] {produced - at_freeze} events while frozen; answers after the resume: {dict(statuses)}")
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
