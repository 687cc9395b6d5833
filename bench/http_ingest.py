"""HTTP ingest (`POST /api/v1/events`) through one worker, beside `pingback import` in the same run.

    .venv/bin/python -m bench.http_ingest

A Python load generator (httpx, a few concurrent clients, a bounded number of requests) posts
batches of 100 and of 1,000 valid events; every request returns only once Kafka has acknowledged
its events (acks=all). The baseline is `pingback import` of the same number of events, whose
producer batches freely; the p99 of a lone 100-event request is measured without concurrency.
A request answered 503 (Kafka did not acknowledge in time: "send them again") is sent again, as a
producer would, and counted; its latency runs from the first send to the answer that took it.
The load generator runs in this process: its CPU time is recorded beside each run, so a reader
can see whether it, rather than the worker, was the bound.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from api.ingest import EVENTS_PATH
from bench.common import BenchRun, figure, kafka_broker, markdown_table, ratio
from tests.support.builders import created_now
from tests.support.cluster import PINGBACK, Deployment

CLIENTS = 4
LONE_REQUESTS = 200


def events(start: int, count: int) -> list[dict[str, Any]]:
    return [created_now(n, ago_s=3600) for n in range(start, start + count)]


RESENDS = 5


async def post(http: httpx.AsyncClient, url: str, body: bytes) -> int:
    """Send until the worker takes the events; the number of re-sends it asked for."""
    for resends in range(RESENDS + 1):
        response = await http.post(url, content=body)
        if response.status_code != 503:
            assert response.status_code == 200 and not response.json()["rejected"], response.text[:300]
            return resends
    raise AssertionError(f"still 503 after {RESENDS} re-sends: {response.text[:300]}")


def percentile_ms(latencies_s: list[float], share: float) -> float:
    ordered = sorted(latencies_s)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)


async def post_batches(url: str, token: str, batch: int, requests: int, start: int) -> dict[str, Any]:
    """`requests` posts of `batch` events from CLIENTS concurrent clients; events/s and latencies."""
    bodies = [json.dumps(events(start + n * batch, batch)).encode() for n in range(requests)]
    latencies: list[float] = []
    resent = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:

        async def client(mine: list[bytes]) -> None:
            nonlocal resent
            for body in mine:
                sent = time.perf_counter()
                resent += await post(http, url, body)
                latencies.append(time.perf_counter() - sent)

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client(bodies[k::CLIENTS]) for k in range(CLIENTS)))
        elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    return {
        "batch": batch,
        "requests": requests,
        "resent": resent,
        "events_per_s": round(batch * requests / elapsed),
        "generator_cores": round(cpu_s / elapsed, 2),  # the clients' CPU per second of load
        "p50_ms": percentile_ms(latencies, 0.50),
        "p99_ms": percentile_ms(latencies, 0.99),
    }


async def lone_requests(url: str, token: str, start: int) -> dict[str, Any]:
    """One 100-event request at a time: the latency a single producer sees."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies, resent = [], 0
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:
        for n in range(LONE_REQUESTS):
            body = json.dumps(events(start + 100 * n, 100)).encode()
            sent = time.perf_counter()
            resent += await post(http, url, body)
            latencies.append(time.perf_counter() - sent)
    return {
        "requests": LONE_REQUESTS,
        "resent": resent,
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": percentile_ms(latencies, 0.99),
    }


def import_rate(deployment: Deployment, count: int, start: int, tmp: Path) -> dict[str, Any]:
    path = tmp / "history.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events(start, count)))
    started = time.perf_counter()
    subprocess.run([*PINGBACK, "import", str(path)], env=deployment.env(), check=True, capture_output=True)
    return {"events": count, "events_per_s": round(count / (time.perf_counter() - started))}


async def bench(kafka: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pingback-bench-http-") as tmp:
        deployment = Deployment(kafka, f"bench-http-{int(time.time())}", Path(tmp))
        token = deployment.pingback("keys", "create", "--account", "acme", "--scope", "ingest").stdout.strip()
        worker = deployment.start_worker()
        try:
            worker.wait_ready()
            url = f"{worker.base_url}{EVENTS_PATH}"
            lone = await lone_requests(url, token, 0)
            by_100 = await post_batches(url, token, 100, 400, 10**6)
            by_1000 = await post_batches(url, token, 1000, 40, 2 * 10**6)
            baseline = import_rate(deployment, 40_000, 3 * 10**6, Path(tmp))
        finally:
            deployment.stop_all()
    for run in (by_100, by_1000):
        run["ratio_to_import"] = ratio(run["events_per_s"], baseline["events_per_s"])
    return {"clients": CLIENTS, "batches": [by_100, by_1000], "lone_100": lone, "import_baseline": baseline}


def summary(result: dict[str, Any]) -> str:
    rows = [
        [
            f"HTTP ingest, batches of {run['batch']:,}, {result['clients']} clients",
            f"{run['events_per_s']:,} events/s",
            f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms",
            f"{run['ratio_to_import']:.2f} of import",
        ]
        for run in result["batches"]
    ]
    lone = result["lone_100"]
    rows.append(["one 100-event request at a time", "", f"p50 {lone['p50_ms']} ms, p99 {lone['p99_ms']} ms", ""])
    rows.append(["`pingback import` (same run)", f"{result['import_baseline']['events_per_s']:,} events/s", "", ""])
    return markdown_table(["benchmark", "rate", "latency per request", "ratio"], rows)


def headline(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One run of each (the worker's topics keep what earlier runs posted): best and median are that run's."""
    base = ("`pingback import`", [result["import_baseline"]["events_per_s"]])
    figures = [
        figure(
            f"HTTP ingest, batches of {run['batch']:,}, {result['clients']} clients",
            "events/s",
            [run["events_per_s"]],
            baseline=base,
        )
        for run in result["batches"]
    ]
    figures += [
        figure(
            f"load generator (httpx, this process): CPU per second of load, batches of {run['batch']:,}",
            "cores",
            [run["generator_cores"]],
            higher_is_better=False,
            digits=2,
        )
        for run in result["batches"]
    ]
    figures.append(
        figure("a lone 100-event request: p99", "ms", [result["lone_100"]["p99_ms"]], higher_is_better=False, digits=1)
    )
    return figures


def main() -> None:
    bench_run = BenchRun("http_ingest")
    with kafka_broker() as kafka:
        result = asyncio.run(bench(kafka))
    rounds = [*result["batches"], {"lone_100": result["lone_100"]}, {"import_baseline": result["import_baseline"]}]
    print(f"wrote {bench_run.write(result, rounds=rounds, figures=headline(result))}")
    print(summary(result))


if __name__ == "__main__":
    sys.exit(main())
