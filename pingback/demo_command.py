"""`pingback demo` — the whole product on one machine: Kafka, a worker with the API, a demo key,
simulated traffic, and the wallboard URL. Ctrl-C stops everything it started.

Children run in their own process groups so that Ctrl-C reaches only this command, which then
stops them in order (traffic, worker, broker) and waits for each: nothing is left running.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from pingback.keys_command import create_key
from pingback.local_kafka import LocalKafka, free_port
from streams.settings import Settings

DEMO_ACCOUNT = "acme"  # the simulator's first account


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="run Kafka, a worker, simulated traffic and the wallboard")
    demo.add_argument("--port", type=int, default=8080, help="HTTP port of the API and wallboard (default 8080)")
    demo.add_argument("--accounts", type=int, default=3)
    demo.add_argument("--rate", type=float, default=20.0, help="simulated events per second")
    # 61 days: the last 30 and the 30 before them, so the wallboard's "vs prior 30 d" has something to compare.
    demo.add_argument("--backfill-days", type=float, default=61.0, help="history to send first (default 61)")
    demo.add_argument("--state-dir", type=Path, default=Path("var/demo"), help="wiped at start (default var/demo)")
    demo.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    demo.set_defaults(run=_run)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` of the demo cleans up exactly like Ctrl-C


def _run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    shutil.rmtree(args.state_dir, ignore_errors=True)
    settings = Settings.from_environ()
    broker = None
    if "KAFKA_BOOTSTRAP_SERVERS" not in os.environ:
        broker = LocalKafka(port=free_port(), data_dir=(args.state_dir / "kafka").resolve())
        print(f"starting Kafka on {broker.bootstrap_servers} …", flush=True)
        broker.start()
        settings = dataclasses.replace(
            settings, kafka=dataclasses.replace(settings.kafka, bootstrap_servers=broker.bootstrap_servers)
        )
    children: list[subprocess.Popen[bytes]] = []
    try:
        env = {
            **dict(os.environ),
            "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "PINGBACK_DATA_DIR": str((args.state_dir / "worker").resolve()),
        }
        token = asyncio.run(create_key(settings, DEMO_ACCOUNT))
        children.append(_spawn(["worker", "--port", str(args.port)], env, args.state_dir / "worker.log"))
        base_url = f"http://127.0.0.1:{args.port}"
        _wait_until_listening(base_url, children[0], args.state_dir / "worker.log")
        children.append(
            _spawn(
                [
                    "simulate",
                    "--accounts",
                    str(args.accounts),
                    "--rate",
                    str(args.rate),
                    "--backfill-days",
                    str(args.backfill_days),
                ],
                env,
                args.state_dir / "simulate.log",
            )
        )
        print(
            f"\nPingback demo is running.\n"
            f"  wallboard: {base_url}/wallboard\n"
            f"  token:     {token}   (account {DEMO_ACCOUNT})\n"
            f"  curl:      curl -H 'Authorization: Bearer {token}' {base_url}/api/v1/analytics/overview\n"
            f"  logs:      {args.state_dir}/worker.log, {args.state_dir}/simulate.log\n"
            f"  processes: {' '.join(str(pid) for pid in _pids(children, broker))}\n"
            f"Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        _wait(children, args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping …", flush=True)
        for child in reversed(children):
            _stop(child)
        if broker is not None:
            broker.stop()
        print("stopped: nothing left running.", flush=True)
    return 0


def _pids(children: list[subprocess.Popen[bytes]], broker: LocalKafka | None) -> list[int]:
    broker_pid = broker.running_pid() if broker is not None else None
    return [child.pid for child in children] + ([broker_pid] if broker_pid else [])


def _spawn(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "pingback.cli", *arguments],
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_until_listening(base_url: str, worker: subprocess.Popen[bytes], log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited; see {log}")
        try:
            httpx.get(f"{base_url}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit(f"the worker did not start listening within {timeout_s:.0f} s; see {log}")


def _wait(children: list[subprocess.Popen[bytes]], duration_s: float | None) -> None:
    deadline = None if duration_s is None else time.monotonic() + duration_s
    while deadline is None or time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            print("a demo process exited on its own; see the logs", file=sys.stderr)
            return
        time.sleep(0.5)


def _stop(child: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
