"""Reports in process: `AccountView.report` itself, no HTTP, at bench.report's sizes and questions.

    .venv/bin/python -m bench.report_in_process   # a few minutes; writes bench/results/report_in_process.json

Per size, the view built as bench.report builds it, each of its reports (and `day_90` in
Europe/Berlin) asked once (`first_us`: it merges what the rebuild left in the columns' deltas),
then `--rounds` (at least 20) times in turn. Every timing is a round; the figures are each
report's fastest and median time, with p50/p99 in the result; the report index's memory beside.
"""

from __future__ import annotations

import argparse
import time
from typing import Any
from urllib.parse import parse_qsl

from analytics.time import DAY_US
from analytics.window import Views
from api.report_params import parse_report_request
from bench.common import BenchRun, figure
from bench.endpoint import PARTITIONS, populate
from bench.report import AGENTS, SPAN_US, memory, report_paths
from bench.server import ACCOUNT
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us


def timed(size: int, rounds: int, status_changes: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One size: (first report and p50/p99 per report, every timing as a round)."""
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

    def once(query: Any) -> int:
        started = time.perf_counter_ns()
        state.prepare_report(ACCOUNT, query)()  # both steps, on this thread
        return (time.perf_counter_ns() - started) // 1000

    first = {name: once(query) for name, query in queries.items()}  # merges the rebuild's deltas
    timings = [
        {"conversations": size, "report": name, "round": n, "us": once(query)}
        for n in range(rounds)
        for name, query in queries.items()
    ]
    reports = {}
    for name in queries:
        us = [t["us"] for t in timings if t["report"] == name]
        reports[name] = {"first_us": first[name], "p50_us": percentile(us, 50), "p99_us": percentile(us, 99)}
    print(f"{size:,}: " + ", ".join(f"{n} p50 {r['p50_us']} p99 {r['p99_us']} µs" for n, r in reports.items()))
    return {"views_build_s": round(build_s, 2), "reports": reports}, timings


def percentile(values: list[int], p: int) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, -(-p * len(ordered) // 100) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--status-changes-per-day", type=int, default=6)
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    args = parser.parse_args()
    bench_run = BenchRun("report_in_process")
    rounds = max(args.rounds, 20)
    status_changes = args.status_changes_per_day * SPAN_US // DAY_US
    sizes, every = {}, []
    for size in args.sizes:
        sizes[str(size)], timings = timed(size, rounds, status_changes)
        every += timings
    figures = [
        figure(f"report {name} in process, {size:,} conversations", "ms", us, higher_is_better=False, digits=2)
        for size in args.sizes
        for name in sizes[str(size)]["reports"]
        for us in [[t["us"] / 1000 for t in every if (t["conversations"], t["report"]) == (size, name)]]
    ]
    mem = memory(args.memory_sizes, (status_changes // 10, status_changes))
    path = bench_run.write({"sizes": sizes, "memory": mem}, rounds=every, figures=figures)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
