"""`pingback worker`: the Faust worker with the Starlette API served from the same process.

The API reads the live views directly (same event loop, no copies). An account owned by another
worker of the group is answered by that worker: `OverviewRouter` names it, and the API forwards.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable

import faust
from faust.contrib.asgi import serve_asgi
from prometheus_client import CollectorRegistry

from analytics.agents_now import AgentsNow
from analytics.figures import Overview, Report
from analytics.report import ReportQuery
from analytics.time import DAY_US, SECOND_US
from analytics.window import Views
from api import access_log
from api.app import create_app
from api.connections import ConnectionLimits, make_descriptor_room, uvicorn_options
from api.ingest import IngestSettings
from api.ports import RETRY_AFTER_S, NotReady, OwnedElsewhere, Readiness
from api.report import ReportSettings
from api.stream import StreamSettings
from streams.app import create_faust_app
from streams.event_sink import KafkaEventSink
from streams.keyring import KeyRing
from streams.lease import Lease
from streams.live_state import LiveState
from streams.log_limits import limit_repeats
from streams.metrics import ProcessorMetrics
from streams.partitioning import partitioner
from streams.settings import Settings
from streams.stall import StallDetector
from streams.topics import ensure_topics
from streams.topology import Topology, raw, wall_clock_us

# Rebuild mode (pingback.rebuild_command): a coroutine run beside the worker and given its readiness.
# It returns whether the worker goes on running; if not, the worker stops just as on SIGTERM.
Supervisor = Callable[[Readiness], Awaitable[bool]]


class OverviewRouter:
    """`api.ports.OverviewSource`, `ReportSource`, `AgentsSource` and `ChangeSource`: local views for owned accounts, else the owner's address."""

    def __init__(self, app: faust.App, settings: Settings, state: LiveState, clock_us: Callable[[], int]) -> None:
        self._app, self._state, self._clock_us = app, state, clock_us
        self._routing_topic = app.topic(settings.conversation_topic, **raw())

    async def overview(self, account_id: str) -> Overview:
        self._ensure_local(account_id)
        return self._state.overview(account_id, self._clock_us())

    async def report(self, account_id: str, query: ReportQuery) -> Report:
        self._ensure_local(account_id)
        return self._state.report(account_id, query)

    async def agents_now(self, account_id: str) -> AgentsNow:
        self._ensure_local(account_id)
        return self._state.agents_now(account_id, self._clock_us())

    def version(self, account_id: str) -> int:
        self._ensure_local(account_id)
        return self._state.version(account_id, self._clock_us())

    def _ensure_local(self, account_id: str) -> None:
        """Return when this worker owns the account; else raise NotReady or OwnedElsewhere."""
        if self._state.owns(account_id):
            return
        try:
            owner = self._app.router.external_topic_key_store(self._routing_topic, account_id.encode())
        except KeyError:
            raise NotReady(RETRY_AFTER_S, "no worker owns the account's partition yet") from None
        if str(owner).rstrip("/") == str(self._app.conf.canonical_url).rstrip("/"):
            # The assignment says it is ours, but recovery has not finished taking it over.
            raise NotReady(RETRY_AFTER_S, "the account's partition is being recovered here")
        raise OwnedElsewhere(str(owner))


class WorkerReadiness:
    """`api.ports.Readiness`: keys loaded, state recovered, backlog caught up, and no partition stalled."""

    def __init__(self, state: LiveState, keyring: KeyRing, stalls: StallDetector) -> None:
        self._state, self._keyring, self._stalls = state, keyring, stalls

    def is_ready(self) -> tuple[bool, str]:
        if not self._keyring.loaded.is_set():
            return False, "loading API keys"
        alive, stall = self._stalls.health()
        ready, reason = self._state.readiness()
        if not alive:
            return False, f"{stall}; {reason}"
        return ready, reason

    def is_alive(self) -> tuple[bool, str]:
        return self._stalls.health()


def build_worker_app(settings: Settings, supervisor: Supervisor | None = None) -> faust.App:
    """The Faust app with its topology and the API mounted; nothing runs until the worker starts."""
    registry = CollectorRegistry()
    app = create_faust_app(settings)
    state = LiveState(
        views=Views(),
        partition_of=partitioner(settings.partitions),
        lease=Lease(session_timeout_s=settings.session_timeout_s),
    )
    topology = Topology(app, settings, state=state, metrics=ProcessorMetrics(registry))
    keyring = KeyRing(bootstrap_servers=settings.bootstrap_list, topic=settings.keys_topic)

    @app.task
    async def follow_keys() -> None:
        await keyring.follow()

    readiness = WorkerReadiness(state, keyring, topology.progress.detector)
    if supervisor is not None:

        @app.task
        async def supervise() -> None:
            if not await supervisor(readiness):
                os.kill(os.getpid(), signal.SIGTERM)

    router = OverviewRouter(app, settings, state, wall_clock_us)
    # Every worker takes events over HTTP: producing needs no partition ownership.
    sink = KafkaEventSink(settings)
    api = create_app(
        overviews=router,
        changes=router,
        keys=keyring,
        readiness=readiness,
        registry=registry,
        stream=StreamSettings(
            heartbeat_s=settings.stream_heartbeat_s,
            max_relayed_per_account=settings.max_relayed_streams_per_account,
            max_relayed=settings.max_relayed_streams,
        ),
        reports=(router, ReportSettings(retention_us=settings.retention_days * DAY_US, clock_us=wall_clock_us)),
        ingest=IngestSettings(sink=sink, max_ahead_us=settings.max_ahead_s * SECOND_US, clock_us=wall_clock_us),
        agents=router,
    )

    @app.on_before_shutdown.connect
    async def stop_sink(sender: object, **kwargs: object) -> None:
        await sink.stop()

    @app.on_before_shutdown.connect
    async def close_streams(sender: object, **kwargs: object) -> None:
        # uvicorn waits for open responses before it stops: end the wallboard streams first.
        api.state.streams.close()

    limits = ConnectionLimits(
        max_connections=settings.max_connections,
        header_timeout_s=settings.header_timeout_s,
        keep_alive_timeout_s=settings.keep_alive_timeout_s,
    )
    # Each relayed stream also holds a connection to its owner; Kafka clients and RocksDB need some too.
    make_descriptor_room(limits, others=settings.max_relayed_streams + 1024)
    access_log.install()
    serve_asgi(app, api, host=settings.web_host, port=settings.web_port, **uvicorn_options(limits))
    return app


class _Worker(faust.Worker):
    log_repeat_interval_s: float = 10.0

    async def on_execute(self) -> None:
        # Called right after the worker has set up logging, so its handlers exist by now.
        await super().on_execute()
        limit_repeats(self.log_repeat_interval_s)


def run_worker(settings: Settings, *, loglevel: str = "info", supervisor: Supervisor | None = None) -> None:
    asyncio.run(ensure_topics(settings))
    app = build_worker_app(settings, supervisor)
    logging.getLogger("faust").setLevel(loglevel.upper())
    worker = _Worker(app, loglevel=loglevel, quiet=True)
    worker.log_repeat_interval_s = settings.log_repeat_interval_s
    worker.execute_from_commandline()
