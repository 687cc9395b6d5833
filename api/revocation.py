"""Ending open streams whose key has been revoked, as quickly as a plain request would be refused.

A request is authenticated once, but a stream lives for hours: without this, a stream opened before
`pingback keys revoke` would go on receiving figures. `RevocationWatch` follows the key of every open
stream (local or relayed) and, within one `poll_s` of the key lookup seeing the key revoked or gone,
marks the stream's `Revoked` and wakes it; the stream then sends `event: unauthorized` and ends.

Polling the `KeyLookup` (a dict lookup per distinct streamed key, a few times a second) rather than
being told by the key store keeps `api.ports.KeyLookup` as narrow as it is and works with any host.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import orjson

from api import sse
from api.ports import KeyLookup, NotReady

# The same words a 401 uses (api.auth), so a client shows one message for both.
UNAUTHORIZED = sse.event(
    "unauthorized",
    orjson.dumps({"error": "invalid_token", "message": "The bearer token is unknown or revoked."}),
)


class Revoked:
    """Set once, when the stream's key is revoked; runs the wake-ups registered with `on_set`."""

    __slots__ = ("_wakers", "event")

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self._wakers: list[Callable[[], None]] = []

    def is_set(self) -> bool:
        return self.event.is_set()

    def on_set(self, waker: Callable[[], None]) -> None:
        self._wakers.append(waker)
        if self.event.is_set():
            waker()

    def set(self) -> None:
        if self.event.is_set():
            return
        self.event.set()
        for waker in self._wakers:
            waker()


class RevocationWatch:
    """Watches the keys of open streams; one ticker task for all of them, only while there are any."""

    def __init__(self, keys: KeyLookup, *, poll_s: float) -> None:
        self._keys = keys
        self._poll_s = poll_s
        self._watched: dict[str, set[Revoked]] = {}
        self._ticker: asyncio.Task[None] | None = None

    @property
    def keys(self) -> int:
        """How many distinct keys have open streams."""
        return len(self._watched)

    @contextmanager
    def watch(self, key_id: str) -> Iterator[Revoked]:
        revoked = Revoked()
        self._watched.setdefault(key_id, set()).add(revoked)
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())
        try:
            yield revoked
        finally:
            streams = self._watched.get(key_id)
            if streams is not None:
                streams.discard(revoked)
                if not streams:
                    del self._watched[key_id]

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def _tick(self) -> None:
        while self._watched:
            await asyncio.sleep(self._poll_s)
            for key_id, streams in list(self._watched.items()):
                if self._is_revoked(key_id):
                    for revoked in list(streams):
                        revoked.set()
        self._ticker = None

    def _is_revoked(self, key_id: str) -> bool:
        try:
            key = self._keys.get(key_id)
        except NotReady:  # the keys are reloading: nothing is known to be revoked yet
            return False
        # A key that is gone (a tombstone on the keys topic) authorises nobody any more, either.
        return key is None or key.revoked
