"""Memory: what a retained conversation and an account cost, in the views and in a whole worker.

    .venv/bin/python -m bench.memory        # ~3 min; writes bench/results/memory.json

* views (tracemalloc, this process): the account views rebuilt from synthetic facts at two sizes;
  bytes per conversation is the difference over the difference, so fixed costs cancel out; bytes
  per account from many accounts holding one conversation each, less that conversation.
* worker (RSS, real Kafka): a worker caught up with a messy history, at two sizes; RSS delta per
  retained conversation (every conversation with facts, created or not), and its RocksDB state
  on disk per conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import tracemalloc
import uuid
from itertools import chain
from pathlib import Path
from typing import Any

from analytics.window import Views
from bench.common import BenchRun, figure, kafka_broker, markdown_table
from bench.endpoint import PARTITIONS, synthetic_facts
from bench.ingest import time_worker
from streams.live_state import LiveState
from streams.partitioning import partitioner
from streams.topology import wall_clock_us
from tests.support.cluster import Deployment, now_us
from tests.support.history import decode_valid, generate_history

ASSIGNED = [(topic, p) for topic in ("conversations", "agents") for p in range(PARTITIONS)]


def traced_views_bytes(facts: Any) -> int:
    """Bytes tracemalloc attributes to views rebuilt from `facts` (kept alive while measured)."""
    gc.collect()
    tracemalloc.start()
    state = LiveState(views=Views(), partition_of=partitioner(PARTITIONS))
    state.recovered(
        assigned=ASSIGNED, conversations=facts, agents=[], next_offsets={}, highwaters={}, now_us=wall_clock_us()
    )
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return size


def views_memory(small: int, large: int, accounts: int) -> dict[str, float]:
    now = wall_clock_us()
    at_small = traced_views_bytes(synthetic_facts(small, now))
    at_large = traced_views_bytes(synthetic_facts(large, now))
    per_conversation = (at_large - at_small) / (large - small)
    many = traced_views_bytes(
        chain.from_iterable(synthetic_facts(1, now, account=f"acct-{n}") for n in range(accounts))
    )
    return {
        "conversations": [small, large],
        "bytes": [at_small, at_large],
        "bytes_per_conversation": round(per_conversation),
        "accounts": accounts,
        "bytes_per_account": round(many / accounts - per_conversation),
    }


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def worker_memory(kafka: str, events: int) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="pingback-bench-memory-") as tmp:
        deployment = Deployment(kafka, f"bench-mem-{uuid.uuid4().hex[:8]}", Path(tmp), partitions=PARTITIONS)
        history = generate_history(now_us=now_us(), accounts=20, events=events, seed=6)
        valid = sum(record.valid for record in history)
        conversations = len(
            {(e.account_id, e.conversation_id) for e in decode_valid(history) if hasattr(e, "conversation_id")}
        )
        await deployment.ensure_topics()
        await deployment.produce(history)
        worker = deployment.start_worker()
        try:
            await time_worker(worker, valid, len(history) - valid)
            await asyncio.sleep(2)  # let the last batch's writes settle
            assert worker.process is not None
            rss = rss_bytes(worker.process.pid)
        finally:
            worker.stop()
        disk = sum(path.stat().st_size for path in worker.data_dir.rglob("*") if path.is_file())
    return {"events": events, "conversations": conversations, "rss_bytes": rss, "state_disk_bytes": disk}


def worker_pair(kafka: str, sizes: list[int]) -> dict[str, Any]:
    small, large = (asyncio.run(worker_memory(kafka, events)) for events in sizes)
    conversations = large["conversations"] - small["conversations"]
    return {
        "runs": [small, large],
        "rss_bytes_per_conversation": round((large["rss_bytes"] - small["rss_bytes"]) / conversations),
        "state_disk_bytes_per_conversation": round(
            (large["state_disk_bytes"] - small["state_disk_bytes"]) / conversations
        ),
    }


def headline(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def values(part: str, field: str) -> list[float]:
        return [r[part][field] for r in rounds]

    return [
        figure(
            "views per conversation (tracemalloc)",
            "B",
            values("views", "bytes_per_conversation"),
            higher_is_better=False,
        ),
        figure("views per account (tracemalloc)", "B", values("views", "bytes_per_account"), higher_is_better=False),
        figure(
            "worker RSS per retained conversation",
            "B",
            values("worker", "rss_bytes_per_conversation"),
            higher_is_better=False,
            targets=["memory.rss_bytes_per_conversation"],
        ),
        figure(
            "RocksDB state on disk per conversation",
            "B",
            values("worker", "state_disk_bytes_per_conversation"),
            higher_is_better=False,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views-sizes", type=int, nargs=2, default=[100_000, 400_000])
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--worker-events", type=int, nargs=2, default=[30_000, 150_000])
    parser.add_argument("--rounds", type=int, default=1, help="times the whole measurement is repeated")
    args = parser.parse_args()
    run = BenchRun("memory")
    rounds = []
    with kafka_broker() as kafka:
        for round_ in range(args.rounds):
            views = views_memory(*args.views_sizes, args.accounts)
            rounds.append({"round": round_, "views": views, "worker": worker_pair(kafka, args.worker_events)})
    figures = headline(rounds)
    result = {"baseline": "each figure is a difference between two sizes measured in the same run"}
    path = run.write(result, rounds=rounds, figures=figures)
    print(
        markdown_table(
            ["memory", "best", "median"], [[f["name"], f"{f['best']:,}", f"{f['median']:,}"] for f in figures]
        )
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
