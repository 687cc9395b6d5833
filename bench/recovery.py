"""Recovery and replay: rebuilding state from the event topics, and a restart back to ready.

    .venv/bin/python -m bench.recovery      # ~3 min; writes bench/results/recovery.json

On one pre-produced history, in one run:
* replay: a worker with empty state and no committed offsets folds the topics from the start
  (what `pingback rebuild` runs after its reset), in events/s, against the bare consumer
  (bench.ingest's baseline) reading the same topics;
* restart to ready, from process start to /readyz 200: with the local RocksDB intact, with the
  local state gone (the changelogs are read back), and, as the baseline, a worker of an empty
  deployment (start-up and group join alone).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import BenchRun, figure, kafka_broker, markdown_table, ratio
from bench.ingest import bare_consumer, time_worker
from tests.support.cluster import Deployment, metric, now_us
from tests.support.history import generate_history


async def seconds_to_ready(deployment: Deployment, data_dir: Path) -> dict[str, float]:
    started = time.monotonic()
    worker = deployment.start_worker(data_dir=data_dir)
    try:
        await asyncio.to_thread(worker.wait_ready, 600)
        return {
            "seconds": round(time.monotonic() - started, 2),
            "changelog_records_read": metric(worker, "pingback_changelog_records_recovered_total"),
        }
    finally:
        worker.stop()


async def bench(kafka: str, events: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pingback-bench-recovery-") as tmp:
        empty = Deployment(kafka, f"bench-empty-{uuid.uuid4().hex[:8]}", Path(tmp), partitions=8)
        await empty.ensure_topics()
        baseline_ready = await seconds_to_ready(empty, Path(tmp) / "empty-state")

        deployment = Deployment(kafka, f"bench-recovery-{uuid.uuid4().hex[:8]}", Path(tmp), partitions=8)
        history = generate_history(now_us=now_us(), accounts=20, events=events, seed=2)
        valid = sum(record.valid for record in history)
        await deployment.ensure_topics()
        await deployment.produce(history)
        bare = await bare_consumer(deployment, len(history))
        state = Path(tmp) / "state"
        worker = deployment.start_worker(data_dir=state)
        try:
            replay = await time_worker(worker, valid, len(history) - valid)
        finally:
            worker.stop()
        intact = await seconds_to_ready(deployment, state)
        lost = await seconds_to_ready(deployment, Path(tmp) / "lost")
    replay_rate, bare_rate = len(history) / replay["seconds"], len(history) / bare["seconds"]
    return {
        "records": len(history),
        "partitions": 8,
        "replay": {
            "events_per_s": round(replay_rate),
            "baseline_events_per_s": round(bare_rate),
            "ratio_to_baseline": ratio(replay_rate, bare_rate),
            "cpu_us_per_event": round(1e6 * replay["cpu_s"] / len(history), 1),
        },
        "restart_to_ready": {
            "empty_deployment_baseline": baseline_ready,
            "local_state_intact": intact,
            "local_state_lost": lost,
            "ratio_intact_to_baseline": ratio(intact["seconds"], baseline_ready["seconds"]),
            "ratio_lost_to_baseline": ratio(lost["seconds"], baseline_ready["seconds"]),
        },
        "baseline": "replay: bare aiokafka consumer + decode_event on the same topics; restart: a worker of an empty deployment",
    }


def headline(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One round of each (a run takes minutes): best and median are that round's."""
    replay, ready = result["replay"], result["restart_to_ready"]
    empty = ("an empty deployment's worker", [ready["empty_deployment_baseline"]["seconds"]])
    return [
        figure(
            "replay from the start (empty state)",
            "events/s",
            [replay["events_per_s"]],
            baseline=("bare consumer + decode", [replay["baseline_events_per_s"]]),
            targets=["replay.events_per_s"],
        ),
        *(
            figure(
                f"restart to ready, {title}",
                "s",
                [ready[case]["seconds"]],
                higher_is_better=False,
                digits=2,
                baseline=empty,
            )
            for case, title in (("local_state_intact", "RocksDB intact"), ("local_state_lost", "local state lost"))
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=150_000, help="distinct valid events to generate")
    args = parser.parse_args()
    run = BenchRun("recovery")
    with kafka_broker() as kafka:
        result = asyncio.run(bench(kafka, args.events))
    path = run.write(result, rounds=[result], figures=headline(result))
    replay, ready = result["replay"], result["restart_to_ready"]
    print(
        markdown_table(
            ["recovery", "figure", "baseline", "ratio"],
            [
                [
                    "replay from the start (empty state)",
                    f"{replay['events_per_s']:,} events/s",
                    f"{replay['baseline_events_per_s']:,} events/s",
                    f"{replay['ratio_to_baseline']:.3f}",
                ],
                [
                    "restart to ready, local RocksDB intact",
                    f"{ready['local_state_intact']['seconds']} s",
                    f"{ready['empty_deployment_baseline']['seconds']} s",
                    f"{ready['ratio_intact_to_baseline']:.2f}",
                ],
                [
                    "restart to ready, local state lost",
                    f"{ready['local_state_lost']['seconds']} s",
                    f"{ready['empty_deployment_baseline']['seconds']} s",
                    f"{ready['ratio_lost_to_baseline']:.2f}",
                ],
            ],
        )
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
