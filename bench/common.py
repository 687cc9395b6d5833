"""What every benchmark shares: where and on what it ran, every round, the headline figures, a broker.

Run the benchmarks from the repository root as modules (`python -m bench.ingest`), so they can
reuse the test harness (`tests.support`) rather than re-implement deployments and histories.

A result file (`bench/results/<name>.json`) is written only through `BenchRun`, so every one holds
the same provenance — commit, date, machine with its load average at the start, package versions,
command line — beside **every round** measured and the headline `figures` (best and median of the
rounds; `bench.summary` builds the README's table from those alone).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pingback.local_kafka import LocalKafka, free_port

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
PACKAGES = ("faust-streaming", "aiokafka", "rocksdict", "msgspec", "starlette", "uvicorn", "orjson", "pydantic")


def _cpuinfo(field: str) -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith(field):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cpu": _cpuinfo("model name"),
        "cores": os.cpu_count(),
        "ram_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def commit() -> dict[str, Any]:
    """HEAD of the measured tree, and the files (results aside) that differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    try:
        changed = git("status", "--porcelain", "--", ".", ":(exclude)bench/results")  # "XY path" lines
        return {
            "sha": git("rev-parse", "HEAD").strip(),
            "uncommitted_changes": [line[3:] for line in changed.splitlines()],
        }
    except (OSError, subprocess.CalledProcessError):  # an exported tree (git archive) has no history
        return {"sha": None, "uncommitted_changes": None}


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


class BenchRun:
    """One benchmark run: created first thing (the load average is the machine's before we add ours)."""

    def __init__(self, name: str, folder: Path = RESULTS) -> None:
        self.name = name
        self.folder = folder
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.load_at_start = load_average()
        self.commit = commit()
        self._started_s = time.monotonic()

    def write(
        self, result: dict[str, Any], *, rounds: Sequence[dict[str, Any]], figures: Sequence[dict[str, Any]]
    ) -> Path:
        """`bench/results/<name>.json`: provenance, every round, the headline figures, then `result`."""
        if not rounds or not figures:
            raise ValueError("a result file holds every round and at least one figure")
        document = {
            "benchmark": self.name,
            "commit": self.commit,
            "date": self.started,
            "duration_s": round(time.monotonic() - self._started_s, 1),
            "command": ["python", *sys.orig_argv[1:]],  # e.g. python -m bench.ingest --rounds 3
            "machine": machine() | {"load_average_at_start": self.load_at_start, "load_average_at_end": load_average()},
            "versions": versions(),
            "figures": list(figures),
            "rounds": list(rounds),
        }
        clash = set(document) & set(result)
        if clash:
            raise ValueError(f"a benchmark's result may not set {sorted(clash)}: the shared format does")
        document |= result
        path = self.folder / f"{self.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n")
        return path


def best_and_median(values: Sequence[float], higher_is_better: bool, digits: int) -> tuple[float, float]:
    best = max(values) if higher_is_better else min(values)
    median = statistics.median(values)
    if digits == 0:  # whole numbers, written as such
        return round(best), round(median)
    return round(best, digits), round(median, digits)


def figure(
    name: str,
    unit: str,
    values: Sequence[float],
    *,
    higher_is_better: bool = True,
    digits: int = 0,
    baseline: tuple[str, Sequence[float]] | None = None,
    targets: Sequence[str] = (),
) -> dict[str, Any]:
    """A headline figure from its rounds: best and median, beside a same-run baseline's (and the ratios).

    `targets` name entries of `bench.targets.TARGETS`; the summary checks them against these numbers.
    """
    best, median = best_and_median(values, higher_is_better, digits)
    entry = derived_figure(name, unit, best, median, len(values), higher_is_better=higher_is_better, targets=targets)
    if baseline is not None:
        label, base_values = baseline
        base_best, base_median = best_and_median(base_values, higher_is_better, digits)
        entry["baseline"] = {"name": label, "best": base_best, "median": base_median, "rounds": len(base_values)}
        entry["ratio"] = {"best": ratio(best, base_best), "median": ratio(median, base_median)}
    return entry


def derived_figure(
    name: str,
    unit: str,
    best: float,
    median: float,
    rounds: int,
    *,
    higher_is_better: bool = True,
    targets: Sequence[str] = (),
) -> dict[str, Any]:
    """A figure computed from other figures' best and median (e.g. a change between two sizes)."""
    entry: dict[str, Any] = {"name": name, "unit": unit, "best": best, "median": median, "rounds": rounds}
    entry["higher_is_better"] = higher_is_better
    if targets:
        entry["targets"] = list(targets)
    return entry


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@contextmanager
def kafka_broker() -> Iterator[str]:
    """KAFKA_BOOTSTRAP_SERVERS when set, else a throwaway local broker for this benchmark."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    with tempfile.TemporaryDirectory(prefix="pingback-bench-kafka-") as data_dir:
        broker = LocalKafka(port=free_port(), data_dir=Path(data_dir))
        broker.start()
        try:
            yield broker.bootstrap_servers
        finally:
            broker.stop()


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3) if denominator else float("nan")
