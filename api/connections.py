"""Connection limits for the uvicorn server that carries the API (plain uvicorn has none that fit).

Out of the box uvicorn keeps a connection that never sends a request forever, and one that sends a
header byte now and then too (slowloris); enough of them exhaust the worker's file descriptors and
`/healthz` stops answering. `uvicorn_options(limits)` gives a server that:

- closes a connection whose request head has not fully arrived `header_timeout_s` after it opened or
  after its previous response (`timeout_keep_alive` closes one that sends nothing after a response);
- beyond `max_connections` open connections, accepts `probe_reserve` more whose requests get only the
  probes (`/healthz`, `/readyz`, `/metrics`), anything else a fast 503 `overloaded`, and which must
  send their request within `OVERFLOW_HEADER_TIMEOUT_S`; beyond those, closes new connections at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from dataclasses import dataclass
from typing import Any

import h11
import orjson
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

# The probes an orchestrator needs most when the server is at its limit (the paths of api.app).
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# A probe sends its request at once; a connection in the reserve that does not is closed soon.
OVERFLOW_HEADER_TIMEOUT_S = 1.0
OVERLOADED_RETRY_AFTER_S = 5


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 4096
    probe_reserve: int = 16
    header_timeout_s: float = 10.0
    keep_alive_timeout_s: float = 5.0


def uvicorn_options(limits: ConnectionLimits) -> dict[str, Any]:
    """The `uvicorn.Config` keyword arguments that apply `limits`."""
    protocol = type("LimitedH11Protocol", (LimitedH11Protocol,), {"limits": limits})
    return {"http": protocol, "timeout_keep_alive": limits.keep_alive_timeout_s}


def make_descriptor_room(limits: ConnectionLimits, others: int) -> None:
    """Raise this process's soft open-file limit (up to the hard one) to fit the connection limit plus
    `others` descriptors (outgoing relays, Kafka clients, RocksDB), so that the connection limit, not
    "Too many open files", is what turns clients away; warn when the hard limit is too low for that."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + limits.probe_reserve + others
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
    if raised < wanted:
        log.warning("the open-file limit (%d) is below the %d descriptors the connection limit needs", raised, wanted)


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the limits above; `limits` is set by `uvicorn_options`."""

    limits: ConnectionLimits

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline: asyncio.TimerHandle | None = None
        open_now = len(self.connections)  # this one included
        if open_now > self.limits.max_connections + self.limits.probe_reserve:
            # Refused at once: an accepted-then-closed socket frees its descriptor right away.
            log.warning("refused a connection: %d open, the limit is %d", open_now - 1, self.limits.max_connections)
            transport.close()
            return
        self._overflow = open_now > self.limits.max_connections
        if self._overflow:
            self.app = _probes_only(self.app)
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        timeout = self.limits.header_timeout_s
        if self._overflow:
            timeout = min(timeout, OVERFLOW_HEADER_TIMEOUT_S)
        self._head_deadline = self.loop.call_later(timeout, self._head_deadline_passed)

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        # Still between requests (no request head parsed since the deadline was set): give up on it.
        between = self.cycle is None or self.cycle.response_complete
        if between and self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()


_OVERLOADED = orjson.dumps({"error": "overloaded", "message": "The server is at its connection limit; retry later."})


def _probes_only(app: ASGIApp) -> ASGIApp:
    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_OVERLOADED)).encode()),
            (b"retry-after", str(OVERLOADED_RETRY_AFTER_S).encode()),
            (b"connection", b"close"),  # frees the reserve slot for the next probe
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": _OVERLOADED})

    return guarded
