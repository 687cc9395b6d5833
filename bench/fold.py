"""The fold path in process: CPU µs per record of the production `streams.ingest.Ingestor`, no broker.

    .venv/bin/python -m bench.fold                          # ~1 min; writes bench/results/fold.json
    .venv/bin/python -m bench.fold --compare-tree /tmp/base  # the same records folded by another tree, same run
    .venv/bin/python -m bench.fold --profile                # plus cProfile of one fold: results/fold-profile.txt

This is "our own" per-event cost (#14 item 3): decode, validation, fold, msgpack, views — what
`Ingestor.ingest` does for each record — without Faust's delivery, the table store or Kafka.
The records are the messy history of `tests.support.history.generate_history` (duplicates,
reordering, keyless and invalid records), placed on the partitions the producer would put them
on; a misrouted (keyless) record is folded again on its account's partition after the pass, as
the worker's re-send would be. The tables are plain dicts, fresh for every round.

Each tree folds in its own interpreter (this file run as a script with the tree first on the
path, so the other tree needs no copy of it), the trees taking turns round after round; every
fold is recorded, and the figures give the best beside the median. The clock is deterministic
(one µs per record from the history's T), so both trees must end with the same tables, views and
outcomes: the result records a digest of each, and the run fails if they differ.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PARTITIONS = 8
MAX_AHEAD_US = 300 * 10**6
HERE = Path(__file__).resolve()
TREE = HERE.parent.parent

# --- the measured side: imports only production modules, from whichever tree is first on the path


def _fold_once(records: list[Any], now_us: int, profiler: Any = None) -> tuple[float, str, dict[str, int]]:
    """Fold every record once into fresh tables; (CPU seconds, digest of the outcome, counts).

    The timed part builds each `Record` too, as the worker does per message.
    """
    import msgspec

    from analytics.window import Views
    from streams.ingest import Accepted, Ingestor, Misrouted, Record
    from streams.partitioning import partitioner

    partition_of = partitioner(PARTITIONS)
    conversations, agents, views = dict[bytes, bytes](), dict[bytes, bytes](), Views()
    ingestor = Ingestor(
        conversations=conversations,
        agents=agents,
        views=views,
        max_ahead_us=MAX_AHEAD_US,
        clock_us=itertools.count(now_us).__next__,
        partition_of=partition_of,
    )
    ingest = ingestor.ingest
    if profiler is not None:
        profiler.enable()
    started = time.process_time()
    outcomes = [
        ingest(Record(topic, partition, offset, key, value))
        for offset, (topic, partition, key, value) in enumerate(records)
    ]
    resent = [
        (records[offset][0], outcome.partition, outcome.account_id.encode(), records[offset][3])
        for offset, outcome in enumerate(outcomes)
        if isinstance(outcome, Misrouted)
    ]
    outcomes += [ingest(Record(topic, partition, 0, key, value)) for topic, partition, key, value in resent]
    cpu_s = time.process_time() - started
    if profiler is not None:
        profiler.disable()

    digest = hashlib.sha256()
    for table in (conversations, agents):
        for key in sorted(table):
            digest.update(key + b"=" + table[key] + b";")
    for outcome in outcomes:
        digest.update(repr(outcome).encode())
    accounts = {key.split(b"/", 1)[0].decode() for table in (conversations, agents) for key in table}
    for account in sorted(accounts):
        digest.update(msgspec.json.encode(views.overview(account, now_us + len(records) + len(resent))))
    counts = {
        "records": len(records),
        "resent": len(resent),
        "accepted": sum(isinstance(outcome, Accepted) for outcome in outcomes),
        "conversations": len(conversations),
        "agents": len(agents),
    }
    return cpu_s, digest.hexdigest(), counts


def _decode_once(records: list[Any], now_us: int) -> float:
    """CPU seconds of `decode_event` alone over the same records: the floor under the fold."""
    from events.decode import decode_event
    from events.errors import InvalidEvent

    started = time.process_time()
    for _, _, key, value in records:
        try:
            decode_event(value, key=key, now_us=now_us, max_ahead_us=MAX_AHEAD_US)
        except InvalidEvent:
            pass
    return time.process_time() - started


def _measure(path: Path, rounds: int, profile: Path | None) -> dict[str, Any]:
    import msgspec

    document = msgspec.msgpack.decode(path.read_bytes())
    records, now_us = [tuple(record) for record in document["records"]], document["now_us"]
    if profile is not None:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        _fold_once(records, now_us, profiler)
        with profile.open("w") as out:
            stats = pstats.Stats(profiler, stream=out).strip_dirs()
            for order in ("tottime", "cumulative"):
                print(f"== sorted by {order}", file=out)
                stats.sort_stats(order).print_stats(45)
        return {}
    folds = [_fold_once(records, now_us) for _ in range(rounds)]
    return {
        "fold_cpu_s": [cpu_s for cpu_s, _, _ in folds],
        "decode_cpu_s": [_decode_once(records, now_us) for _ in range(rounds)],
        "digests": sorted({digest for _, digest, _ in folds}),
        "counts": folds[0][2],
    }


# --- the driving side


def _history(events: int, seed: int) -> dict[str, Any]:
    from aiokafka.partitioner import murmur2

    from tests.support.cluster import now_us
    from tests.support.history import generate_history

    at_us = now_us()
    history = generate_history(now_us=at_us, accounts=20, events=events, seed=seed)
    records = []
    for n, record in enumerate(history):
        # Where the producer puts it: murmur2 of the key (Kafka's default partitioner), any partition without one.
        partition = n % PARTITIONS if record.key is None else (murmur2(record.key) & 0x7FFFFFFF) % PARTITIONS
        records.append((record.topic, partition, record.key, record.value))
    return {"now_us": at_us, "records": records}


def _run(tree: Path, path: Path, rounds: int, profile: Path | None = None) -> dict[str, Any]:
    # PYTHONSAFEPATH keeps this file's folder off the path: the tree's modules are the ones measured.
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONSAFEPATH": "1"}
    command = [sys.executable, str(HERE), "--measure", str(path), "--rounds", str(rounds)]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def bench(events: int, rounds: int, per_process: int, compare_tree: Path | None, profile: bool) -> dict[str, Any]:
    import msgspec

    from bench.common import RESULTS

    trees = {"this_tree": TREE} | ({"compare_tree": compare_tree.resolve()} if compare_tree else {})
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="pingback-bench-fold-") as tmp:
        path = Path(tmp) / "history.msgpack"
        document = _history(events, seed=1)
        path.write_bytes(msgspec.msgpack.encode(document))
        records = len(document["records"])
        for round_ in range(rounds):
            for name, tree in trees.items():
                run = _run(tree, path, per_process)
                runs[name].append(run)
                best_us = 1e6 * min(run["fold_cpu_s"]) / records
                print(f"round {round_ + 1}/{rounds} {name}: {best_us:.1f} µs CPU/record", flush=True)
        if profile:
            _run(TREE, path, 1, profile=RESULTS / "fold-profile.txt")
    digests = {
        name: sorted({digest for run in name_runs for digest in run["digests"]}) for name, name_runs in runs.items()
    }
    if len({tuple(d) for d in digests.values()}) != 1 or len(digests["this_tree"]) != 1:
        raise AssertionError(f"the trees folded the same records differently: {digests}")
    per_record = 1e6 / records
    return {
        "events": events,
        "counts": runs["this_tree"][0]["counts"],
        "trees": {name: str(tree) for name, tree in trees.items()},
        "clock": "deterministic: 1 µs per record from the history's T",
        "digest": digests["this_tree"][0],
        "rounds": [
            {
                "tree": name,
                "process": process,
                "fold": fold,
                "cpu_us_per_record": round(per_record * cpu_s, 2),
                "decode_only_cpu_us_per_record": round(per_record * decode_s, 2),
            }
            for name, name_runs in runs.items()
            for process, run in enumerate(name_runs)
            for fold, (cpu_s, decode_s) in enumerate(zip(run["fold_cpu_s"], run["decode_cpu_s"], strict=True))
        ],
    }


def headline(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from bench.common import figure

    def values(tree: str, field: str = "cpu_us_per_record") -> list[float]:
        return [r[field] for r in rounds if r["tree"] == tree]

    compared = bool(values("compare_tree"))
    fold = figure(
        "fold in process (decode, validation, fold, msgpack, views): CPU per record",
        "µs",
        values("this_tree"),
        higher_is_better=False,
        digits=2,
        baseline=("the compare tree", values("compare_tree")) if compared else None,
        targets=["fold.ratio_to_compare_tree"] if compared else [],
    )
    decode = figure(
        "decode_event alone: CPU per record",
        "µs",
        values("this_tree", "decode_only_cpu_us_per_record"),
        higher_is_better=False,
        digits=2,
    )
    return [fold, decode]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=150_000, help="distinct valid events to generate")
    parser.add_argument("--rounds", type=int, default=3, help="processes per tree, taking turns")
    parser.add_argument("--per-process", type=int, default=2, help="folds in each process (best counts)")
    parser.add_argument("--compare-tree", type=Path, help="also fold with the code of this source tree")
    parser.add_argument("--profile", action="store_true", help="cProfile of one fold: results/fold-profile.txt")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the measured side, in a subprocess
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(_measure(args.measure, args.rounds, args.profile_to)))
        return

    from bench.common import BenchRun, markdown_table

    run = BenchRun("fold")
    result = bench(args.events, args.rounds, args.per_process, args.compare_tree, args.profile)
    rounds = result.pop("rounds")
    figures = headline(rounds)
    path = run.write(result, rounds=rounds, figures=figures)
    rows = [[f["name"], f["best"], f["median"], f.get("baseline", {}).get("best", "")] for f in figures]
    print(f"{result['counts']['records']:,} records (+{result['counts']['resent']:,} re-sent), {len(rounds)} folds")
    print(markdown_table(["fold", "best µs", "median µs", "compare tree best µs"], rows))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
