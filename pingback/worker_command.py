"""`pingback worker` — fold the event topics into state and serve the API from the same process."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from streams.settings import Settings


def add_worker_arguments(parser: argparse.ArgumentParser, *, port_help: str, data_dir_help: str) -> None:
    """The options every command that runs a worker shares (`worker`, `rebuild`)."""
    parser.add_argument("--port", type=int, default=None, help=f"{port_help} (default: PINGBACK_WEB_PORT or 8080)")
    parser.add_argument("--data-dir", type=Path, default=None, help=f"{data_dir_help} (default: PINGBACK_DATA_DIR)")
    parser.add_argument("--loglevel", default="warn", choices=["crit", "error", "warn", "info", "debug"])


def worker_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the command line's --port and --data-dir on top."""
    overrides = {"web_port": args.port, "data_dir": args.data_dir}
    return dataclasses.replace(Settings.from_environ(), **{k: v for k, v in overrides.items() if v is not None})


def register(subparsers: argparse._SubParsersAction) -> None:
    worker = subparsers.add_parser("worker", help="run the stream processor with the HTTP API")
    add_worker_arguments(worker, port_help="HTTP port", data_dir_help="local state")
    worker.set_defaults(run=_run, uses_kafka=True)


def _run(args: argparse.Namespace) -> int:
    from streams.worker import run_worker  # Faust is heavy to import; only this command needs it

    run_worker(worker_settings(args), loglevel=args.loglevel)
    return 0
