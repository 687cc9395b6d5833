"""`GET /api/v1/analytics/overview/stream`: the overview as Server-Sent Events.

On connect the client gets a `retry:` hint and, as soon as it is known, `event: overview` (the
same JSON as the overview endpoint, `id:` = the figures' version); then a new one whenever the
figures change (at most one per poll tick), `event: unavailable` while they cannot be exact, and a
`: heartbeat` comment after each idle `heartbeat_s`. When another worker owns the account, that
worker's stream is relayed (within the caps of `api.relay_limits`: a new stream over them is a 503,
a stream whose account moves away and cannot be relayed ends with `unavailable`). The stream ends when the client leaves or the server shuts down, and
with `event: unauthorized` once its key is revoked (see `api.revocation`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from api import sse
from api.broadcast import BroadcastHub, Moved
from api.keys import ApiKey
from api.relay_limits import STREAMS_RETRY_AFTER_S, RelaySlots
from api.responses import error_response
from api.revocation import UNAUTHORIZED, RevocationWatch, Revoked
from api.stream_relay import StreamRelay

STREAM_PATH = "/api/v1/analytics/overview/stream"


@dataclass(frozen=True)
class StreamSettings:
    # A comment this often keeps idle connections open through proxies (many cut at 30-60 s).
    heartbeat_s: float = 15.0
    # How often changed figures are looked for: also the coalescing period (at most 4 events/s).
    # Revoked keys are looked for as often.
    poll_s: float = 0.25
    # Sent as `retry:`: what a client waits before reconnecting after the stream ends.
    retry_ms: int = 2000
    # Streams this worker relays from the accounts' owners, per account and in total.
    max_relayed_per_account: int = 100
    max_relayed: int = 1000


DEFAULT_STREAM = StreamSettings()
TOO_MANY = "too_many_streams"
_HEADERS = {
    "Cache-Control": "no-store",
    # Tells nginx-style proxies not to buffer, or events would arrive in bursts.
    "X-Accel-Buffering": "no",
}


class OverviewStream:
    """An account endpoint (see `api.auth.BearerAuth`) streaming the overview of the key's account."""

    def __init__(
        self, hub: BroadcastHub, relay: StreamRelay, revocations: RevocationWatch, settings: StreamSettings
    ) -> None:
        self._hub = hub
        self._relay = relay
        self._revocations = revocations
        self._settings = settings
        self._slots = RelaySlots(per_account=settings.max_relayed_per_account, total=settings.max_relayed)

    async def __call__(self, request: Request, key: ApiKey) -> Response:
        owner = self._hub.owner_elsewhere(key.account_id)
        if owner is None:
            return StreamingResponse(self._events(request, key, None), media_type=sse.MEDIA_TYPE, headers=_HEADERS)
        refused = self._slots.acquire(key.account_id)
        if refused is not None:
            headers = {"Retry-After": str(STREAMS_RETRY_AFTER_S), "Cache-Control": "no-store"}
            return error_response(503, TOO_MANY, refused, headers=headers)
        return _Holding(self._events(request, key, owner), lambda: self._slots.release(key.account_id))

    async def _events(self, request: Request, key: ApiKey, relay_to: str | None) -> AsyncIterator[bytes]:
        """The stream; `relay_to` is the owner's URL when a relay slot is already held for it."""
        yield sse.retry(self._settings.retry_ms)
        with self._revocations.watch(key.key_id) as revoked:
            if relay_to is not None:
                async for chunk in self._relay.relay(request, relay_to, revoked.event):
                    yield chunk
            else:
                moved: Moved | None = None
                async with self._hub.subscribe(key.account_id) as mailbox:
                    revoked.on_set(mailbox.close)
                    while moved is None:
                        update = await mailbox.take(self._settings.heartbeat_s)
                        if mailbox.closed:
                            break
                        if update is None:
                            yield sse.HEARTBEAT
                        elif isinstance(update, Moved):
                            moved = update
                        else:
                            yield update
                # Outside the subscription, so this worker stops following an account it no longer holds.
                if moved is not None and not revoked.is_set():
                    async for chunk in self._relay_moved(request, key.account_id, moved.url, revoked):
                        yield chunk
            if revoked.is_set():
                yield UNAUTHORIZED

    async def _relay_moved(
        self, request: Request, account_id: str, owner: str, revoked: Revoked
    ) -> AsyncIterator[bytes]:
        refused = self._slots.acquire(account_id)
        if refused is not None:
            yield sse.unavailable(refused, error=TOO_MANY)
            return
        try:
            async for chunk in self._relay.relay(request, owner, revoked.event):
                yield chunk
        finally:
            self._slots.release(account_id)


class _Holding(StreamingResponse):
    """A relayed stream that gives its slot back however it ends, even if it never started."""

    def __init__(self, content: AsyncIterator[bytes], release: Callable[[], None]) -> None:
        super().__init__(content, media_type=sse.MEDIA_TYPE, headers=_HEADERS)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
