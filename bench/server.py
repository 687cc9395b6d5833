"""The benchmarks' server — the real API over a worker's `LiveState` plus a constant route — and wrk against it.

The API is `api.app.create_app` (bearer auth, latency middleware, orjson) served by uvicorn in
this process, as the worker serves it; no Kafka. This app instance alone gets one more route,
`/bench/constant`, a fixed JSON body: the same server's ceiling, measured in the same run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry
from starlette.requests import Request
from starlette.responses import Response

from analytics.facts import DEFAULT_RETENTION_US
from analytics.figures import Overview, Report
from analytics.report import ReportQuery
from api.app import OVERVIEW_PATH, create_app
from api.keys import ApiKey, issue_key
from api.report import ReportSettings
from api.report_pool import ReportLimits
from api.responses import ORJSONResponse
from bench.feeder import Feeder, folding
from pingback.local_kafka import free_port
from streams.live_state import LiveState
from streams.topology import wall_clock_us
from tests.support.wrk import run_wrk

ACCOUNT = "bench-account"
CONSTANT_PATH = "/bench/constant"
ROUTES = {"constant": CONSTANT_PATH, "overview": OVERVIEW_PATH}
MODES = ("idle", "folding")


class LocalOverviews:
    """`api.ports.OverviewSource` as the worker's router answers for an account it owns."""

    def __init__(self, state: LiveState) -> None:
        self._state = state

    async def overview(self, account_id: str) -> Overview:
        return self._state.overview(account_id, wall_clock_us())


class Keys:
    """`api.ports.KeyLookup` over a few keys."""

    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self._keys = {key.key_id: key for key in keys}

    def get(self, key_id: str) -> ApiKey | None:
        return self._keys.get(key_id)


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


@asynccontextmanager
async def tenants_server(
    state: LiveState, accounts: Sequence[str], limits: ReportLimits | None = None
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The real API over `state` for `accounts` (one key each; the report limits given, else the
    defaults) plus `/bench/constant`: (base URL, token per account)."""
    issued = {account: issue_key(account, datetime.now(UTC)) for account in accounts}
    settings = ReportSettings(
        retention_us=DEFAULT_RETENTION_US, clock_us=wall_clock_us, limits=limits or ReportLimits()
    )
    api = create_app(
        overviews=LocalOverviews(state),
        keys=Keys([key for key, _ in issued.values()]),
        readiness=AlwaysReady(),
        registry=CollectorRegistry(),
        reports=(LocalReports(state), settings),
    )

    async def constant(request: Request) -> Response:
        return ORJSONResponse({"status": "ok", "constant": True})

    api.add_route(CONSTANT_PATH, constant, methods=["GET"])
    port = free_port()
    # As streams.worker serves it (faust.contrib.asgi.serve_asgi's uvicorn options).
    server = uvicorn.Server(
        uvicorn.Config(api, host="127.0.0.1", port=port, loop="none", lifespan="on", log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", {account: token for account, (_, token) in issued.items()}
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def bench_server(state: LiveState, limits: ReportLimits | None = None) -> AsyncIterator[tuple[str, str]]:
    """`tenants_server` for `ACCOUNT` alone: (base URL, its token)."""
    async with tenants_server(state, [ACCOUNT], limits) as (base_url, tokens):
        yield base_url, tokens[ACCOUNT]


async def wrk_rounds(
    base_url: str,
    token: str,
    seconds: float,
    connections: int,
    rounds: int,
    routes: Mapping[str, str] = ROUTES,
    feeder: Feeder | None = None,
    feed_rate: float = 0,
) -> list[dict[str, Any]]:
    """Every wrk run: rounds of the routes taking turns (so all share the machine's moods), idle and,
    given a feeder, folding; each with wrk's CPU time and this process's (server and feeder)."""
    modes = MODES if feeder is not None else MODES[:1]
    for path in routes.values():
        await run_wrk(base_url + path, token=token, seconds=1, connections=connections)  # warm-up
    runs = []
    for round_ in range(rounds):
        for mode in modes:
            for name, path in routes.items():
                rate = feed_rate if mode == "folding" else 0
                async with folding(feeder, rate) as fed:
                    cpu = time.process_time()
                    run = await run_wrk(base_url + path, token=token, seconds=seconds, connections=connections)
                    run["server_cpu_s"] = round(time.process_time() - cpu, 3)
                runs.append({"round": round_, "mode": mode, "route": name, **run, "feeder": fed})
    return runs


async def measure(
    base_url: str, token: str, seconds: float, connections: int, rounds: int, routes: Mapping[str, str] = ROUTES
) -> dict[str, dict[str, Any]]:
    """Per route, the wrk run with the most requests/s, beside every run (`rounds`)."""
    runs = await wrk_rounds(base_url, token, seconds, connections, rounds, routes)
    by_route = {name: [run for run in runs if run["route"] == name] for name in routes}
    return {
        name: max(results, key=lambda result: result["requests_per_s"])
        | {"rounds_requests_per_s": [round(r["requests_per_s"]) for r in results], "rounds": results}
        for name, results in by_route.items()
    }
