"""`pingback kafka install|start|stop|status` — the development broker from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from pingback.local_kafka import LocalKafka, cache_home, install, kafka_version
from pingback.local_tls import BrokerSecurity

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
        if name == "start":
            action.add_argument(
                "--secured",
                action="store_true",
                help="SASL_SSL on --port (SCRAM-SHA-256/512 and PLAIN, a throwaway CA), as a managed Kafka would",
            )
        action.set_defaults(run=run)


def _broker(args: argparse.Namespace) -> LocalKafka:
    data_dir = (args.data_dir or cache_home() / f"kafka-data-{args.port}").resolve()
    # A data dir made secured stays so (its metadata holds the SCRAM user).
    secured = getattr(args, "secured", False) or BrokerSecurity(data_dir / "tls").password_file.exists()
    return LocalKafka(port=args.port, data_dir=data_dir, secured=secured)


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
    if broker.security is not None:
        client_env = broker.data_dir / "client.env"
        lines = [
            f"export {name}={value}" for name, value in broker.security.client_environ(broker.bootstrap_servers).items()
        ]
        client_env.write_text("\n".join(lines) + "\n")
        print(f"SASL_SSL: clients connect with these settings (also in {client_env}; `. {client_env}`):")
        print("\n".join(lines))
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
