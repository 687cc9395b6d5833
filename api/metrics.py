"""Request-latency histogram and the ASGI middleware that feeds it."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Unmatched paths share one label value: raw paths would let any client mint new series.
UNMATCHED_ROUTE = "<unmatched>"
# Likewise for methods: anything outside the standard set is recorded as OTHER.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def request_latency_histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "pingback_http_request_duration_seconds",
        "Time from request start to the end of the response, by route template, method and status.",
        labelnames=("route", "method", "status"),
        registry=registry,
    )


class RequestLatencyMiddleware:
    """Times each HTTP request and records it under its route template, method and status."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self._app = app
        self._histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        # An exception escaping before any response started becomes a 500 further out.
        status = 500
        started = time.perf_counter()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_note_status)
        finally:
            # Starlette's router records the matched route in the (shared) scope.
            route = scope.get("route")
            self._histogram.labels(
                route=getattr(route, "path", UNMATCHED_ROUTE),
                method=scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER",
                status=str(status),
            ).observe(time.perf_counter() - started)
