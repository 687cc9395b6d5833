"""Ingest: events/s through one worker against a bare consumer that only reads and decodes.

    .venv/bin/python -m bench.ingest                  # ~3 min; writes bench/results/ingest.json
    .venv/bin/python -m bench.ingest --profile        # plus py-spy's collapsed stacks of the worker

All contenders read the same pre-produced, messy history (duplicates, reordering, keyless and
invalid records) from the same topics in the same run, one after the other, `--rounds` times
in turn; every round is recorded, and the figures give the best (the least disturbed by whatever
else the machine does) beside the median.
* baseline: aiokafka + `events.decode.decode_event` and nothing else, the floor of any Python consumer;
* faust_floor: the worker's Faust app with an agent that does nothing (bench/faust_floor.py);
* worker: `pingback worker` doing everything (RocksDB tables, changelogs, dead letters,
  re-routing, views), timed from the first event its /metrics counts until every record is
  accounted for; its CPU time in that span is reported too, as µs per record.
`--compare-tree DIR` adds a worker run from another source tree (e.g. `git archive` of an
earlier commit) in the same rounds, for before/after figures of a hot-path change.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from bench.common import RESULTS, BenchRun, figure, kafka_broker, markdown_table, process_cpu_s
from events.decode import decode_event
from events.errors import InvalidEvent
from tests.support.cluster import Deployment, WorkerProcess, metric, now_us
from tests.support.history import generate_history

MAX_AHEAD_US = 300 * 10**6
POLL_S = 0.05

Timing = dict[str, float]  # "seconds" from first to last record, "cpu_s" in that span


async def bare_consumer(deployment: Deployment, records: int) -> Timing:
    consumer = AIOKafkaConsumer(
        deployment.conversation_topic,
        deployment.agent_topic,
        bootstrap_servers=deployment.kafka,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    seen, started, cpu = 0, 0.0, 0.0
    try:
        while seen < records:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            if batches and not started:
                started, cpu = time.perf_counter(), time.process_time()
            clock_us = now_us()
            for batch in batches.values():
                for record in batch:
                    try:
                        decode_event(record.value or b"", key=record.key, now_us=clock_us, max_ahead_us=MAX_AHEAD_US)
                    except InvalidEvent:
                        pass
                seen += len(batch)
        return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
    finally:
        await consumer.stop()


async def faust_floor(deployment: Deployment, records: int, label: str) -> Timing:
    env = deployment.env(PINGBACK_APP_ID=f"{deployment.name}-{label}", PINGBACK_DATA_DIR=str(deployment.tmp / label))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.faust_floor",
        str(records),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=600)
    # Faust's worker sends stdout through its logger, so the line may come out on stderr.
    found = re.search(r"FLOOR (\S+) (\S+)", out.decode() + err.decode())
    if found is None:
        raise RuntimeError(f"bench.faust_floor exited {process.returncode}:\n{err.decode()[-3000:]}")
    seconds, cpu_s = map(float, found.groups())
    return {"seconds": seconds, "cpu_s": cpu_s}


async def time_worker(worker: WorkerProcess, valid: int, invalid: int, timeout_s: float = 600) -> Timing:
    """From the first event /metrics counts until every valid record is folded and every invalid one dead-lettered."""
    assert worker.process is not None
    deadline = time.monotonic() + timeout_s
    started, cpu = 0.0, 0.0
    while time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.log_tail()
        try:
            processed = metric(worker, "pingback_events_processed_total")
            rejected = metric(worker, "pingback_events_rejected_total")
        except httpx.TransportError:  # not listening yet
            await asyncio.sleep(POLL_S)
            continue
        if not started and processed + rejected > 0:
            started, cpu = time.perf_counter(), process_cpu_s(worker.process.pid)
        if processed >= valid and rejected >= invalid:
            return {
                "seconds": time.perf_counter() - started,
                "cpu_s": process_cpu_s(worker.process.pid) - cpu,
                "rerouted": metric(worker, "pingback_events_rerouted_total"),
            }
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"worker did not catch up within {timeout_s} s:\n{worker.log_tail()}")


def start_profiler(worker: WorkerProcess, out: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    assert worker.process is not None
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(worker.process.pid),
            "--rate",
            "200",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run_worker(
    deployment: Deployment,
    label: str,
    valid: int,
    invalid: int,
    *,
    tree: Path | None = None,
    profile: Path | None = None,
) -> Timing:
    env = {"PINGBACK_APP_ID": f"{deployment.name}-{label}"}
    if tree is not None:
        # PYTHONSAFEPATH: `python -m` would otherwise put the working directory (this tree) first.
        env |= {"PYTHONPATH": str(tree), "PYTHONSAFEPATH": "1"}
    worker = deployment.start_worker(env=env)
    profiler = start_profiler(worker, profile) if profile else None
    try:
        return await time_worker(worker, valid, invalid)
    finally:
        if profiler is not None:
            profiler.send_signal(2)  # SIGINT: py-spy writes the stacks and exits
            profiler.wait(timeout=60)
        worker.stop()


async def bench(kafka: str, events: int, rounds: int, compare_tree: Path | None, profile: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pingback-bench-ingest-") as tmp:
        deployment = Deployment(kafka, f"bench-ingest-{uuid.uuid4().hex[:8]}", Path(tmp), partitions=8)
        history = generate_history(now_us=now_us(), accounts=20, events=events, seed=1)
        records = len(history)
        valid = sum(record.valid for record in history)
        await deployment.ensure_topics()
        await deployment.produce(history)
        contenders: dict[str, Callable[[str], Awaitable[Timing]]] = {
            "baseline": lambda label: bare_consumer(deployment, records),
            "faust_floor": lambda label: faust_floor(deployment, records, label),
            "worker": lambda label: run_worker(deployment, label, valid, records - valid),
        }
        if compare_tree is not None:
            contenders["compare_tree"] = lambda label: run_worker(
                deployment, label, valid, records - valid, tree=compare_tree
            )
        runs: dict[str, list[Timing]] = {name: [] for name in contenders}
        for round_ in range(rounds):
            for name, run in contenders.items():
                runs[name].append(await run(f"{name}-{round_}"))
                print(
                    f"round {round_ + 1}/{rounds} {name}: {records / runs[name][-1]['seconds']:,.0f} records/s",
                    flush=True,
                )
        if profile:
            await run_worker(deployment, "profiled", valid, records - valid, profile=RESULTS / "ingest-profile.txt")
    return {
        "records": records,
        "valid": valid,
        "invalid": records - valid,
        "partitions": deployment.partitions,
        "compare_tree": str(compare_tree) if compare_tree else None,
        "baseline": "bare aiokafka consumer + decode_event, in the bench process",
        "rounds": [
            {
                "round": round_,
                "contender": name,
                **timing,
                "events_per_s": round(records / timing["seconds"]),
                "cpu_us_per_event": round(1e6 * timing["cpu_s"] / records, 1),
            }
            for name, timings in runs.items()
            for round_, timing in enumerate(timings)
        ],
    }


TITLES = {
    "worker": "ingest, one worker (RocksDB, changelogs, dead letters, views)",
    "faust_floor": "a Faust agent doing nothing (floor)",
    "compare_tree": "ingest, one worker of the compare tree",
}


def headline(result: dict[str, Any]) -> list[dict[str, Any]]:
    def values(contender: str, field: str) -> list[float]:
        return [r[field] for r in result["rounds"] if r["contender"] == contender]

    bare = ("bare consumer + decode", values("baseline", "events_per_s"))
    figures = []
    for name in ("worker", "faust_floor", "compare_tree"):
        if not values(name, "events_per_s"):
            continue
        title = TITLES[name]
        targets = ["ingest.events_per_s", "ingest.ratio_to_bare_consumer"] if name == "worker" else []
        figures.append(figure(title, "events/s", values(name, "events_per_s"), baseline=bare, targets=targets))
        figures.append(
            figure(
                f"{title}: CPU per event",
                "µs",
                values(name, "cpu_us_per_event"),
                higher_is_better=False,
                digits=1,
                baseline=("bare consumer", values("baseline", "cpu_us_per_event")),
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=150_000, help="distinct valid events to generate")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare-tree", type=Path, help="also run a worker from this source tree")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy stacks of one more worker run: results/ingest-profile.txt"
    )
    args = parser.parse_args()
    run = BenchRun("ingest")
    with kafka_broker() as kafka:
        result = asyncio.run(bench(kafka, args.events, args.rounds, args.compare_tree, args.profile))
    figures = headline(result)
    path = run.write(result, rounds=result.pop("rounds"), figures=figures)
    rows = [[f["name"], f"{f['best']:,}", f"{f['median']:,}", f.get("ratio", "")] for f in figures]
    print(f"{result['records']:,} records ({result['invalid']:,} invalid), {result['partitions']} partitions")
    print(markdown_table(["ingest", "best", f"median of {args.rounds}", "ratio to baseline"], rows))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
