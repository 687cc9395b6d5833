"""Takeover after `kill -9`: how long a dead worker's accounts go unserved, with and without standbys.

    .venv/bin/python -m bench.takeover      # ~5 min; writes bench/results/takeover.json

One pre-produced history on 4 partitions; for each configuration a fresh consumer group of two
workers folds it, both serve their half, then one is killed with SIGKILL. Measured from the kill
until the survivor answers 200, with the figures it answered before the kill, for every account
(polled every 50 ms); beside it the survivor's own `pingback_last_recovery_seconds` (rebalance to
serving) and the changelog records it read.
* standby replicas 1 (Faust's default, what the worker runs): each worker also follows the other's
  changelog partitions, so the new owner reads only their tail;
* standby replicas 0, the baseline: the new owner reads the dead worker's changelogs in full;
each with the session timeout at its minimum (6 s) and at the default (30 s): the group notices a
dead member only when its session times out, which bounds any takeover from below.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.common import BenchRun, figure, kafka_broker, markdown_table, ratio
from tests.support.cluster import Deployment, WorkerProcess, metric, now_us
from tests.support.history import decode_valid, generate_history

POLL_S = 0.05
CONFIGURATIONS = [
    {"standby_replicas": 1, "session_timeout_s": 6},
    {"standby_replicas": 0, "session_timeout_s": 6},
    {"standby_replicas": 1, "session_timeout_s": 30},
]


def totals(worker: WorkerProcess, tokens: dict[str, str]) -> dict[str, int | None]:
    """Each account's `total_conversations` from the worker, None where it does not answer 200."""
    answers: dict[str, int | None] = {}
    for account_id, token in tokens.items():
        try:
            response = worker.overview(token)
        except httpx.TransportError:
            response = None
        answers[account_id] = (
            response.json()["total_conversations"] if response and response.status_code == 200 else None
        )
    return answers


async def wait_serving(
    worker: WorkerProcess, tokens: dict[str, str], expected: dict[str, int] | None
) -> dict[str, int]:
    """Until every account is answered 200 (with `expected`'s totals, when given); returns the totals."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        answers = await asyncio.to_thread(totals, worker, tokens)
        if all(total is not None for total in answers.values()) and (expected is None or answers == expected):
            return {account_id: total for account_id, total in answers.items() if total is not None}
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"never served every account: {answers}\n{worker.log_tail()}")


async def settled(worker: WorkerProcess, name: str, quiet_s: float = 2.0) -> float:
    """A counter's value once it has not moved for `quiet_s`."""
    value, since = metric(worker, name), time.monotonic()
    while time.monotonic() - since < quiet_s:
        await asyncio.sleep(POLL_S)
        now = metric(worker, name)
        if now != value:
            value, since = now, time.monotonic()
    return value


async def takeover(
    deployment: Deployment, tokens: dict[str, str], standby_replicas: int, session_timeout_s: int
) -> dict[str, Any]:
    env = {
        "PINGBACK_APP_ID": f"{deployment.name}-app-{uuid.uuid4().hex[:6]}",
        "PINGBACK_SESSION_TIMEOUT_S": str(session_timeout_s),
        "TABLE_STANDBY_REPLICAS": str(standby_replicas),
    }
    victim, survivor = (deployment.start_worker(env=env) for _ in range(2))
    try:
        await asyncio.gather(*(asyncio.to_thread(worker.wait_ready, 600) for worker in (victim, survivor)))
        before = await wait_serving(survivor, tokens, None)
        # Both folded everything (ready means caught up); a standby follows the changelogs beside it.
        changelog_before = await settled(survivor, "pingback_changelog_records_recovered_total")
        killed = time.monotonic()
        victim.kill()
        await wait_serving(survivor, tokens, before)
        seconds = time.monotonic() - killed
        return {
            "standby_replicas": standby_replicas,
            "session_timeout_s": session_timeout_s,
            "seconds_to_all_served": round(seconds, 2),
            "survivor_recovery_seconds": round(metric(survivor, "pingback_last_recovery_seconds"), 2),
            "changelog_records_read": int(
                metric(survivor, "pingback_changelog_records_recovered_total") - changelog_before
            ),
        }
    finally:
        victim.stop()
        survivor.stop()


async def bench(kafka: str, events: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pingback-bench-takeover-") as tmp:
        deployment = Deployment(kafka, f"bench-takeover-{uuid.uuid4().hex[:8]}", Path(tmp), partitions=4)
        history = generate_history(now_us=now_us(), accounts=8, events=events, seed=5)
        accounts = sorted({event.account_id for event in decode_valid(history)})
        await deployment.ensure_topics()
        await deployment.produce(history)
        tokens = {account_id: deployment.create_key(account_id) for account_id in accounts}
        runs = [await takeover(deployment, tokens, **configuration) for configuration in CONFIGURATIONS]
    baseline = runs[1]["seconds_to_all_served"]
    return {
        "records": len(history),
        "accounts": len(accounts),
        "partitions": 4,
        "runs": runs,
        "ratio_standby_to_no_standby": ratio(runs[0]["seconds_to_all_served"], baseline),
        "baseline": "the same takeover with no standby replicas (the new owner reads the whole changelog)",
    }


def headline(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One takeover per configuration; the one without standby is the baseline of the others."""
    no_standby = next(run for run in runs if run["standby_replicas"] == 0)
    return [
        figure(
            f"takeover after kill -9, {run['standby_replicas']} standby, session {run['session_timeout_s']} s",
            "s",
            [run["seconds_to_all_served"]],
            higher_is_better=False,
            digits=2,
            baseline=(
                f"no standby, session {no_standby['session_timeout_s']} s",
                [no_standby["seconds_to_all_served"]],
            ),
            targets=["takeover.seconds"],
        )
        for run in runs
        if run is not no_standby
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="distinct valid events to generate")
    args = parser.parse_args()
    bench_run = BenchRun("takeover")
    with kafka_broker() as kafka:
        result = asyncio.run(bench(kafka, args.events))
    runs = result.pop("runs")
    path = bench_run.write(result, rounds=runs, figures=headline(runs))
    print(
        markdown_table(
            [
                "standby replicas",
                "session timeout",
                "kill -9 → all served",
                "survivor's recovery",
                "changelog records read",
            ],
            [
                [
                    run["standby_replicas"],
                    f"{run['session_timeout_s']} s",
                    f"{run['seconds_to_all_served']} s",
                    f"{run['survivor_recovery_seconds']} s",
                    f"{run['changelog_records_read']:,}",
                ]
                for run in runs
            ],
        )
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
