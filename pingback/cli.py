"""`pingback` — one console script; each subcommand lives in its own module and registers here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pingback import (
    chatwoot_command,
    demo_command,
    import_command,
    kafka_command,
    keys_command,
    rebuild_command,
    report_command,
    simulate_command,
    worker_command,
)
from pingback.local_kafka import KafkaStartError
from streams.kafka_preflight import unusable
from streams.settings import ConfigError, Settings

COMMANDS = [
    kafka_command,
    worker_command,
    keys_command,
    simulate_command,
    demo_command,
    import_command,
    rebuild_command,
    chatwoot_command,
    report_command,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pingback", description="Pingback Metrics: streaming support analytics.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "uses_kafka", False):
            # Fail fast, with the cause, on what no retry can fix: a wrong password, an untrusted
            # certificate, a plaintext client on a TLS port, no broker at all.
            problem = unusable(Settings.from_environ().kafka)
            if problem is not None:
                print(f"pingback {args.command}: cannot use Kafka: {problem}", file=sys.stderr)
                return 2
        return int(args.run(args) or 0)
    except (ConfigError, KafkaStartError) as exc:
        print(f"pingback: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
