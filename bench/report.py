"""Reports: SPEC §4 reports under wrk, beside the overview and a constant route of the same server.

    .venv/bin/python -m bench.report        # ~10 min; writes bench/results/report.json

The server is bench/server.py's (the real API over a worker's `LiveState`, served by uvicorn in
this process; no Kafka). The account's views are rebuilt from the same synthetic facts for 10,000
and then 1,000,000 conversations created over the 89 days before now (all retained), with 200
agents, each with `--status-changes-per-day` status changes over those days. Per size, under
wrk, taking turns: the constant route, the overview, and three reports —
* `day_90`: `group_by=day` over 90 UTC days (since 89 days ago, until tomorrow);
* `hour_30`: `group_by=hour` over the last 30 days (since a whole hour, until now);
* `agent_30`: `breakdown=agent` over the last 30 days.
With the overview's load (`--connections`) a report's latency includes waiting behind the others,
so the reports are measured alone too (one connection): what one user asking for one report sees,
beside the constant route alone (the floor this host puts under a one-connection p99). A
finished answer is not reused here (`ReportLimits(reuse_us=0)`), so every report request computes
its answer unless an identical one is in flight. Last,
`--rounds` times, the overview's load again with one user asking for `day_90` reports all the
while: reports run off the loop, but share the interpreter (the GIL) with it.

Memory (tracemalloc, this process): the report index (`analytics.report_index.ReportIndex`, its
columns merged) per conversation, and an agent's status history (`AgentFacts` as the views hold
it) per status event.

`python -m bench.report_in_process` times the same reports without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from analytics.contribution import contribution
from analytics.facts import AgentFacts, decode_agent_facts, decode_conversation_facts, encode_facts
from analytics.periods import format_instant, local
from analytics.report_index import ReportIndex
from analytics.time import DAY_US, HOUR_US
from analytics.window import Views
from api.app import OVERVIEW_PATH
from api.report import REPORT_PATH
from api.report_pool import ReportLimits
from bench.common import BenchRun, figure, markdown_table, ratio
from bench.endpoint import PARTITIONS, agent_status_history, populate, synthetic_facts
from bench.server import CONSTANT_PATH, bench_server, measure
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us
from tests.support.wrk import run_wrk

SPAN_US = 89 * DAY_US  # every conversation inside the default 90-day retention
AGENTS = 200
REPORTS = ("day_90", "hour_30", "agent_30")
MIXED = "day_90"  # the report run beside the overview's load
REPORT_TARGETS = {10_000: "report.p99_ms_10k", 1_000_000: "report.p99_ms_1m"}  # in bench.targets
BESIDE_TARGETS = {1_000_000: "report.overview_beside_p99_ms_1m"}  # #21, in bench.targets
UTC = ZoneInfo("UTC")
# A finished answer is not reused (`api.shared_answers`; 1 s by default): each request computes its
# report, unless an identical one is in flight — the reports' cost is what the targets bound.
COMPUTE_EVERY_ANSWER = ReportLimits(reuse_us=0)


def report_paths(now_us: int) -> dict[str, str]:
    """The three reports' paths, with `since` inside the retention for the next hours."""
    today = local(now_us, UTC).date()
    hour_us = (now_us - 30 * DAY_US) // HOUR_US * HOUR_US + HOUR_US
    last_30 = format_instant(hour_us, UTC)
    queries = {
        "day_90": {
            "since": (today - timedelta(days=89)).isoformat(),
            "until": (today + timedelta(days=1)).isoformat(),
            "group_by": "day",
        },
        "hour_30": {"since": last_30, "group_by": "hour"},
        "agent_30": {"since": last_30, "breakdown": "agent"},
    }
    return {name: f"{REPORT_PATH}?{urlencode(query)}" for name, query in queries.items()}


async def bench_http(
    sizes: list[int], seconds: float, connections: int, rounds: int, status_changes: int
) -> dict[str, Any]:
    state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS))
    runs: dict[str, Any] = {}
    async with bench_server(state, COMPUTE_EVERY_ANSWER) as (base_url, token):
        for size in sizes:
            build_s = populate(
                state, size, agents=AGENTS, span_us=SPAN_US, status_changes=status_changes, status_span_us=SPAN_US
            )
            print(f"{size:,} conversations: views built in {build_s:.1f} s", flush=True)
            reports = report_paths(wall_clock_us())
            routes = {"constant": CONSTANT_PATH, "overview": OVERVIEW_PATH, **reports}
            loaded = await measure(base_url, token, seconds, connections, rounds, routes)
            # The constant route alone too: the floor this host puts under a one-connection p99.
            alone = await measure(base_url, token, seconds, 1, rounds, {"constant": CONSTANT_PATH, **reports})
            # One user's report at a time, while dashboards keep asking for the overview.
            beside = []
            for _ in range(rounds):
                overview, report = await asyncio.gather(
                    run_wrk(base_url + OVERVIEW_PATH, token=token, seconds=seconds, connections=connections),
                    run_wrk(base_url + reports[MIXED], token=token, seconds=seconds, connections=1),
                )
                beside.append({"overview": overview, MIXED: report})
            runs[str(size)] = {
                "views_build_s": round(build_s, 2),
                "paths": reports,
                "loaded": loaded,
                "alone": alone,
                "overview_beside_report": beside,
            }
    return runs


def traced_bytes(build: Callable[[], object]) -> int:
    """Bytes tracemalloc attributes to what `build` returns (kept alive while measured)."""
    gc.collect()
    tracemalloc.start()
    kept = build()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return size


def index_of(conversations: int, now_us: int) -> ReportIndex:
    index = ReportIndex()
    index.advance(now_us)
    for _, stored in synthetic_facts(conversations, now_us, agents=AGENTS, span_us=SPAN_US):
        index.change(None, contribution(decode_conversation_facts(stored)))
    for frozen in index.snapshot({"all", "channel", "agent"}, with_now=False).values():
        frozen.arrays()  # merged, as the first report leaves them
    return index


def memory(sizes: list[int], status_events: tuple[int, int]) -> dict[str, Any]:
    """The report index per conversation (at each size, and the difference); status history per event."""
    now_us = wall_clock_us()
    rows = {str(n): traced_bytes(partial(index_of, n, now_us)) for n in sizes}
    small, large = sizes[0], sizes[-1]

    def histories(changes: int) -> list[AgentFacts]:
        # decoded from storage, as the views hold them
        return [
            decode_agent_facts(encode_facts(agent_status_history(n, now_us, changes, SPAN_US))) for n in range(AGENTS)
        ]

    few, many = status_events
    held = [traced_bytes(partial(histories, k)) for k in status_events]
    stored = [len(encode_facts(agent_status_history(0, now_us, k, SPAN_US))) for k in status_events]
    return {
        "rows_bytes": rows,
        "rows_bytes_per_conversation": {str(n): round(rows[str(n)] / n) for n in sizes},
        "rows_bytes_per_conversation_marginal": round((rows[str(large)] - rows[str(small)]) / (large - small)),
        "status_events_per_agent": list(status_events),
        "status_history_bytes": held,
        "status_history_bytes_per_event": round((held[1] - held[0]) / (AGENTS * (many - few))),
        "status_history_stored_bytes_per_event": round((stored[1] - stored[0]) / (many - few)),
    }


def summarise(runs: dict[str, Any]) -> dict[str, Any]:
    summary = {}
    for size, run in runs.items():
        loaded, alone = run["loaded"], run["alone"]
        constant, overview = loaded["constant"], loaded["overview"]
        by_p99 = sorted((r["overview"] for r in run["overview_beside_report"]), key=lambda r: r["p99_us"])
        beside = by_p99[len(by_p99) // 2]  # the median round
        figures: dict[str, Any] = {
            "constant_rps": round(constant["requests_per_s"]),
            "overview_rps": round(overview["requests_per_s"]),
            "overview_p50_us": overview["p50_us"],
            "overview_p99_us": overview["p99_us"],
            "overview_ratio_to_constant": ratio(overview["requests_per_s"], constant["requests_per_s"]),
            f"overview_beside_{MIXED}": {
                "rps": round(beside["requests_per_s"]),
                "p50_us": beside["p50_us"],
                "p99_us": beside["p99_us"],
                "max_us": beside["max_us"],
            },
        }
        for name in REPORTS:
            figures[name] = {
                "rps": round(loaded[name]["requests_per_s"], 1),
                "p50_us": loaded[name]["p50_us"],
                "p99_us": loaded[name]["p99_us"],
                "alone_rps": round(alone[name]["requests_per_s"], 1),
                "alone_p50_us": alone[name]["p50_us"],
                "alone_p99_us": alone[name]["p99_us"],
                "errors": loaded[name]["errors"] + alone[name]["errors"],
            }
        summary[size] = figures
    return summary


def every_round(runs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every wrk run of every size: loaded, alone, and the overview beside a report (with the report's run)."""
    rounds = []
    for size, run in runs.items():
        for part in ("loaded", "alone"):
            for route in run[part].values():
                rounds += [{"conversations": int(size), "part": part} | r for r in route.pop("rounds")]
        for n, beside in enumerate(run["overview_beside_report"]):
            for route, r in beside.items():
                rounds.append(
                    {"conversations": int(size), "part": "overview_beside_report", "round": n, "route": route} | r
                )
    return rounds


def headline(rounds: list[dict[str, Any]], sizes: list[int]) -> list[dict[str, Any]]:
    def values(size: int, part: str, route: str, field: str, scale: float = 1) -> list[float]:
        return [r[field] / scale for r in rounds if (r["conversations"], r["part"], r["route"]) == (size, part, route)]

    figures = []
    for size in sizes:
        figures.append(
            figure(
                f"overview beside the reports, {size:,} conversations",
                "req/s",
                values(size, "loaded", "overview", "requests_per_s"),
                baseline=("constant route", values(size, "loaded", "constant", "requests_per_s")),
                targets=["overview.ratio_to_constant"],
            )
        )
        for name in REPORTS:
            target = REPORT_TARGETS.get(size)
            figures.append(
                figure(
                    f"report {name} alone, {size:,} conversations: p99",
                    "ms",
                    values(size, "alone", name, "p99_us", 1000),
                    higher_is_better=False,
                    digits=1,
                    baseline=("constant route alone", values(size, "alone", "constant", "p99_us", 1000)),
                    targets=[target] if target else [],
                )
            )
        figures.append(
            figure(
                f"overview under load beside one user asking {MIXED} reports, {size:,} conversations: p99",
                "ms",
                values(size, "overview_beside_report", "overview", "p99_us", 1000),
                higher_is_better=False,
                digits=1,
                targets=[BESIDE_TARGETS[size]] if size in BESIDE_TARGETS else [],
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--status-changes-per-day", type=int, default=6)
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    args = parser.parse_args()
    bench_run = BenchRun("report")
    status_changes = args.status_changes_per_day * SPAN_US // DAY_US
    runs = asyncio.run(bench_http(args.sizes, args.seconds, args.connections, args.rounds, status_changes))
    summary = summarise(runs)
    mem = memory(args.memory_sizes, (status_changes // 10, status_changes))
    result = {
        "baseline": f"GET {CONSTANT_PATH} (constant JSON) and the overview on the same server, same run",
        "wrk": {
            "seconds": args.seconds,
            "connections": args.connections,
            "alone_connections": 1,
            "threads": 1,
            "rounds": args.rounds,
            "figures": "per route and size, the wrk run with the most requests/s",
        },
        "data": {"span_days": SPAN_US // DAY_US, "agents": AGENTS, "status_changes_per_agent": status_changes},
        "summary": summary,
        "memory": mem,
        "raw": runs,
    }
    rounds = every_round(runs)
    path = bench_run.write(result, rounds=rounds, figures=headline(rounds, args.sizes))
    rows = []
    for size, figures in summary.items():
        rows.append(
            [
                f"{int(size):,}",
                "overview",
                f"{figures['overview_rps']:,}",
                figures["overview_p50_us"],
                figures["overview_p99_us"],
                f"constant {figures['constant_rps']:,} req/s, ratio {figures['overview_ratio_to_constant']:.2f}",
            ]
        )
        beside = figures[f"overview_beside_{MIXED}"]
        rows.append(
            [
                f"{int(size):,}",
                f"overview beside {MIXED}",
                f"{beside['rps']:,}",
                beside["p50_us"],
                beside["p99_us"],
                f"max {beside['max_us']}",
            ]
        )
        for name in REPORTS:
            f = figures[name]
            rows.append(
                [
                    f"{int(size):,}",
                    name,
                    f"{f['rps']:,}",
                    f["p50_us"],
                    f["p99_us"],
                    f"alone: {f['alone_rps']:,} req/s, p50 {f['alone_p50_us']}, p99 {f['alone_p99_us']}; errors {f['errors']}",
                ]
            )
    print(markdown_table(["conversations", "route", "requests/s", "p50 µs", "p99 µs", "notes"], rows))
    print(
        f"report rows: {mem['rows_bytes_per_conversation']} B/conversation (marginal {mem['rows_bytes_per_conversation_marginal']}); "
        f"status history {mem['status_history_bytes_per_event']} B/event held, {mem['status_history_stored_bytes_per_event']} B stored"
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
