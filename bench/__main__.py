"""Every benchmark against one throwaway Kafka broker, then the summary table for the README.

    .venv/bin/python -m bench               # ~15 min; `make bench` also runs bench/decode_bench.py
    .venv/bin/python -m bench --report      # only print the table from bench/results/*.json

Each benchmark runs as its own process (a clean interpreter, as a worker would have) and writes
bench/results/<name>.json; the table is built from those files, so it can be re-printed any time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.common import RESULTS, kafka_broker, markdown_table
from bench.http_ingest import summary as http_ingest_summary

BENCHMARKS = ["ingest", "endpoint", "report", "wallboard", "recovery", "memory", "http_ingest", "fold", "takeover"]
REPORT_NAMES = {"day_90": "90 days by day", "hour_30": "30 days by hour", "agent_30": "30 days by agent"}


def load(name: str) -> dict[str, Any]:
    return json.loads((RESULTS / f"{name}.json").read_text())


def summary() -> str:
    ingest, endpoint, report, wall, recovery, memory, http, fold, takeover = (load(name) for name in BENCHMARKS)
    worker, bare, floor = (ingest["results"][name] for name in ("worker", "baseline", "faust_floor"))
    sizes = list(endpoint["summary"])
    small, large = endpoint["summary"][sizes[0]], endpoint["summary"][sizes[-1]]
    fan_out, replay, ready = wall["phases"]["fan_out"], recovery["replay"], recovery["restart_to_ready"]
    rows = [
        [
            "ingest, one worker",
            f"{worker['events_per_s']:,} events/s ({worker['cpu_us_per_event']} µs CPU/event)",
            f"bare consumer {bare['events_per_s']:,}/s; Faust no-op agent {floor['events_per_s']:,}/s",
            f"{worker['ratio_to_baseline']:.3f} of bare, {worker['events_per_s'] / floor['events_per_s']:.2f} of Faust floor",
            "≥ 30,000/s and ≥ 0.20",
        ],
        fold_row(fold),
        *[
            [
                f"overview, {int(size):,} conversations",
                (
                    f"{s['overview_rps']:,} req/s, p50 {s['overview_p50_us'] / 1000:.1f} ms, "
                    f"p99 {s['overview_p99_us'] / 1000:.1f} ms"
                ),
                f"constant route {s['constant_rps']:,} req/s",
                f"{s['ratio_to_constant']:.2f}",
                "≥ 0.80, p99 ≤ 5 ms",
            ]
            for size, s in ((sizes[0], small), (sizes[-1], large))
        ],
        [
            "overview, 1k → 1M conversations",
            f"{endpoint['change_first_to_last_size']:+.1%} req/s",
            "",
            "",
            "within ±20 %",
        ],
        *report_rows(report),
        [
            f"wallboard, {fan_out['streams']:,} streams",
            f"p50 {fan_out['p50_ms']} ms, p99 {fan_out['p99_ms']} ms",
            f"{wall['phases']['baseline']['streams']} streams: p99 {wall['phases']['baseline']['p99_ms']} ms",
            f"{wall['p99_ratio_fan_out_to_baseline']:.2f}",
            "p99 ≤ 1 s",
        ],
        [
            "replay from the start",
            f"{replay['events_per_s']:,} events/s",
            f"bare consumer {replay['baseline_events_per_s']:,}/s",
            f"{replay['ratio_to_baseline']:.3f}",
            "≥ 30,000/s",
        ],
        [
            "restart to ready, RocksDB intact",
            f"{ready['local_state_intact']['seconds']} s",
            f"empty deployment {ready['empty_deployment_baseline']['seconds']} s",
            f"{ready['ratio_intact_to_baseline']:.2f}",
            "",
        ],
        [
            "restart to ready, local state lost",
            (
                f"{ready['local_state_lost']['seconds']} s "
                f"({ready['local_state_lost']['changelog_records_read']:,.0f} changelog records)"
            ),
            f"empty deployment {ready['empty_deployment_baseline']['seconds']} s",
            f"{ready['ratio_lost_to_baseline']:.2f}",
            "",
        ],
        *takeover_rows(takeover),
        [
            "memory, per conversation",
            (
                f"views {memory['views']['bytes_per_conversation']:,} B; worker RSS "
                f"{memory['worker']['rss_bytes_per_conversation']:,} B; RocksDB {memory['worker']['state_disk_bytes_per_conversation']:,} B"
            ),
            "difference of two sizes",
            "",
            "",
        ],
        ["memory, per account", f"views {memory['views']['bytes_per_account']:,} B", "difference of two sizes", "", ""],
        [
            "memory, report rows",
            f"{report['memory']['rows_bytes_per_conversation_marginal']:,} B per conversation",
            "difference of two sizes",
            "",
            "≤ 2 kB with the worker's",
        ],
        [
            "memory, agent status history",
            f"{report['memory']['status_history_bytes_per_event']:,} B per status event "
            f"({report['memory']['status_history_stored_bytes_per_event']} B stored)",
            "difference of two sizes",
            "",
            "",
        ],
    ]
    machine = ingest["machine"]
    head = f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, Python {machine['python']}; {ingest['date']}"
    table = markdown_table(["benchmark", "result", "baseline (same run)", "ratio", "target"], rows)
    return head + "\n\n" + table + "\n\n" + http_ingest_summary(http)


def takeover_rows(takeover: dict[str, Any]) -> list[list[str]]:
    """kill -9 → every account served again by the survivor, per standby and session setting."""
    baseline = next(run for run in takeover["runs"] if run["standby_replicas"] == 0)
    return [
        [
            f"takeover after kill -9, {run['standby_replicas']} standby, session {run['session_timeout_s']} s",
            (
                f"{run['seconds_to_all_served']} s (recovery {run['survivor_recovery_seconds']} s, "
                f"{run['changelog_records_read']:,} changelog records)"
            ),
            f"no standby: {baseline['seconds_to_all_served']} s",
            f"{run['seconds_to_all_served'] / baseline['seconds_to_all_served']:.2f}",
            "≤ 10 s",
        ]
        for run in takeover["runs"]
    ]


def fold_row(fold: dict[str, Any]) -> list[str]:
    """Our own cost per record (bench.fold), beside another tree's when it was run with --compare-tree."""
    ours, other = fold["results"]["this_tree"], fold["results"].get("compare_tree")
    baseline = f"decode alone {ours['decode_only_cpu_us_per_record']} µs"
    if other is not None:
        baseline = f"compare tree {other['cpu_us_per_record']} µs; " + baseline
    return [
        f"fold in process, {fold['counts']['records']:,} records",
        f"{ours['cpu_us_per_record']} µs CPU/record",
        baseline,
        f"{fold['results']['ratio_this_to_compare']:.2f} of the compare tree" if other is not None else "",
        "≤ 0.5 of the tree before #14 item 3",
    ]


def report_rows(report: dict[str, Any]) -> list[list[str]]:
    """Per size: the overview beside the constant route, then each report (under that load, and alone)."""
    rows = []
    for size, s in report["summary"].items():
        target_us = report["targets"]["report_p99_us"].get(size)
        target = "" if target_us is None else f"p99 ≤ {target_us // 1000} ms"
        rows.append(
            [
                f"overview beside reports, {int(size):,} conversations",
                f"{s['overview_rps']:,} req/s, p99 {s['overview_p99_us'] / 1000:.1f} ms",
                f"constant route {s['constant_rps']:,} req/s",
                f"{s['overview_ratio_to_constant']:.2f}",
                "≥ 0.80, p99 ≤ 5 ms",
            ]
        )
        beside = s["overview_beside_day_90"]
        rows.append(
            [
                f"overview while one user asks for 90-day reports, {int(size):,} conversations",
                f"{beside['rps']:,} req/s, p99 {beside['p99_us'] / 1000:.1f} ms",
                f"overview alone p99 {s['overview_p99_us'] / 1000:.1f} ms",
                f"{beside['p99_us'] / s['overview_p99_us']:.1f}× p99",
                "p99 ≤ 5 ms",
            ]
        )
        for name, title in REPORT_NAMES.items():
            r = s[name]
            rows.append(
                [
                    f"report {title}, {int(size):,} conversations",
                    f"{r['rps']:,} req/s, p99 {r['p99_us'] / 1000:.1f} ms; alone p50 {r['alone_p50_us'] / 1000:.1f} ms, p99 {r['alone_p99_us'] / 1000:.1f} ms",
                    f"overview p99 {s['overview_p99_us'] / 1000:.1f} ms",
                    f"{r['rps'] / s['constant_rps']:.4f} of constant",
                    target,
                ]
            )
    return rows


def main() -> None:
    if "--report" not in sys.argv:
        with kafka_broker() as kafka:
            for name in BENCHMARKS:
                print(f"== bench.{name}", flush=True)
                subprocess.run(
                    [sys.executable, "-m", f"bench.{name}"],
                    env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka},
                    check=True,
                )
    print(summary())


if __name__ == "__main__":
    main()
