"""`GET /api/v1/analytics/overview/stream`: the overview as Server-Sent Events.

On connect the client gets a `retry:` hint and, as soon as it is known, `event: overview` (the
same JSON as the overview endpoint, `id:` = the figures' version); then a new one whenever the
figures change (at most one per poll tick), `event: unavailable` while they cannot be exact, and a
`: heartbeat` comment after each idle `heartbeat_s`. When another worker owns the account, that
worker's stream is relayed. The stream ends when the client leaves or the server shuts down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api import sse
from api.broadcast import BroadcastHub, Moved
from api.keys import ApiKey
from api.stream_relay import StreamRelay

STREAM_PATH = "/api/v1/analytics/overview/stream"


@dataclass(frozen=True)
class StreamSettings:
    # A comment this often keeps idle connections open through proxies (many cut at 30-60 s).
    heartbeat_s: float = 15.0
    # How often changed figures are looked for: also the coalescing period (at most 4 events/s).
    poll_s: float = 0.25
    # Sent as `retry:`: what a client waits before reconnecting after the stream ends.
    retry_ms: int = 2000


DEFAULT_STREAM = StreamSettings()


class OverviewStream:
    """An account endpoint (see `api.auth.BearerAuth`) streaming the overview of the key's account."""

    def __init__(self, hub: BroadcastHub, relay: StreamRelay, settings: StreamSettings) -> None:
        self._hub = hub
        self._relay = relay
        self._settings = settings

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        headers = {
            "Cache-Control": "no-store",
            # Tells nginx-style proxies not to buffer, or events would arrive in bursts.
            "X-Accel-Buffering": "no",
        }
        return StreamingResponse(self._events(request, key.account_id), media_type=sse.MEDIA_TYPE, headers=headers)

    async def _events(self, request: Request, account_id: str) -> AsyncIterator[bytes]:
        yield sse.retry(self._settings.retry_ms)
        moved: Moved | None = None
        async with self._hub.subscribe(account_id) as mailbox:
            while moved is None:
                update = await mailbox.take(self._settings.heartbeat_s)
                if mailbox.closed:
                    return
                if update is None:
                    yield sse.HEARTBEAT
                elif isinstance(update, Moved):
                    moved = update
                else:
                    yield update
        # Outside the subscription, so this worker stops following an account it no longer holds.
        async for chunk in self._relay.relay(request, moved.url):
            yield chunk
