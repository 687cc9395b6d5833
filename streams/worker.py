"""`pingback worker`: the Faust worker with the Starlette API served from the same process.

The API reads the live views directly (same event loop, no copies). An account owned by another
worker of the group is answered by that worker: `OverviewRouter` (streams.serving) names it, and
the API forwards. `build_worker_app` reads top to bottom: the app and its topology, the API, then
the worker's own tasks and shutdown steps.
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
from starlette.applications import Starlette

from analytics.time import DAY_US, SECOND_US
from analytics.window import Views
from api import access_log
from api.app import create_app
from api.connections import ConnectionLimits, make_descriptor_room, uvicorn_options
from api.ingest import IngestSettings
from api.ports import Readiness
from api.report import ReportSettings
from api.report_pool import ReportLimits
from api.stream import StreamSettings
from streams.app import create_faust_app, use_event_loop
from streams.event_sink import KafkaEventSink
from streams.keyring import KeyRing
from streams.lease import Lease
from streams.live_state import LiveState
from streams.log_limits import limit_repeats
from streams.metrics import ProcessorMetrics
from streams.partitioning import partitioner
from streams.serving import OverviewRouter, WorkerReadiness
from streams.settings import Settings
from streams.topics import ensure_topics
from streams.topology import build_topology, wall_clock_us

# Rebuild mode (pingback.rebuild_command): a coroutine run beside the worker and given its readiness
# and metrics. It returns whether the worker goes on running; if not, the worker stops just as on SIGTERM.
Supervisor = Callable[[Readiness, ProcessorMetrics], Awaitable[bool]]


def build_worker_app(settings: Settings, supervisor: Supervisor | None = None) -> faust.App:
    """The Faust app with its topology and the API mounted; nothing runs until the worker starts."""
    registry = CollectorRegistry()
    state = LiveState(
        views=Views(),
        partition_of=partitioner(settings.partitions),
        lease=Lease(session_timeout_s=settings.session_timeout_s),
    )
    keyring = KeyRing(kafka=settings.kafka, topic=settings.keys_topic)
    # Every worker takes events over HTTP: producing needs no partition ownership.
    sink = KafkaEventSink(settings)

    # -- the app, and its topics → tables → agent → hooks → timers (streams.topology)
    app = create_faust_app(settings)
    metrics = ProcessorMetrics(registry)
    topology = build_topology(app, settings, state=state, metrics=metrics)
    readiness = WorkerReadiness(state, keyring, topology.progress.detector)

    # -- the API, served by uvicorn inside the worker
    router = OverviewRouter(app, settings, state, wall_clock_us)
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
        reports=(router, report_settings(settings)),
        ingest=IngestSettings(sink=sink, max_ahead_us=settings.max_ahead_s * SECOND_US, clock_us=wall_clock_us),
        agents=router,
    )
    limits = ConnectionLimits(
        max_connections=settings.max_connections,
        header_timeout_s=settings.header_timeout_s,
        keep_alive_timeout_s=settings.keep_alive_timeout_s,
    )
    # Each relayed stream also holds a connection to its owner; Kafka clients and RocksDB need some too.
    make_descriptor_room(limits, others=settings.max_relayed_streams + 1024)
    access_log.install()
    serve_asgi(app, api, host=settings.web_host, port=settings.web_port, **uvicorn_options(limits))

    # -- tasks and shutdown
    lifecycle = _Lifecycle(
        keyring=keyring, sink=sink, api=api, readiness=readiness, metrics=metrics, supervisor=supervisor
    )
    app.task(lifecycle.follow_keys)
    if supervisor is not None:
        app.task(lifecycle.supervise)
    app.on_before_shutdown.connect(lifecycle.before_shutdown)
    return app


def report_settings(settings: Settings) -> ReportSettings:
    limits = ReportLimits(
        threads=settings.report_threads,
        per_account=settings.report_concurrency_per_account,
        total=settings.report_queue_limit,
    )
    return ReportSettings(retention_us=settings.retention_days * DAY_US, clock_us=wall_clock_us, limits=limits)


class _Lifecycle:
    """The worker's own tasks and shutdown steps beside Faust's (Faust passes the app to a task that takes arguments)."""

    def __init__(
        self,
        *,
        keyring: KeyRing,
        sink: KafkaEventSink,
        api: Starlette,
        readiness: Readiness,
        metrics: ProcessorMetrics,
        supervisor: Supervisor | None,
    ) -> None:
        self._keyring, self._sink, self._api, self._readiness = keyring, sink, api, readiness
        self._metrics, self._supervisor = metrics, supervisor

    async def follow_keys(self) -> None:
        await self._keyring.follow()

    async def supervise(self) -> None:
        assert self._supervisor is not None
        if not await self._supervisor(self._readiness, self._metrics):
            os.kill(os.getpid(), signal.SIGTERM)

    async def before_shutdown(self, sender: object, **kwargs: object) -> None:
        # uvicorn waits for open responses before it stops: end the wallboard streams first.
        self._api.state.streams.close()
        await self._sink.stop()


class _Worker(faust.Worker):
    log_repeat_interval_s: float = 10.0

    async def on_execute(self) -> None:
        # Called right after the worker has set up logging, so its handlers exist by now.
        await super().on_execute()
        limit_repeats(self.log_repeat_interval_s)


def run_worker(settings: Settings, *, loglevel: str = "info", supervisor: Supervisor | None = None) -> None:
    use_event_loop(settings)
    asyncio.run(ensure_topics(settings))
    app = build_worker_app(settings, supervisor)
    logging.getLogger("faust").setLevel(loglevel.upper())
    worker = _Worker(app, loglevel=loglevel, quiet=True)
    worker.log_repeat_interval_s = settings.log_repeat_interval_s
    worker.execute_from_commandline()
