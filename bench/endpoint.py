"""Endpoint: the overview under wrk against a constant-JSON route of the same server, at two sizes.

    .venv/bin/python -m bench.endpoint      # ~3 min; writes bench/results/endpoint.json

The server is the real API (`api.app.create_app`: bearer auth, latency middleware, orjson) over a
worker's `LiveState`, served by uvicorn as the worker serves it, in this process; no Kafka. This
app instance alone gets one more route, `/bench/constant`, a fixed JSON body: the same server's
ceiling, measured in the same run. The account's views are rebuilt from synthetic facts for
1,000 and then 1,000,000 conversations, all inside the 30-day window.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from analytics.facts import DEFAULT_RETENTION_US, AgentFacts, ConversationFacts, encode_facts
from analytics.figures import Overview, Report
from analytics.report import ReportQuery
from analytics.time import HOUR_US, SECOND_US, WINDOW_US
from analytics.window import Views
from api.app import OVERVIEW_PATH, create_app
from api.keys import ApiKey, issue_key
from api.report import ReportSettings
from api.responses import ORJSONResponse
from bench.common import markdown_table, ratio, write_result
from pingback.local_kafka import free_port
from streams.ingest import fact_key
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us
from tests.support.wrk import run_wrk

ACCOUNT = "bench-account"
PARTITIONS = 8
CONSTANT_PATH = "/bench/constant"
CHANNELS = ["whatsapp", "widget", "telegram", "instagram", "email"]
ROUTES = {"constant": CONSTANT_PATH, "overview": OVERVIEW_PATH}
TARGETS = {"ratio_to_constant": 0.80, "p99_us": 5_000, "change_1k_to_1m": 0.20}


def synthetic_facts(
    conversations: int, now_us: int, account: str = ACCOUNT, seed: int = 3, agents: int = 25, span_us: int = WINDOW_US
) -> Iterator[tuple[bytes, bytes]]:
    """(table key, stored facts) for conversations created over the `span_us` before now, mostly resolved."""
    rng = random.Random(seed)
    agent_ids = [agent_id(n) for n in range(agents)]
    for n in range(conversations):
        created_us = now_us - rng.randrange(HOUR_US, span_us - 2 * HOUR_US)
        reply_us = created_us + rng.randrange(SECOND_US, 900 * SECOND_US)
        resolved_us = reply_us + rng.randrange(60 * SECOND_US, 20 * HOUR_US)
        resolved = resolved_us < now_us and rng.random() < 0.8
        facts = ConversationFacts(
            last_event_us=min(resolved_us, now_us),
            created=(created_us, f"c{n}", rng.choice(CHANNELS)),
            first_reply=(reply_us, f"m{n}", rng.choice(agent_ids)) if reply_us < now_us else None,
            status=(resolved_us, f"s{n}", "resolved", rng.choice(agent_ids)) if resolved else None,
            rating=(resolved_us + 1, f"r{n}", rng.randint(1, 5)) if resolved and rng.random() < 0.4 else None,
            conversation_id=f"cnv_{n}",
        )
        yield fact_key(account, f"cnv_{n}"), encode_facts(facts)


def agent_id(n: int) -> str:
    return f"agt_{n:02d}"


# Newest first: an agent's latest status is live, and before it the day's usual round.
_STATUS_ROUND = ("live", "away", "live", "offline")


def agent_status_history(n: int, now_us: int, changes: int = 1, span_us: int = HOUR_US) -> AgentFacts:
    """Agent n's facts: `changes` status changes evenly spread over the `span_us` before now."""
    # event_ids shaped like UUIDs (36 characters), as producers commonly send them
    history = tuple(
        (
            now_us - span_us * (k + 1) // changes,
            f"{n:08x}-{k:04x}-4000-8000-{k:012x}",
            _STATUS_ROUND[k % len(_STATUS_ROUND)],
        )
        for k in reversed(range(changes))
    )
    return AgentFacts(agent_id(n), history, (history[-1][0], history[-1][1], f"Agent {n}"))


def agent_facts(now_us: int, agents: int = 25, changes: int = 1, span_us: int = HOUR_US) -> list[tuple[bytes, bytes]]:
    return [
        (fact_key(ACCOUNT, agent_id(n)), encode_facts(agent_status_history(n, now_us, changes, span_us)))
        for n in range(agents)
    ]


class LocalOverviews:
    """`api.ports.OverviewSource` as the worker's router answers for an account it owns."""

    def __init__(self, state: LiveState) -> None:
        self._state = state

    async def overview(self, account_id: str) -> Overview:
        return self._state.overview(account_id, wall_clock_us())


class OneKey:
    """`api.ports.KeyLookup` holding a single key."""

    def __init__(self, key: ApiKey) -> None:
        self._key = key

    def get(self, key_id: str) -> ApiKey | None:
        return self._key if key_id == self._key.key_id else None


class AlwaysReady:
    def is_ready(self) -> tuple[bool, str]:
        return True, "benchmark"


class LocalReports:
    """`api.ports.ReportSource` as the worker's router answers for an account it owns."""

    def __init__(self, state: LiveState) -> None:
        self._state = state

    def version(self, account_id: str) -> int:
        return self._state.version(account_id, wall_clock_us())

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        return self._state.prepare_report(account_id, query)


def populate(
    state: LiveState,
    conversations: int,
    *,
    agents: int = 25,
    span_us: int = WINDOW_US,
    status_changes: int = 1,
    status_span_us: int = HOUR_US,
) -> float:
    """Rebuild the views as the worker does after recovery; returns the seconds it took.

    Conversations are created over the `span_us` before now; each of `agents` agents has
    `status_changes` status changes over the `status_span_us` before now.
    """
    started = time.perf_counter()
    now_us = wall_clock_us()
    all_partitions = [(topic, p) for topic in ("conversations", "agents") for p in range(PARTITIONS)]
    state.recovered(
        assigned=all_partitions,
        conversations=synthetic_facts(conversations, now_us, agents=agents, span_us=span_us),
        agents=agent_facts(now_us, agents, status_changes, status_span_us),
        next_offsets={},
        highwaters={},
        now_us=now_us,
    )
    return time.perf_counter() - started


@asynccontextmanager
async def bench_server(state: LiveState) -> AsyncIterator[tuple[str, str]]:
    """The real API over `state` (overview and report routes) plus `/bench/constant`: (base URL, token)."""
    key, token = issue_key(ACCOUNT, datetime.now(UTC))
    reports = (LocalReports(state), ReportSettings(retention_us=DEFAULT_RETENTION_US, clock_us=wall_clock_us))
    api = create_app(
        overviews=LocalOverviews(state),
        keys=OneKey(key),
        readiness=AlwaysReady(),
        registry=CollectorRegistry(),
        reports=reports,
    )

    async def constant(request: Request) -> Response:
        return ORJSONResponse({"status": "ok", "constant": True})

    api.add_route(CONSTANT_PATH, constant, methods=["GET"])
    async with served(api) as base_url:
        yield base_url, token


@asynccontextmanager
async def served(api: Starlette) -> AsyncIterator[str]:
    """`api` served by uvicorn on this loop, on a free loopback port: its base URL."""
    port = free_port()
    # As streams.worker serves it (faust.contrib.asgi.serve_asgi's uvicorn options).
    server = uvicorn.Server(
        uvicorn.Config(api, host="127.0.0.1", port=port, loop="none", lifespan="on", log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def measure(
    base_url: str, token: str, seconds: float, connections: int, rounds: int, routes: Mapping[str, str] = ROUTES
) -> dict[str, dict[str, Any]]:
    """Per route, the best of `rounds` wrk runs, the routes taking turns so all share the machine's moods."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in routes}
    for path in routes.values():
        await run_wrk(base_url + path, token=token, seconds=1, connections=connections)  # warm-up
    for _ in range(rounds):
        for name, path in routes.items():
            runs[name].append(await run_wrk(base_url + path, token=token, seconds=seconds, connections=connections))
    return {
        name: max(results, key=lambda result: result["requests_per_s"])
        | {"rounds_requests_per_s": [round(r["requests_per_s"]) for r in results]}
        for name, results in runs.items()
    }


async def bench(sizes: list[int], seconds: float, connections: int, rounds: int) -> dict[str, Any]:
    state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS))
    runs: dict[str, Any] = {}
    async with bench_server(state) as (base_url, token):
        for size in sizes:
            build_s = populate(state, size)
            print(f"{size:,} conversations: views built in {build_s:.1f} s", flush=True)
            runs[str(size)] = {
                "views_build_s": round(build_s, 2),
                **await measure(base_url, token, seconds, connections, rounds),
            }
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs = asyncio.run(bench(args.sizes, args.seconds, args.connections, args.rounds))
    rows, summary = [], {}
    for size, run in runs.items():
        constant, overview = run["constant"], run["overview"]
        summary[size] = {
            "overview_rps": round(overview["requests_per_s"]),
            "constant_rps": round(constant["requests_per_s"]),
            "ratio_to_constant": ratio(overview["requests_per_s"], constant["requests_per_s"]),
            "overview_p50_us": overview["p50_us"],
            "overview_p99_us": overview["p99_us"],
            "errors": overview["errors"] + constant["errors"],
        }
        for name in ("constant", "overview"):
            rows.append(
                [
                    f"{int(size):,}",
                    name,
                    f"{run[name]['requests_per_s']:,.0f}",
                    run[name]["p50_us"],
                    run[name]["p99_us"],
                    run[name]["errors"],
                ]
            )
    first, last = summary[str(args.sizes[0])], summary[str(args.sizes[-1])]
    result = {
        "baseline": f"GET {CONSTANT_PATH} (constant JSON) on the same server, same run",
        "wrk": {
            "seconds": args.seconds,
            "connections": args.connections,
            "threads": 1,
            "rounds": args.rounds,
            "figures": "per route and size, the wrk run with the most requests/s",
        },
        "summary": summary,
        "raw": runs,
        "targets": TARGETS,
        "change_first_to_last_size": ratio(last["overview_rps"] - first["overview_rps"], first["overview_rps"]),
    }
    path = write_result("endpoint", result)
    print(markdown_table(["conversations", "route", "requests/s", "p50 µs", "p99 µs", "errors"], rows))
    ratios = ", ".join(f"{int(size):,}: {figures['ratio_to_constant']:.2f}" for size, figures in summary.items())
    print(
        f"overview/constant: {ratios}; requests/s change {args.sizes[0]:,} → {args.sizes[-1]:,}: "
        f"{result['change_first_to_last_size']:+.1%}"
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
