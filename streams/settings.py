"""Configuration, read from the environment once at the edge and passed in everywhere else.

Every setting has a default that works with `make kafka` on this machine; the README's table lists them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from events.topics import AGENT_TOPIC, CONVERSATION_TOPIC
from streams.environ import ConfigError as ConfigError  # re-exported: the error of every setting
from streams.environ import Environ
from streams.kafka_connection import KafkaConnection


@dataclass(frozen=True)
class Settings:
    kafka: KafkaConnection = field(default_factory=KafkaConnection)  # every Kafka client connects so
    app_id: str = "pingback-metrics"
    conversation_topic: str = CONVERSATION_TOPIC
    agent_topic: str = AGENT_TOPIC
    dead_letter_topic: str = "pingback-dead-letters"
    keys_topic: str = "pingback-api-keys"
    partitions: int = 8
    # -1 keeps the event topics forever: they are the source of truth that rebuild replays.
    event_retention_ms: int = -1
    store: str = "rocksdb://"
    data_dir: Path = field(default_factory=lambda: Path("var/worker"))
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # How the other workers reach this one (forwarding); empty means http://web_host:web_port.
    advertised_url: str = ""
    max_ahead_s: int = 300
    retention_days: int = 90
    retention_sweep_s: int = 3600
    # A comment line on idle wallboard streams this often, so proxies keep them open.
    stream_heartbeat_s: int = 15
    # How long a dead worker keeps its partitions before the group moves them to the survivors.
    session_timeout_s: int = 30
    # Wallboard streams this worker relays from the owners of their accounts, per account and in total.
    max_relayed_streams_per_account: int = 100
    max_relayed_streams: int = 1000
    # Open HTTP connections beyond which new ones get only the probes (a few), then are refused.
    max_connections: int = 4096
    # A request head must arrive this soon after the connection opens or its previous response.
    header_timeout_s: int = 10
    # An idle keep-alive connection is closed after this.
    keep_alive_timeout_s: int = 5
    # A repeated warning or error is written once per this interval, with the count of those left out.
    log_repeat_interval_s: int = 10
    # uvloop runs the worker's event loop (and the aiokafka thread's): cheaper Faust delivery per record (bench/README.md).
    uvloop: bool = True
    # At most this much of a rejected record's value (and key) is copied into its dead letter.
    dead_letter_keep_bytes: int = 64 * 1024
    # A partition with records waiting and none processed for this long makes the worker unhealthy.
    stall_s: int = 60
    # Threads computing reports off the event loop, and the report computations (queued or
    # running) one account, and all accounts together, may have before a request gets 429.
    report_threads: int = 2
    report_concurrency_per_account: int = 2
    report_queue_limit: int = 16

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        read = Environ(env)
        text, flag, number = read.text, read.flag, read.number

        return cls(
            kafka=KafkaConnection.from_environ(env),
            app_id=text("PINGBACK_APP_ID", defaults.app_id),
            conversation_topic=text("PINGBACK_CONVERSATION_TOPIC", defaults.conversation_topic),
            agent_topic=text("PINGBACK_AGENT_TOPIC", defaults.agent_topic),
            dead_letter_topic=text("PINGBACK_DEAD_LETTER_TOPIC", defaults.dead_letter_topic),
            keys_topic=text("PINGBACK_KEYS_TOPIC", defaults.keys_topic),
            partitions=number("PINGBACK_PARTITIONS", defaults.partitions, 1),
            event_retention_ms=number("PINGBACK_EVENT_RETENTION_MS", defaults.event_retention_ms, -1),
            store=text("PINGBACK_STORE", defaults.store),
            data_dir=Path(text("PINGBACK_DATA_DIR", str(defaults.data_dir))),
            web_host=text("PINGBACK_WEB_HOST", defaults.web_host),
            web_port=number("PINGBACK_WEB_PORT", defaults.web_port, 0),
            advertised_url=text("PINGBACK_ADVERTISED_URL", defaults.advertised_url),
            max_ahead_s=number("PINGBACK_MAX_AHEAD_SECONDS", defaults.max_ahead_s, 0),
            # SPEC §2: state may be forgotten after the retention period, never less than 31 days.
            retention_days=number("PINGBACK_RETENTION_DAYS", defaults.retention_days, 31),
            retention_sweep_s=number("PINGBACK_RETENTION_SWEEP_SECONDS", defaults.retention_sweep_s, 1),
            stream_heartbeat_s=number("PINGBACK_STREAM_HEARTBEAT_SECONDS", defaults.stream_heartbeat_s, 1),
            # Kafka refuses sessions shorter than its group.min.session.timeout.ms (6 s by default).
            session_timeout_s=number("PINGBACK_SESSION_TIMEOUT_S", defaults.session_timeout_s, 6),
            max_relayed_streams_per_account=number(
                "PINGBACK_MAX_RELAYED_STREAMS_PER_ACCOUNT", defaults.max_relayed_streams_per_account, 1
            ),
            max_relayed_streams=number("PINGBACK_MAX_RELAYED_STREAMS", defaults.max_relayed_streams, 1),
            max_connections=number("PINGBACK_MAX_CONNECTIONS", defaults.max_connections, 1),
            header_timeout_s=number("PINGBACK_HEADER_TIMEOUT_SECONDS", defaults.header_timeout_s, 1),
            keep_alive_timeout_s=number("PINGBACK_KEEP_ALIVE_TIMEOUT_SECONDS", defaults.keep_alive_timeout_s, 1),
            log_repeat_interval_s=number("PINGBACK_LOG_REPEAT_INTERVAL_SECONDS", defaults.log_repeat_interval_s, 1),
            uvloop=flag("PINGBACK_UVLOOP", defaults.uvloop),
            dead_letter_keep_bytes=number("PINGBACK_DEAD_LETTER_KEEP_BYTES", defaults.dead_letter_keep_bytes, 0),
            stall_s=number("PINGBACK_STALL_SECONDS", defaults.stall_s, 1),
            report_threads=number("PINGBACK_REPORT_THREADS", defaults.report_threads, 1),
            report_concurrency_per_account=number(
                "PINGBACK_REPORT_CONCURRENCY_PER_ACCOUNT", defaults.report_concurrency_per_account, 1
            ),
            report_queue_limit=number("PINGBACK_REPORT_QUEUE_LIMIT", defaults.report_queue_limit, 1),
        )

    @property
    def worker_url(self) -> str:
        return self.advertised_url or f"http://{self.web_host}:{self.web_port}"

    @property
    def bootstrap_servers(self) -> str:
        """Where Kafka is, for messages (how to connect is `kafka`)."""
        return self.kafka.bootstrap_servers
