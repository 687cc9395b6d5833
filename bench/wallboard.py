"""Wallboard: from an event produced to Kafka to the overview update on open SSE streams.

    .venv/bin/python -m bench.wallboard     # ~2 min; writes bench/results/wallboard.json

A worker on real Kafka; streams on `GET /api/v1/analytics/overview/stream` spread over a few
accounts. Each probe produces one `conversation.created` for one account, timed just before the
send, and every stream of that account records when an overview with the new total reaches it.
The same probes run with one stream per account (the baseline: pipeline and poll tick alone),
then with 1,000 streams open at once (fan-out).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from api.stream import STREAM_PATH
from bench.common import BenchRun, figure, kafka_broker, markdown_table, ratio
from tests.support.cluster import Deployment, WorkerProcess


@dataclass
class Probe:
    total: int  # the account's total_conversations once the probe's event counts
    sent_at: float


@dataclass
class Account:
    account_id: str
    token: str
    probes: list[Probe] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


async def follow(client: httpx.AsyncClient, url: str, account: Account, connected: asyncio.Event) -> None:
    """One wallboard: read the stream, recording each probe's latency when its total first shows."""
    recorded = len(account.probes)  # probes sent before this stream opened are not its to time
    async with client.stream("GET", url, headers={"Authorization": f"Bearer {account.token}"}) as response:
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "overview":
                connected.set()
                total = orjson.loads(line[6:])["total_conversations"]
                now = time.perf_counter()
                while recorded < len(account.probes) and account.probes[recorded].total <= total:
                    account.latencies.append(now - account.probes[recorded].sent_at)
                    recorded += 1


async def run_phase(
    worker: WorkerProcess, deployment: Deployment, accounts: list[Account], streams: int, probes: int, gap_s: float
) -> list[float]:
    url = worker.base_url + STREAM_PATH
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(10, read=None)) as client:
        connected = [asyncio.Event() for _ in range(streams)]
        readers = [
            asyncio.create_task(follow(client, url, accounts[n % len(accounts)], connected[n])) for n in range(streams)
        ]
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in connected)), timeout=120)
        for account in accounts:
            account.latencies.clear()
        producer = AIOKafkaProducer(bootstrap_servers=deployment.kafka, acks="all", linger_ms=0)
        await producer.start()
        try:
            for n in range(probes):
                account = accounts[n % len(accounts)]
                total = (account.probes[-1].total if account.probes else 0) + 1
                value = orjson.dumps(
                    {
                        "event_id": uuid.uuid4().hex,
                        "type": "conversation.created",
                        "account_id": account.account_id,
                        "conversation_id": uuid.uuid4().hex,
                        "channel": "widget",
                        "occurred_at": datetime.now(UTC).isoformat(),
                    }
                )
                account.probes.append(Probe(total, time.perf_counter()))
                await producer.send_and_wait(deployment.conversation_topic, value, key=account.account_id.encode())
                await asyncio.sleep(gap_s)
        finally:
            await producer.stop()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return [latency for account in accounts for latency in account.latencies]


def percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "samples": len(latencies),
        "p50_ms": round(1000 * cuts[49], 1),
        "p99_ms": round(1000 * cuts[98], 1),
        "max_ms": round(1000 * max(latencies), 1),
    }


async def bench(kafka: str, streams: int, account_count: int, probes: int, gap_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pingback-bench-wallboard-") as tmp:
        deployment = Deployment(kafka, f"bench-wall-{uuid.uuid4().hex[:8]}", Path(tmp), partitions=2)
        ids = [f"wall-{n}" for n in range(account_count)]
        accounts = [Account(account_id, deployment.create_key(account_id)) for account_id in ids]
        worker = deployment.start_worker()
        try:
            worker.wait_ready()
            phases = {}
            for label, count in (("baseline", account_count), ("fan_out", streams)):
                latencies = await run_phase(worker, deployment, accounts, count, probes, gap_s)
                phases[label] = {"streams": count, **percentiles(latencies)}
                print(f"{label}: {count} streams, {phases[label]}", flush=True)
        finally:
            worker.stop()
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1_000)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.7, help="seconds between probes")
    args = parser.parse_args()
    bench_run = BenchRun("wallboard")
    with kafka_broker() as kafka:
        phases = asyncio.run(bench(kafka, args.streams, args.accounts, args.probes, args.gap))
    result = {
        "baseline": f"the same probes with one stream per account ({args.accounts} streams)",
        "probes": args.probes,
        "accounts": args.accounts,
        "gap_s": args.gap,
        "phases": phases,
        "p99_ratio_fan_out_to_baseline": ratio(phases["fan_out"]["p99_ms"], phases["baseline"]["p99_ms"]),
    }
    fan_out, baseline = phases["fan_out"], phases["baseline"]
    figures = [
        figure(
            f"event → SSE update, {fan_out['streams']:,} streams: p99",
            "ms",
            [fan_out["p99_ms"]],
            higher_is_better=False,
            digits=1,
            baseline=(f"{baseline['streams']} streams", [baseline["p99_ms"]]),
            targets=["wallboard.p99_ms"],
        )
    ]
    rounds = [{"phase": label, **phase} for label, phase in phases.items()]  # one run of each phase
    path = bench_run.write(result, rounds=rounds, figures=figures)
    rows = [
        [label, phase["streams"], phase["samples"], phase["p50_ms"], phase["p99_ms"], phase["max_ms"]]
        for label, phase in phases.items()
    ]
    print(markdown_table(["wallboard", "streams", "samples", "p50 ms", "p99 ms", "max ms"], rows))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
