"""`create_app`: the HTTP API as a plain Starlette app, wired only to the interfaces passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api import probes
from api.agents import AGENTS_PATH, AgentsEndpoint
from api.auth import BearerAuth
from api.broadcast import BroadcastHub
from api.errors import EXCEPTION_HANDLERS
from api.forwarding import Forwarder
from api.ingest import IngestSettings
from api.ingest_routes import ingest_routes
from api.metrics import RequestLatencyMiddleware, request_latency_histogram
from api.openapi import openapi_document
from api.overview import OverviewEndpoint
from api.ports import AgentsSource, ChangeSource, KeyLookup, OverviewSource, Readiness, ReportSource
from api.report import REPORT_PATH, ReportEndpoint, ReportSettings
from api.report_pool import ReportPool
from api.responses import ORJSONResponse
from api.revocation import RevocationWatch
from api.stream import DEFAULT_STREAM, STREAM_PATH, OverviewStream, StreamSettings
from api.stream_relay import StreamRelay
from api.wallboard import WALLBOARD_PATH, wallboard

OVERVIEW_PATH = "/api/v1/analytics/overview"
# A worker answers from memory; one that takes longer than this is as good as unreachable.
FORWARD_TIMEOUT_S = 5.0


def create_app(
    *,
    overviews: OverviewSource,
    keys: KeyLookup,
    readiness: Readiness,
    registry: CollectorRegistry,
    forwarding: httpx.AsyncClient | None = None,
    relaying: httpx.AsyncClient | None = None,
    changes: ChangeSource | None = None,
    stream: StreamSettings = DEFAULT_STREAM,
    reports: tuple[ReportSource, ReportSettings] | None = None,
    ingest: IngestSettings | None = None,
    agents: AgentsSource | None = None,
) -> Starlette:
    """The API app.

    `registry` receives the request-latency histogram and is what /metrics shows, so the host can
    register its own collectors on the same one; build one app per registry, as a second
    histogram of the same name would be refused. `forwarding` carries requests for accounts
    another worker owns (see `api.forwarding`), and `relaying` the streams relayed from their owners:
    two clients, so that open streams can never take the connections forwarded requests need. Without
    them, the app makes its own and closes them at shutdown.

    With `reports` (a source and its settings), the app also serves `GET /api/v1/analytics/report`,
    computed in a thread pool of its own (`api.report_pool`, closed at shutdown); with `agents`,
    `GET /api/v1/analytics/agents`.

    With `changes`, the app also serves the overview stream and the wallboard (tuned by `stream`).
    `app.state.streams` is then their `BroadcastHub`: uvicorn waits for open responses to end
    before it runs the lifespan shutdown, so a host that stops the server should call
    `app.state.streams.close()` first (or set uvicorn's `timeout_graceful_shutdown`).

    With `ingest`, the app also takes events over HTTP (`api.ingest_routes`).
    """
    client = forwarding or httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S)
    # No pool limit: relayed streams are capped per account and per worker (`StreamSettings`).
    relay_client = relaying or httpx.AsyncClient(limits=httpx.Limits(max_connections=None))
    streams = None if changes is None else BroadcastHub(overviews, changes, poll_s=stream.poll_s)
    # The threads that compute reports (sized by the settings' limits), for every account.
    report_pool = None if reports is None else ReportPool(reports[1].limits, registry)
    revocations = RevocationWatch(keys, poll_s=stream.poll_s)
    document = openapi_document(
        live=streams is not None, reports=reports is not None, ingest=ingest is not None, agents=agents is not None
    )

    async def openapi_json(request: Request) -> Response:
        return ORJSONResponse(document)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if streams is not None:
            streams.close()
        revocations.close()
        if report_pool is not None:
            report_pool.close()
        if forwarding is None:  # a client passed in belongs to the caller
            await client.aclose()
        if relaying is None:
            await relay_client.aclose()

    overview = OverviewEndpoint(overviews, Forwarder(client))
    routes = [
        Route(OVERVIEW_PATH, BearerAuth(overview, keys), methods=["GET"]),
        Route("/healthz", probes.healthz(readiness), methods=["GET"]),
        Route("/readyz", probes.readyz(readiness), methods=["GET"]),
        Route("/metrics", probes.metrics(registry), methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
    ]
    if reports is not None and report_pool is not None:
        source, settings = reports
        endpoint = ReportEndpoint(source, Forwarder(client), settings, report_pool)
        routes.append(Route(REPORT_PATH, BearerAuth(endpoint, keys), methods=["GET"]))
    if agents is not None:
        routes.append(Route(AGENTS_PATH, BearerAuth(AgentsEndpoint(agents, Forwarder(client)), keys), methods=["GET"]))
    if streams is not None:
        # A relayed stream may be silent for a heartbeat interval; a longer silence means a dead owner.
        relay = StreamRelay(
            relay_client, httpx.Timeout(FORWARD_TIMEOUT_S, read=3 * stream.heartbeat_s), streams.stopped
        )
        routes += [
            Route(STREAM_PATH, BearerAuth(OverviewStream(streams, relay, revocations, stream), keys), methods=["GET"]),
            Route(
                WALLBOARD_PATH,
                wallboard(stream.heartbeat_s, reports=reports is not None and agents is not None),
                methods=["GET"],
            ),
        ]
    if ingest is not None:
        routes += ingest_routes(ingest, keys, registry)
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestLatencyMiddleware, histogram=request_latency_histogram(registry))],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    # An API has exact paths: `/healthz/` is a 404, not a redirect a client must follow.
    app.router.redirect_slashes = False
    app.state.streams = streams
    return app
