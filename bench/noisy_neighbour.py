"""Noisy neighbour: tenant B's overview alone, and while tenant A's reports are asked for flat out.

    .venv/bin/python -m bench.noisy_neighbour     # ~2 min; writes bench/results/noisy_neighbour.json

One in-process worker as bench/server.py builds it (the real API over a `LiveState`, served by
uvicorn, no Kafka; default report limits), holding two accounts: A with 60,000 conversations
created over the 40 days before now (so 45,000 in the last 30 days) and 25 agents, B with 10,000
over 30 days. Each round measures B's overview under wrk (its own process, `--probe-connections`):
* `alone`;
* `beside_a_same_question`: while another wrk (`--connections`, 4) asks A for
  `since=<40 days ago>&group_by=hour&breakdown=agent` as fast as it is answered — as a room of
  users refreshing one report would; they share answers (`api.shared_answers`);
* `beside_a_distinct_questions`: the same, but each request moves `since` by a millisecond
  (bench/wrk_distinct_reports.lua), so every request is a computation of its own and A runs into
  its cap: refusals (429) come back at once and count in wrk's status errors.
Every round is recorded (`bench.common.BenchRun`); the figures are B's p99 per phase, beside alone
(target `noisy_neighbour.ratio_to_alone`: ≤ 2). Also recorded per phase: the worker's
CPU (this process: the server, plus this script's bookkeeping), the load generators' CPU (all wrk
processes of the phase), and the event loop's lag (how late a 1 ms timer fires: how long something
held the loop, or the GIL).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from analytics.periods import format_instant, zone
from analytics.time import DAY_US, SECOND_US, WINDOW_US
from analytics.window import Views
from api.app import OVERVIEW_PATH
from api.report import REPORT_PATH
from api.report_pool import ReportLimits
from bench.common import BenchRun, figure, markdown_table, ratio
from bench.endpoint import PARTITIONS, agent_facts, synthetic_facts
from bench.server import ACCOUNT, tenants_server
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us
from tests.support.wrk import run_wrk

TENANT_A, TENANT_B = ACCOUNT, "bench-neighbour"  # A is bench.server's ACCOUNT (bench.endpoint's agents are its)
NEIGHBOURED = {
    "beside_a_same_question": "A asking one question (shared answers)",
    "beside_a_distinct_questions": "A asking a new question each time (A's cap)",
}
DISTINCT_SCRIPT = Path(__file__).with_name("wrk_distinct_reports.lua")


def populate(state: LiveState, a_conversations: int, b_conversations: int) -> float:
    started = time.perf_counter()
    now_us = wall_clock_us()
    state.recovered(
        assigned=[(topic, p) for topic in ("conversations", "agents") for p in range(PARTITIONS)],
        conversations=chain(
            synthetic_facts(a_conversations, now_us, account=TENANT_A, span_us=40 * DAY_US),
            synthetic_facts(b_conversations, now_us, account=TENANT_B, seed=4, span_us=WINDOW_US),
        ),
        agents=agent_facts(now_us),
        next_offsets={},
        highwaters={},
        now_us=now_us,
    )
    return time.perf_counter() - started


class LoopLag:
    """How late a 1 ms timer fires on this loop, sampled all the while: the loop's longest holds."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.samples.append(time.perf_counter() - before - 0.001)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LoopLag]:
        self.samples.clear()
        self._task = asyncio.create_task(self._sample())
        try:
            yield self
        finally:
            self._task.cancel()

    def figures(self) -> dict[str, float]:
        cuts = statistics.quantiles(self.samples, n=100, method="inclusive")
        return {"p99_ms": round(1000 * cuts[98], 2), "max_ms": round(1000 * max(self.samples), 2)}


def _cpu_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@asynccontextmanager
async def cpu_of_phase() -> AsyncIterator[dict[str, float]]:
    """Cores used by this process (the worker) and by the wrk processes that ended in the phase."""
    figures: dict[str, float] = {}
    wall, worker, generators = time.perf_counter(), _cpu_s(resource.RUSAGE_SELF), _cpu_s(resource.RUSAGE_CHILDREN)
    yield figures
    seconds = time.perf_counter() - wall
    figures["worker_cores"] = round((_cpu_s(resource.RUSAGE_SELF) - worker) / seconds, 3)
    figures["generator_cores"] = round((_cpu_s(resource.RUSAGE_CHILDREN) - generators) / seconds, 3)


async def measure_round(
    base_url: str, tokens: dict[str, str], a_query: dict[str, str], seconds: float, connections: int, probe: int
) -> dict[str, Any]:
    """B alone; B beside A asking one question flat out (shared answers); beside A asking a new one each time."""
    b_overview = partial(run_wrk, base_url + OVERVIEW_PATH, token=tokens[TENANT_B], seconds=seconds, connections=probe)
    a_reports = partial(run_wrk, token=tokens[TENANT_A], seconds=seconds, connections=connections)
    rest = {name: value for name, value in a_query.items() if name != "since"}
    since_s = datetime.fromisoformat(a_query["since"]).timestamp()
    phases: dict[str, Callable[[], Awaitable[dict[str, Any]]] | None] = {
        "alone": None,
        "beside_a_same_question": lambda: a_reports(f"{base_url}{REPORT_PATH}?{urlencode(a_query)}"),
        "beside_a_distinct_questions": lambda: a_reports(
            base_url + REPORT_PATH,
            script=DISTINCT_SCRIPT,
            environment={"PINGBACK_SINCE_S": str(int(since_s)), "PINGBACK_QUERY": urlencode(rest)},
        ),
    }
    measured: dict[str, Any] = {}
    lag = LoopLag()
    for phase, neighbour in phases.items():
        async with cpu_of_phase() as cpu, lag.running():
            if neighbour is None:
                b_run, a_run = await b_overview(), None
            else:
                b_run, a_run = await asyncio.gather(b_overview(), neighbour())
        measured[phase] = {"b_overview": _latency(b_run), **cpu, "loop_lag": lag.figures()}
        if a_run is not None:
            measured[phase]["a_reports"] = {
                **_latency(a_run),
                # wrk counts every non-2xx as a status error: here, the 429s of A's cap
                "refused_429": a_run["status_errors"],
                "answered_per_s": round((a_run["requests"] - a_run["status_errors"]) / (a_run["duration_us"] / 1e6), 1),
            }
    return measured


def _latency(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "requests_per_s": round(run["requests_per_s"], 1),
        "p50_us": run["p50_us"],
        "p99_us": run["p99_us"],
        "max_us": run["max_us"],
        "errors": run["errors"],
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS))
    build_s = populate(state, args.a_conversations, args.b_conversations)
    print(f"views built in {build_s:.1f} s", flush=True)
    now_us = wall_clock_us()
    # Whole seconds: the distinct questions move `since` by milliseconds from here.
    since_us = (now_us - 40 * DAY_US) // SECOND_US * SECOND_US
    query = {"since": format_instant(since_us, zone("UTC")), "group_by": "hour", "breakdown": "agent"}
    limits = ReportLimits(threads=args.report_threads)
    async with tenants_server(state, [TENANT_A, TENANT_B], limits) as (base_url, tokens):
        await run_wrk(base_url + OVERVIEW_PATH, token=tokens[TENANT_B], seconds=1, connections=1)  # warm-up
        rounds = []
        for n in range(args.rounds):
            measured = await measure_round(
                base_url, tokens, query, args.seconds, args.connections, args.probe_connections
            )
            rounds.append(measured)
            p99 = {phase: figures["b_overview"]["p99_us"] for phase, figures in measured.items()}
            print(f"round {n + 1}: B's overview p99 µs {p99}", flush=True)
    return {"views_build_s": round(build_s, 2), "a_query": query, "rounds": rounds}


def headline(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """B's overview p99 alone, and beside each of A's loads with the ratio to alone (target: ≤ 2)."""
    alone = [measured["alone"]["b_overview"]["p99_us"] / 1000 for measured in rounds]
    figures = [figure("tenant B's overview alone: p99", "ms", alone, higher_is_better=False, digits=2)]
    for phase, label in NEIGHBOURED.items():
        beside = [measured[phase]["b_overview"]["p99_us"] / 1000 for measured in rounds]
        figures.append(
            figure(
                f"tenant B's overview beside {label}: p99",
                "ms",
                beside,
                higher_is_better=False,
                digits=2,
                baseline=("B alone, same rounds", alone),
                targets=["noisy_neighbour.ratio_to_alone"],
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a-conversations", type=int, default=60_000)
    parser.add_argument("--b-conversations", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4, help="wrk connections asking A's reports")
    parser.add_argument("--probe-connections", type=int, default=1, help="wrk connections asking B's overview")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--report-threads", type=int, default=ReportLimits().threads)
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        default=sys.getswitchinterval() * 1000,
        help="the GIL's (sys.setswitchinterval)",
    )
    args = parser.parse_args()
    bench_run = BenchRun("noisy_neighbour")
    sys.setswitchinterval(args.switch_interval_ms / 1000)
    run = asyncio.run(bench(args))
    rounds = run.pop("rounds")

    def median(phase: str, *path: str) -> float:
        values = []
        for measured in rounds:
            value: Any = measured[phase]
            for name in path:
                value = value[name]
            values.append(value)
        return statistics.median(values)

    alone = median("alone", "b_overview", "p99_us")
    summary: dict[str, Any] = {"b_overview_p99_alone_us": alone}
    for phase in NEIGHBOURED:
        beside = median(phase, "b_overview", "p99_us")
        summary[phase] = {
            "b_overview_p99_us": beside,
            "ratio_to_alone": ratio(beside, alone),
            "a_answered_per_s": median(phase, "a_reports", "answered_per_s"),
            "a_refused_429_per_round": [measured[phase]["a_reports"]["refused_429"] for measured in rounds],
            "loop_lag_max_ms": max(measured[phase]["loop_lag"]["max_ms"] for measured in rounds),
            "worker_cores": median(phase, "worker_cores"),
            "generator_cores": median(phase, "generator_cores"),
        }
    result = {
        "baseline": "tenant B's overview p99 alone, same rounds",
        "data": {"a_conversations": args.a_conversations, "a_span_days": 40, "b_conversations": args.b_conversations},
        "wrk": {
            "seconds": args.seconds,
            "a_connections": args.connections,
            "b_connections": args.probe_connections,
            "threads": 1,
        },
        "worker": {"report_threads": args.report_threads, "switch_interval_ms": args.switch_interval_ms},
        "summary": summary,
        **run,
    }
    every_phase = [
        {"round": n, "phase": phase, **figures}
        for n, measured in enumerate(rounds)
        for phase, figures in measured.items()
    ]
    path = bench_run.write(result, rounds=every_phase, figures=headline(rounds))
    rows = []
    for entry in every_phase:
        a_run = entry.get("a_reports", {})
        rows.append(
            [
                entry["round"] + 1,
                entry["phase"],
                entry["b_overview"]["p99_us"],
                a_run.get("answered_per_s", ""),
                a_run.get("refused_429", ""),
                entry["loop_lag"]["p99_ms"],
                entry["loop_lag"]["max_ms"],
                entry["worker_cores"],
                entry["generator_cores"],
            ]
        )
    header = ["round", "phase", "B p99 µs", "A answered/s", "A 429s", "loop lag p99 ms", "max ms", "worker cores"]
    print(markdown_table([*header, "wrk cores"], rows))
    ratios = {phase: summary[phase]["ratio_to_alone"] for phase in NEIGHBOURED}
    print(f"B's overview p99 beside A / alone (medians): {ratios} (target ≤ 2); written to {path}")


if __name__ == "__main__":
    main()
