"""Reports: SPEC §4 reports under wrk, beside the overview and a constant route of the same server.

    .venv/bin/python -m bench.report        # ~10 min; writes bench/results/report.json

The server is bench/endpoint.py's (the real API over a worker's `LiveState`, served by uvicorn in
this process; no Kafka). The account's views are rebuilt from the same synthetic facts for 10,000
and then 1,000,000 conversations created over the 89 days before now (all retained), with 200
agents, each with `--status-changes-per-day` status changes over those days. Per size, under
wrk, taking turns: the constant route, the overview, and three reports —
* `day_90`: `group_by=day` over 90 UTC days (since 89 days ago, until tomorrow);
* `hour_30`: `group_by=hour` over the last 30 days (since a whole hour, until now);
* `agent_30`: `breakdown=agent` over the last 30 days.
With the overview's load (`--connections`) a report's latency includes waiting behind the others,
so the reports are measured alone too (one connection): what one user asking for one report sees.
Last, the overview's load again with one user asking for `day_90` reports all the while: a report
runs on the event loop that serves every request (and, in a worker, ingests), so its time is
the overview's worst case.

Memory (tracemalloc, this process): the report index (`analytics.report_index.ReportIndex`, its
columns merged) per conversation, and an agent's status history (`AgentFacts` as the views hold
it) per status event.

    .venv/bin/python -m bench.report --in-process   # a few minutes; adds "in_process" to report.json

`--in-process` times `AccountView.report` itself, no HTTP: per size, the view built as above, each
report (and `day_90` in Europe/Berlin) asked once (`first_us`: it merges what the rebuild left in
the columns' deltas), then `--rounds` (at least 20) times in turn; p50/p99 of those rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from analytics.contribution import contribution
from analytics.facts import AgentFacts, decode_agent_facts, decode_conversation_facts, encode_facts
from analytics.periods import format_instant, local
from analytics.report_index import ReportIndex
from analytics.time import DAY_US, HOUR_US
from analytics.window import Views
from api.app import OVERVIEW_PATH
from api.report import REPORT_PATH
from api.report_params import parse_report_request
from bench.common import RESULTS, markdown_table, ratio, write_result
from bench.endpoint import (
    ACCOUNT,
    CONSTANT_PATH,
    PARTITIONS,
    agent_status_history,
    bench_server,
    measure,
    populate,
    synthetic_facts,
)
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us
from tests.support.wrk import run_wrk

SPAN_US = 89 * DAY_US  # every conversation inside the default 90-day retention
AGENTS = 200
REPORTS = ("day_90", "hour_30", "agent_30")
MIXED = "day_90"  # the report run beside the overview's load
TARGETS = {
    "report_p99_us": {"10000": 5_000, "1000000": 50_000},
    "overview_p99_us": 5_000,
    "overview_ratio_to_constant": 0.80,
    "bytes_per_conversation": 2_000,
}
UTC = ZoneInfo("UTC")
RESULT = RESULTS / "report.json"


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
    async with bench_server(state) as (base_url, token):
        for size in sizes:
            build_s = populate(
                state, size, agents=AGENTS, span_us=SPAN_US, status_changes=status_changes, status_span_us=SPAN_US
            )
            print(f"{size:,} conversations: views built in {build_s:.1f} s", flush=True)
            reports = report_paths(wall_clock_us())
            routes = {"constant": CONSTANT_PATH, "overview": OVERVIEW_PATH, **reports}
            loaded = await measure(base_url, token, seconds, connections, rounds, routes)
            alone = await measure(base_url, token, seconds, 1, rounds, reports)
            # One user's report at a time, while dashboards keep asking for the overview.
            overview, report = await asyncio.gather(
                run_wrk(base_url + OVERVIEW_PATH, token=token, seconds=seconds, connections=connections),
                run_wrk(base_url + reports[MIXED], token=token, seconds=seconds, connections=1),
            )
            runs[str(size)] = {
                "views_build_s": round(build_s, 2),
                "paths": reports,
                "loaded": loaded,
                "alone": alone,
                "overview_beside_report": {"overview": overview, MIXED: report},
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
    """Report rows per conversation (at each size, and the difference); status history per event."""
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
        beside = run["overview_beside_report"]["overview"]
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


def in_process(sizes: list[int], rounds: int, status_changes: int) -> dict[str, Any]:
    """p50/p99 of `AccountView.report` per report and size, `rounds` rounds each (no HTTP)."""
    results: dict[str, Any] = {}
    for size in sizes:
        state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS))
        build_s = populate(
            state, size, agents=AGENTS, span_us=SPAN_US, status_changes=status_changes, status_span_us=SPAN_US
        )
        now_us = wall_clock_us()
        paths = report_paths(now_us)
        paths["day_90_berlin"] = paths["day_90"] + "&timezone=Europe%2FBerlin"
        queries = {
            name: parse_report_request(parse_qsl(path.split("?", 1)[1]), now_us=now_us, retention_us=91 * DAY_US).query
            for name, path in paths.items()
        }
        timings: dict[str, list[int]] = {name: [] for name in queries}
        first: dict[str, int] = {}
        for name, query in queries.items():  # the first reports after the rebuild merge the columns' deltas
            started = time.perf_counter_ns()
            state.report(ACCOUNT, query)
            first[name] = (time.perf_counter_ns() - started) // 1000
        for _ in range(rounds):
            for name, query in queries.items():
                started = time.perf_counter_ns()
                state.report(ACCOUNT, query)
                timings[name].append((time.perf_counter_ns() - started) // 1000)
        results[str(size)] = {
            "views_build_s": round(build_s, 2),
            "reports": {
                name: {
                    "first_us": first[name],
                    "p50_us": percentile(us, 50),
                    "p99_us": percentile(us, 99),
                    "rounds_us": us,
                }
                for name, us in timings.items()
            },
        }
        print(
            f"{size:,}: "
            + ", ".join(
                f"{n} p50 {r['p50_us']} p99 {r['p99_us']} µs" for n, r in results[str(size)]["reports"].items()
            ),
            flush=True,
        )
    return results


def percentile(values: list[int], p: int) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, -(-p * len(ordered) // 100) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--status-changes-per-day", type=int, default=6)
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    parser.add_argument("--in-process", action="store_true", help="time view.report itself (see the module doc)")
    args = parser.parse_args()
    status_changes = args.status_changes_per_day * SPAN_US // DAY_US
    if args.in_process:
        rounds = max(args.rounds, 20)
        figures = {"rounds": rounds, "sizes": in_process(args.sizes, rounds, status_changes)}
        figures["memory"] = memory(args.memory_sizes, (status_changes // 10, status_changes))
        previous = json.loads(RESULT.read_text()) if RESULT.exists() else {}
        kept = {k: v for k, v in previous.items() if k not in ("benchmark", "date", "machine", "versions")}
        print(f"written to {write_result('report', {**kept, 'in_process': figures})}")
        return
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
        "targets": TARGETS,
    }
    path = write_result("report", result)
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
