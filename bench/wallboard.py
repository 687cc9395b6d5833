"""Wallboard: 1,000 boards of one account — overview streams and their report panels — on one worker.

    .venv/bin/python -m bench.wallboard     # ~6 min; writes bench/results/wallboard.json

A worker on real Kafka holds one account with `--conversations` (100,000) created over the last
29 days, 80 % of them resolved by one of 25 agents, who are live. The boards
(bench/wallboard_boards.py) read `GET /api/v1/analytics/overview/stream` and, as the page does,
refresh their report panels when the figures move (`--no-panels`: streams only, the earlier
case). They run in `--generator-processes` processes of their own on aiohttp. Each probe produces
one `conversation.created`, timed just before the send; every board records when an overview with
the new total first reaches it: event → screen. The worker's count of report computations shows
how many the boards' panel requests cost. Each of `--rounds` rounds runs the same probes with
`--baseline-boards` boards first (the pipeline and the poll tick alone), then with `--boards`
(fan-out). Recorded per phase (`bench.common.BenchRun`, every one): the latencies, the worker's
CPU over the probes (cores), the generators' CPU, and the panel requests by status with their
refresh time. Figures: the fan-out's p99 (target `wallboard.p99_ms`) and worker cores
(`wallboard.worker_cores`), beside the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from bench.common import BenchRun, figure, kafka_broker, markdown_table, process_cpu_s
from bench.wallboard_boards import run_boards
from tests.support.board import agent, created, record, resolved
from tests.support.cluster import Deployment, WorkerProcess, metric

TARGET_P99_S = 1.0  # bench.targets' wallboard.p99_ms: how long the last probe is given to arrive, twice
ACCOUNT = "wall-0"
AGENTS = 25
COMPUTATIONS = "pingback_report_computations_total"


def history(conversations: int, now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(7)
    events = [agent(ACCOUNT, f"agt_{n}", now - timedelta(hours=8), "live", f"Agent {n}") for n in range(AGENTS)]
    for n in range(conversations):
        at = now - timedelta(seconds=rng.randrange(3600, 29 * 86_400))
        events.append(created(ACCOUNT, f"cnv_{n}", at, rng.choice(["whatsapp", "widget", "email"])))
        if rng.random() < 0.8:
            events.append(
                resolved(ACCOUNT, f"cnv_{n}", at + timedelta(seconds=rng.randrange(60, 3000)), f"agt_{n % AGENTS}")
            )
    return events


async def preload(deployment: Deployment, worker: WorkerProcess, token: str, conversations: int) -> float:
    started = time.perf_counter()
    await deployment.produce(record(event) for event in history(conversations, datetime.now(UTC)))
    deadline = time.monotonic() + 600
    while worker.overview(token).json().get("total_conversations") != conversations:
        assert time.monotonic() < deadline, "the worker did not fold the history in 10 minutes"
        await asyncio.sleep(0.5)
    return time.perf_counter() - started


def latencies(seen_by_board: list[list[tuple[int, float]]], probes: list[tuple[int, float]]) -> list[float]:
    """Per board and probe: when the board first showed a total at least the probe's, minus its send time."""
    found = []
    for seen in seen_by_board:
        for total, sent_at in probes:
            shown = next((at for shown_total, at in seen if shown_total >= total), None)
            if shown is not None:
                found.append(shown - sent_at)
    return found


def percentiles(values: list[float], scale: float = 1000) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"samples": len(values), "p50_ms": round(scale * cuts[49], 1), "p99_ms": round(scale * cuts[98], 1)}


async def run_phase(
    deployment: Deployment, worker: WorkerProcess, token: str, args: argparse.Namespace, boards: int, total: int
) -> tuple[dict[str, Any], int]:
    context = multiprocessing.get_context("spawn")
    processes = min(args.generator_processes, boards)
    shares = [boards // processes + (n < boards % processes) for n in range(processes)]
    pipes, children = [], []
    for share in shares:
        ours, theirs = context.Pipe()
        child = context.Process(target=run_boards, args=(worker.base_url, token, share, args.panels, theirs))
        child.start()
        pipes.append(ours)
        children.append(child)
    for pipe in pipes:
        assert await asyncio.to_thread(pipe.recv) == "connected"
    for pipe in pipes:
        pipe.send("start")
    assert worker.process is not None
    worker_cpu, wall = process_cpu_s(worker.process.pid), time.monotonic()
    computed = await asyncio.to_thread(metric, worker, COMPUTATIONS, timeout_s=120)
    probes: list[tuple[int, float]] = []
    producer = AIOKafkaProducer(bootstrap_servers=deployment.kafka, acks="all", linger_ms=0)
    await producer.start()
    try:
        for _ in range(args.probes):
            total += 1
            value = orjson.dumps(created(ACCOUNT, uuid.uuid4().hex, datetime.now(UTC), "widget"))
            probes.append((total, time.time()))
            await producer.send_and_wait(deployment.conversation_topic, value, key=ACCOUNT.encode())
            await asyncio.sleep(args.gap)
    finally:
        await producer.stop()
    await asyncio.sleep(2 * TARGET_P99_S)  # the last probe's time to arrive
    worker_cores = (process_cpu_s(worker.process.pid) - worker_cpu) / (time.monotonic() - wall)
    computed = await asyncio.to_thread(metric, worker, COMPUTATIONS, timeout_s=120) - computed
    for pipe in pipes:
        pipe.send("stop")
    results = [await asyncio.to_thread(pipe.recv) for pipe in pipes]
    for child in children:
        child.join(timeout=60)
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            statuses[str(status)] = statuses.get(str(status), 0) + count
    seen = [board for result in results for board in result["seen"]]
    refreshes = [s for result in results for s in result["refresh_s"]]
    phase = {
        "boards": boards,
        "streams": boards,  # one stream per board (the name bench/__main__.py reads)
        **percentiles(latencies(seen, probes)),
        "worker_cores": round(worker_cores, 3),
        "generator_processes": processes,
        "generator_cores": round(sum(r["cpu_s"] for r in results) / max(r["wall_s"] for r in results), 3),
        "generator_cores_per_process": [round(r["cpu_s"] / r["wall_s"], 3) for r in results],
        "panel_requests_by_status": statuses,
        # one per account change and question, however many boards asked (api.shared_answers)
        "report_computations": int(computed),
        "panel_refresh": percentiles(refreshes) if refreshes else None,
    }
    return phase, total


async def bench(kafka: str, args: argparse.Namespace) -> dict[str, Any]:
    """Preload, then per round the baseline's probes and the fan-out's: every phase, in order."""
    with tempfile.TemporaryDirectory(prefix="pingback-bench-wallboard-") as tmp:
        deployment = Deployment(kafka, f"bench-wall-{uuid.uuid4().hex[:8]}", Path(tmp), partitions=2)
        token = deployment.create_key(ACCOUNT)
        worker = deployment.start_worker()
        try:
            worker.wait_ready()
            load_s = await preload(deployment, worker, token, args.conversations)
            print(f"{args.conversations:,} conversations folded in {load_s:.1f} s", flush=True)
            phases, total = [], args.conversations
            for round_ in range(args.rounds):
                for label, boards in (("baseline", args.baseline_boards), ("fan_out", args.boards)):
                    phase, total = await run_phase(deployment, worker, token, args, boards, total)
                    phases.append({"round": round_, "phase": label, **phase})
                    print(f"round {round_ + 1} {label}: {phase}", flush=True)
        finally:
            worker.stop()
    return {"preload_s": round(load_s, 1), "phases": phases}


def headline(phases: list[dict[str, Any]], boards: int, baseline_boards: int) -> list[dict[str, Any]]:
    """The fan-out's event → screen p99 (beside the baseline's) and the worker's cores meanwhile."""

    def values(label: str, field: str) -> list[float]:
        return [phase[field] for phase in phases if phase["phase"] == label]

    measured = (
        ("p99_ms", f"event → screen on {boards:,} boards with their panels, p99", "ms", 1, "wallboard.p99_ms"),
        (
            "worker_cores",
            f"worker's CPU serving {boards:,} boards with their panels",
            "cores",
            3,
            "wallboard.worker_cores",
        ),
    )
    return [
        figure(
            name,
            unit,
            values("fan_out", field),
            higher_is_better=False,
            digits=digits,
            baseline=(f"{baseline_boards} board(s)", values("baseline", field)),
            targets=[target],
        )
        for field, name, unit, digits, target in measured
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, default=1_000)
    parser.add_argument("--baseline-boards", type=int, default=1)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--panels", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--generator-processes", type=int, default=4)
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.7, help="seconds between probes")
    parser.add_argument("--rounds", type=int, default=3, help="baseline and fan-out phases, in turn")
    args = parser.parse_args()
    bench_run = BenchRun("wallboard")
    with kafka_broker() as kafka:
        run = asyncio.run(bench(kafka, args))
    phases = run.pop("phases")
    fan_out = [phase for phase in phases if phase["phase"] == "fan_out"]
    result = {
        "baseline": f"the same probes with {args.baseline_boards} board(s), same rounds",
        "account": {"conversations": args.conversations, "agents": AGENTS},
        "panels": args.panels,
        "probes": args.probes,
        "gap_s": args.gap,
        **run,
        "generator_cores_fan_out": [phase["generator_cores"] for phase in fan_out],
        "report_computations_fan_out": [phase["report_computations"] for phase in fan_out],
    }
    path = bench_run.write(result, rounds=phases, figures=headline(phases, args.boards, args.baseline_boards))
    rows = [
        [p["round"] + 1, p["phase"], p["boards"], p["samples"], p["p50_ms"], p["p99_ms"], p["worker_cores"], *extra]
        for p in phases
        for extra in [(p["generator_cores"], p["report_computations"], p["panel_requests_by_status"])]
    ]
    header = ["round", "phase", "boards", "samples", "p50 ms", "p99 ms", "worker cores", "generator cores"]
    print(markdown_table([*header, "report computations", "panel requests by status"], rows))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
