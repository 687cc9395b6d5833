"""Run the product as a user would, for tests on real Kafka: `pingback` CLI and worker processes.

A `Deployment` is one isolated installation on the shared test broker: its own topic names,
consumer group and data directories, so tests never see each other's records.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from pingback.local_kafka import free_port
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.history import AGENT_TOPIC, Record

PINGBACK = [sys.executable, "-m", "pingback.cli"]
OVERVIEW = "/api/v1/analytics/overview"


@dataclass
class Deployment:
    kafka: str
    name: str
    tmp: Path
    partitions: int = 4
    workers: list[WorkerProcess] = field(default_factory=list)
    # KAFKA_* settings beyond the bootstrap servers (a secured broker's TLS and SASL), for every process.
    connection: dict[str, str] = field(default_factory=dict)

    @property
    def conversation_topic(self) -> str:
        return f"{self.name}-conversations"

    @property
    def agent_topic(self) -> str:
        return f"{self.name}-agents"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.name}-dead-letters"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "PINGBACK_APP_ID": f"{self.name}-app",
            "PINGBACK_CONVERSATION_TOPIC": self.conversation_topic,
            "PINGBACK_AGENT_TOPIC": self.agent_topic,
            "PINGBACK_DEAD_LETTER_TOPIC": self.dead_letter_topic,
            "PINGBACK_KEYS_TOPIC": f"{self.name}-keys",
            "PINGBACK_PARTITIONS": str(self.partitions),
            **self.connection,
            **extra,
        }

    def pingback(self, *args: str, timeout_s: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI as a user would; raises with its output when it fails."""
        result = subprocess.run(
            [*PINGBACK, *args], env=self.env(**env), capture_output=True, text=True, timeout=timeout_s
        )
        if result.returncode != 0:
            raise AssertionError(
                f"pingback {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def create_key(self, account_id: str) -> str:
        return self.pingback("keys", "create", "--account", account_id).stdout.strip()

    def topic_of(self, record: Record) -> str:
        return self.agent_topic if record.topic == AGENT_TOPIC else self.conversation_topic

    async def ensure_topics(self) -> None:
        """Create the topics with the deployment's partition count, as the CLI and workers do."""
        await ensure_topics(Settings.from_environ(self.env()))

    @asynccontextmanager
    async def producer(self) -> AsyncIterator[AIOKafkaProducer]:
        """One producer for as many sends as the test makes, stopped on exit."""
        producer = AIOKafkaProducer(**Settings.from_environ(self.env()).kafka.client_options(), acks="all", linger_ms=5)
        await producer.start()
        try:
            yield producer
        finally:
            await producer.stop()

    async def produce(self, records: Iterable[Record]) -> None:
        async with self.producer() as producer:
            for record in records:
                await producer.send(self.topic_of(record), key=record.key, value=record.value)
            await producer.flush()

    def start_worker(
        self, *, data_dir: Path | None = None, store: str = "rocksdb://", env: dict[str, str] | None = None
    ) -> WorkerProcess:
        index = len(self.workers)
        worker = WorkerProcess(
            port=free_port(),
            data_dir=data_dir or self.tmp / f"worker-{index}",
            log_path=self.tmp / f"worker-{index}-{int(time.time() * 1000)}.log",
        )
        worker.start(self.env(PINGBACK_STORE=store, PINGBACK_DATA_DIR=str(worker.data_dir), **(env or {})))
        self.workers.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()


@dataclass
class WorkerProcess:
    port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*PINGBACK, "worker", "--port", str(self.port), "--loglevel", "info"],
            env=env,
            stdout=open(self.log_path, "wb"),
            stderr=subprocess.STDOUT,
        )

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, f"worker exited:\n{self.log_tail()}"
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"worker not ready after {timeout_s} s:\n{self.log_tail()}")

    def wait_listening(self, timeout_s: float = 120) -> None:
        """Until the worker answers HTTP at all (it may still be joining the group or recovering)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, f"worker exited:\n{self.log_tail()}"
            try:
                httpx.get(f"{self.base_url}/readyz", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"worker not listening after {timeout_s} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """`kill -9`: no clean shutdown, no final commit or flush."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def overview(self, token: str) -> httpx.Response:
        return httpx.get(f"{self.base_url}{OVERVIEW}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def metric(worker: WorkerProcess, *names: str, timeout_s: float = 5) -> float:
    """The sum of every series of these Prometheus metrics, from one read of the worker's /metrics."""
    text = httpx.get(f"{worker.base_url}/metrics", timeout=timeout_s).text
    pattern = rf"^(?:{'|'.join(names)})(?:{{[^}}]*}})? (\S+)$"
    return sum(float(value) for value in re.findall(pattern, text, re.M))


def handled(worker: WorkerProcess) -> float:
    """Records the worker has folded or dead-lettered since it started."""
    return metric(worker, "pingback_events_processed_total", "pingback_events_rejected_total")


async def wait_until_handled(worker: WorkerProcess, records: float, timeout_s: float = 120) -> None:
    """Until the worker has handled at least `records` records since it started."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert worker.process is not None and worker.process.poll() is None, worker.log_tail()
        try:
            if await asyncio.to_thread(handled, worker) >= records:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker never handled {records} records:\n{worker.log_tail()}")


def now_us() -> int:
    return time.time_ns() // 1000


async def wait_for_figures(
    worker: WorkerProcess, tokens: dict[str, str], expected: Any, *, timeout_s: float = 180, strict: bool = False
) -> dict[str, dict[str, Any]]:
    """Poll until every account's overview equals `expected(account_id, t)` for a t around the request.

    The reference is taken just before and just after each request, and either may match: an item
    a few minutes ahead of the clock can cross T while the request is in flight. A 503 means "not
    yet"; any other answer that does not match is retried until the deadline, then reported —
    or, with `strict`, fails at once: a 200 must never carry a wrong (partial) figure.
    """
    deadline = time.monotonic() + timeout_s
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        pending = False
        for account_id, token in tokens.items():
            before = expected(account_id, now_us())
            try:
                response = await asyncio.to_thread(worker.overview, token)
            except httpx.TransportError as exc:  # not listening yet, or restarting
                last[account_id], pending = (None, repr(exc), before), True
                continue
            after = expected(account_id, now_us())
            last[account_id] = (response.status_code, response.text, before)
            if response.status_code == 200 and response.json() not in (before, after):
                assert not strict, f"{account_id}: a wrong figure was served: {response.text} != {before}"
            if response.status_code != 200 or response.json() not in (before, after):
                pending = True
        if not pending:
            return {account_id: value[1] for account_id, value in last.items()}
        await asyncio.sleep(0.5)
    mismatches = {a: v for a, v in last.items() if v[0] != 200 or v[1] != v[2]}
    raise AssertionError(f"figures never matched the reference; last answers: {mismatches}\n{worker.log_tail()}")
