"""`pingback worker` — fold the event topics into state and serve the API from the same process."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from pingback.config import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    worker = subparsers.add_parser("worker", help="run the stream processor with the HTTP API")
    worker.add_argument("--port", type=int, default=None, help="HTTP port (default: PINGBACK_WEB_PORT or 8080)")
    worker.add_argument("--data-dir", type=Path, default=None, help="local state (default: PINGBACK_DATA_DIR)")
    worker.add_argument("--loglevel", default="warn", choices=["crit", "error", "warn", "info", "debug"])
    worker.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from streams.worker import run_worker  # Faust is heavy to import; only this command needs it

    settings = Settings.from_environ()
    overrides = {"web_port": args.port, "data_dir": args.data_dir}
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    run_worker(settings, loglevel=args.loglevel)
    return 0
