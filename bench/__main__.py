"""Every benchmark against one throwaway Kafka broker, then the summary table for the README.

    .venv/bin/python -m bench               # ~15 min; `make bench` also runs bench/decode_bench.py
    .venv/bin/python -m bench --report      # only print the table from bench/results/*.json

Each benchmark runs as its own process (a clean interpreter, as a worker would have) and writes
bench/results/<name>.json; the table is built from those files by `bench.summary`, so it can be
re-printed any time (`python -m bench.summary --write` puts it in the READMEs).
"""

from __future__ import annotations

import os
import subprocess
import sys

from bench.common import kafka_broker
from bench.summary import load_results, render

BENCHMARKS = [
    "ingest",
    "endpoint",
    "report",
    "report_in_process",
    "noisy_neighbour",
    "wallboard",
    "recovery",
    "memory",
    "http_ingest",
    "fold",
    "takeover",
]


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
    print(render(load_results()))


if __name__ == "__main__":
    main()
