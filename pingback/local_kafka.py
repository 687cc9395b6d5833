"""A real, single-node Apache Kafka broker (KRaft, combined broker+controller) for development and tests.

No Docker here: the broker runs from the official release jars that Maven resolves from Maven
Central (see ``kafka/pom.xml``), cached outside the repository. The broker is a plain child
process in its own session; its pid file lives in the data directory, so ``stop`` and ``status``
work from another shell, and ``stop`` escalates from SIGTERM to SIGKILL so nothing is left behind.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from aiokafka import AIOKafkaClient

from pingback.local_tls import BrokerSecurity
from streams.kafka_connection import KafkaConnection

_RUNTIME = resources.files("pingback") / "kafka"


class KafkaStartError(RuntimeError):
    """The broker could not be installed, formatted or started; the message says why."""


def cache_home() -> Path:
    return Path(os.environ.get("PINGBACK_CACHE_DIR", Path.home() / ".cache" / "pingback"))


def kafka_version() -> str:
    pom = (_RUNTIME / "pom.xml").read_text()
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    if found is None:
        raise KafkaStartError(f"no <kafka.version> in {_RUNTIME / 'pom.xml'}: cannot tell which Kafka to run")
    return found.group(1)


def libs_dir() -> Path:
    """Jars are keyed by the pom's hash, so changing a version never reuses a stale classpath."""
    digest = hashlib.sha256((_RUNTIME / "pom.xml").read_bytes()).hexdigest()[:12]
    return cache_home() / f"kafka-{kafka_version()}-{digest}" / "libs"


def install() -> Path:
    """Resolve the broker's jars with Maven once; later calls return the cached directory."""
    target = libs_dir()
    if (target / ".complete").exists():
        return target
    if shutil.which("mvn") is None:
        raise KafkaStartError("Maven (`mvn`) is not on PATH: it is needed once to fetch the Kafka jars")
    staging = target.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    with resources.as_file(_RUNTIME / "pom.xml") as pom:
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        raise KafkaStartError(f"mvn could not resolve the Kafka jars:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    (target / ".complete").write_text(kafka_version())
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The kernel may hand a just-closed port out again, so a second free_port() can repeat the first.
CONTROLLER_PORT_ATTEMPTS = 20


@dataclass
class LocalKafka:
    """One broker on 127.0.0.1:``port`` whose logs, metadata and pid file live in ``data_dir``.

    The controller listens on a port of its own, picked by ``choose_port`` at each start.
    """

    port: int
    data_dir: Path
    heap: str = "768m"
    choose_port: Callable[[], int] = field(default=free_port, repr=False)
    # SASL_SSL on `port` (SCRAM and PLAIN, a throwaway CA) instead of PLAINTEXT; the broker's own
    # traffic then uses a plaintext listener of its own on 127.0.0.1.
    secured: bool = False

    @property
    def security(self) -> BrokerSecurity | None:
        return BrokerSecurity(self.data_dir / "tls") if self.secured else None

    def client_connection(self) -> KafkaConnection:
        """How a client of ours connects to this broker (what `pingback kafka start` prints as KAFKA_*)."""
        security = self.security
        if security is None:
            return KafkaConnection(bootstrap_servers=self.bootstrap_servers)
        return KafkaConnection.from_environ(security.client_environ(self.bootstrap_servers))

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "server.log"

    def start(self, timeout_s: float = 90.0) -> None:
        if self.running_pid() is not None:
            raise KafkaStartError(f"a broker from {self.data_dir} is already running (pid {self.running_pid()})")
        classpath = str(install() / "*")
        if self.security is not None:
            self.security.create()
        properties = self.write_properties()
        if not (self.data_dir / "log" / "meta.properties").exists():
            scram = [] if self.security is None else self.security.format_args()
            self._java(
                classpath, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(properties), *scram
            )
        with resources.as_file(_RUNTIME / "log4j2.xml") as log_config:
            process = subprocess.Popen(
                [
                    "java",
                    f"-Xmx{self.heap}",
                    f"-Dlog4j2.configurationFile={log_config}",
                    f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(properties),
                ],
                stdout=open(self.data_dir / "broker.out", "ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the caller's terminal must not race our own stop()
            )
        self.pid_file.write_text(str(process.pid))
        try:
            self._wait_until_answering(process, timeout_s)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker; True when one was running. Never leaves the process behind."""
        pid = self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def is_answering(self) -> bool:
        return asyncio.run(_answers_metadata(self.client_connection()))

    def _wait_until_answering(self, process: subprocess.Popen, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise KafkaStartError(f"the broker exited with {process.returncode}; see {self.log_file}")
            if self.is_answering():
                return
            time.sleep(0.3)
        raise KafkaStartError(
            f"the broker did not answer metadata requests within {timeout_s:.0f} s; see {self.log_file}"
        )

    def _listeners(self, internal_port: int) -> list[str]:
        if self.security is None:
            return [
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            ]
        return [
            f"advertised.listeners=SASL_SSL://127.0.0.1:{self.port},INTERNAL://127.0.0.1:{internal_port}",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL",
            "inter.broker.listener.name=INTERNAL",
            *self.security.listener_properties(),
        ]

    def write_properties(self) -> Path:
        """server.properties for this start, with controller (and internal) ports that are not the broker's."""
        controller_port = self._other_port({self.port})
        internal_port = self._other_port({self.port, controller_port}) if self.security is not None else 0
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "server.properties"
        client = "PLAINTEXT" if self.security is None else "SASL_SSL"
        internal = "" if self.security is None else f",INTERNAL://127.0.0.1:{internal_port}"
        path.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
                    f"listeners={client}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{controller_port}{internal}",
                    *self._listeners(internal_port),
                    "controller.listener.names=CONTROLLER",
                    f"log.dirs={self.data_dir / 'log'}",
                    "num.partitions=1",
                    # Single node: every internal topic has one replica, and a new group needs no settle time.
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    "",
                ]
            )
        )
        return path

    def _other_port(self, taken: set[int]) -> int:
        # The caller chose `port` with free_port() and closed it, so the kernel may offer it again:
        # two listeners on one port make StorageTool and the broker refuse the configuration.
        for _ in range(CONTROLLER_PORT_ATTEMPTS):
            port = self.choose_port()
            if port not in taken:
                return port
        raise KafkaStartError(f"no port for the controller other than the broker's {self.port}")

    def _java(self, classpath: str, main: str, *args: str) -> None:
        result = subprocess.run(["java", "-cp", classpath, main, *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise KafkaStartError(f"{main} failed: {result.stdout}{result.stderr}")


def _cluster_id() -> str:
    """What `kafka-storage.sh random-uuid` prints: a URL-safe base64 UUID without padding.

    Like Kafka's own generator, never one starting with "-": StorageTool would read it as an option.
    """
    while (cluster_id := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
        pass
    return cluster_id


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists"; reap it so a stopped broker reads as stopped.
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        return reaped == 0
    except ChildProcessError:
        return True


async def _answers_metadata(connection: KafkaConnection) -> bool:
    # While the broker boots, every probe fails to connect; aiokafka would log each one as an error.
    aiokafka_logger = logging.getLogger("aiokafka")
    previous_level = aiokafka_logger.level
    aiokafka_logger.setLevel(logging.CRITICAL)
    client = AIOKafkaClient(**connection.client_options(), request_timeout_ms=2000)
    try:
        await client.bootstrap()
        metadata = await client.fetch_all_metadata()
        return bool(metadata.brokers())
    except Exception:  # any failure means "not yet": the caller keeps polling until its deadline
        return False
    finally:
        await client.close()
        aiokafka_logger.setLevel(previous_level)
