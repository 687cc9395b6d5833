"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from api.ports import Readiness
from api.responses import ORJSONResponse, error_response

Endpoint = Callable[[Request], Awaitable[Response]]


def healthz(readiness: Readiness) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        # Answering is most of the proof of life (dependencies belong to /readyz); a process that
        # answers but has stopped making progress asks to be restarted instead of serving frozen figures.
        alive, reason = readiness.is_alive()
        if alive:
            return ORJSONResponse({"status": "ok"})
        return error_response(503, "unhealthy", reason)

    return endpoint


def readyz(readiness: Readiness) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        ready, reason = readiness.is_ready()
        if ready:
            return ORJSONResponse({"status": "ready", "reason": reason})
        return error_response(503, "not_ready", reason)

    return endpoint


def metrics(registry: CollectorRegistry) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return endpoint
