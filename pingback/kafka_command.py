"""`pingback kafka install|start|stop|status` — the development broker from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from pingback.local_kafka import LocalKafka, cache_home, install, kafka_version

DEFAULT_PORT = 9092


def register(subparsers: argparse._SubParsersAction) -> None:
    kafka = subparsers.add_parser("kafka", help="run a local Apache Kafka broker (KRaft, single node)")
    actions = kafka.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("install", help="fetch the broker jars with Maven (once)").set_defaults(run=_install)
    for name, run, help_text in [
        ("start", _start, "start a broker and wait until it answers"),
        ("stop", _stop, "stop the broker started from the same data dir"),
        ("status", _status, "say whether the broker runs and answers"),
    ]:
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--port", type=int, default=DEFAULT_PORT)
        action.add_argument(
            "--data-dir", type=Path, default=None, help="broker storage (default: ~/.cache/pingback/kafka-data-PORT)"
        )
        action.set_defaults(run=run)


def _broker(args: argparse.Namespace) -> LocalKafka:
    data_dir = args.data_dir or cache_home() / f"kafka-data-{args.port}"
    return LocalKafka(port=args.port, data_dir=data_dir.resolve())


def _install(args: argparse.Namespace) -> int:
    print(f"Kafka {kafka_version()} jars in {install()}")
    return 0


def _start(args: argparse.Namespace) -> int:
    broker = _broker(args)
    broker.start()
    print(
        f"Kafka {kafka_version()} is up at {broker.bootstrap_servers} (pid {broker.running_pid()}, "
        f"data {broker.data_dir}, log {broker.log_file})"
    )
    return 0


def _stop(args: argparse.Namespace) -> int:
    broker = _broker(args)
    print("stopped" if broker.stop() else f"no broker was running from {broker.data_dir}")
    return 0


def _status(args: argparse.Namespace) -> int:
    broker = _broker(args)
    pid = broker.running_pid()
    if pid is None:
        print(f"not running (data {broker.data_dir})")
        return 1
    answering = broker.is_answering()
    print(f"running, pid {pid}, {'answering' if answering else 'NOT answering'} at {broker.bootstrap_servers}")
    return 0 if answering else 1
