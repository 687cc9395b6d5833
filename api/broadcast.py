"""One overview computation per account change, fanned out to every open stream of that account.

Each account with at least one listener has an `AccountFeed`; a single ticker task polls the cheap
`ChangeSource.version` of every such account every `poll_s` seconds and computes the overview only
when the version moved. That also coalesces bursts: at most one computation (and one event) per
account per tick. The encoded frame goes to every listener's `Mailbox`, which keeps only the newest,
so a slow reader skips intermediate updates and never holds anyone else up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import msgspec

from api import sse
from api.ports import ChangeSource, NotReady, OverviewSource, OwnedElsewhere

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Moved:
    """Another worker owns the account now; `url` is its base URL."""

    url: str


Update = bytes | Moved  # a ready-to-send SSE frame, or where to follow the account


class Clock(Protocol):
    """What the ticker waits on between polls: the loop's monotonic clock, or a test's fake one."""

    async def sleep(self, seconds: float) -> None: ...


class _LoopClock:
    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


MONOTONIC: Clock = _LoopClock()


class Mailbox:
    """One listener's inbox, holding only the newest update it has not taken yet."""

    __slots__ = ("_signal", "_update", "closed")

    def __init__(self) -> None:
        self._update: Update | None = None
        self._signal = asyncio.Event()
        self.closed = False

    def put(self, update: Update) -> None:
        self._update = update
        self._signal.set()

    def close(self) -> None:
        self.closed = True
        self._signal.set()

    async def take(self, idle_s: float) -> Update | None:
        """The newest update, or None after `idle_s` seconds without one or once closed."""
        if not self._signal.is_set():
            try:
                async with asyncio.timeout(idle_s):
                    await self._signal.wait()
            except TimeoutError:
                return None
        if self.closed:
            return None
        self._signal.clear()
        update, self._update = self._update, None
        return update


class AccountFeed:
    """The listeners of one account and what they were last sent."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.listeners: set[Mailbox] = set()
        self.latest: Update | None = None  # what a new listener gets at once
        self.version: int | None = None  # of the figures in `latest`; None forces a computation
        self.figures: bytes | None = None  # the JSON last sent, to skip versions that change nothing
        self.refreshing = False

    def publish(self, update: Update) -> None:
        self.latest = update
        for mailbox in self.listeners:
            mailbox.put(update)


class BroadcastHub:
    """Per-account feeds, created with their first listener and dropped with their last."""

    def __init__(
        self, overviews: OverviewSource, changes: ChangeSource, *, poll_s: float, clock: Clock = MONOTONIC
    ) -> None:
        self._overviews = overviews
        self._changes = changes
        self._poll_s = poll_s
        self._clock = clock
        self._feeds: dict[str, AccountFeed] = {}
        self._ticker: asyncio.Task[None] | None = None
        self.stopped = asyncio.Event()  # set by close(): every stream, relayed ones too, ends

    @property
    def accounts(self) -> int:
        """How many accounts are being followed (each with at least one listener)."""
        return len(self._feeds)

    def owner_elsewhere(self, account_id: str) -> str | None:
        """The owner's URL when another worker holds the account now, so a new stream can go there at once."""
        try:
            self._changes.version(account_id)
        except OwnedElsewhere as elsewhere:
            return elsewhere.url
        except Exception:
            return None
        return None

    @asynccontextmanager
    async def subscribe(self, account_id: str) -> AsyncIterator[Mailbox]:
        mailbox = Mailbox()
        if self.stopped.is_set():
            mailbox.close()
            yield mailbox
            return
        feed = self._feeds.get(account_id)
        first = feed is None
        if feed is None:
            feed = self._feeds[account_id] = AccountFeed(account_id)
        feed.listeners.add(mailbox)
        if feed.latest is not None:
            mailbox.put(feed.latest)
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())
        try:
            if first:
                await self._refresh(feed)  # the first event now, not a tick later
            yield mailbox
        finally:
            feed.listeners.discard(mailbox)
            if not feed.listeners and self._feeds.get(account_id) is feed:
                del self._feeds[account_id]

    def close(self) -> None:
        """End every stream now (server shutdown): their responses complete and uvicorn can stop."""
        self.stopped.set()
        for feed in self._feeds.values():
            for mailbox in feed.listeners:
                mailbox.close()
        self._feeds.clear()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def _tick(self) -> None:
        # One task for all accounts: idle costs one timer, not one per stream or per account.
        while self._feeds:
            await self._clock.sleep(self._poll_s)
            for feed in list(self._feeds.values()):
                await self._refresh(feed)
        self._ticker = None

    async def _refresh(self, feed: AccountFeed) -> None:
        if feed.refreshing:  # a first listener's refresh and the ticker's may overlap
            return
        feed.refreshing = True
        try:
            update = await self._observe(feed)
        finally:
            feed.refreshing = False
        if update is not None and update != feed.latest:
            feed.publish(update)

    async def _observe(self, feed: AccountFeed) -> Update | None:
        """The update the account's listeners need now, or None when nothing changed."""
        try:
            version = self._changes.version(feed.account_id)
            if version == feed.version:
                return None
            figures = msgspec.json.encode(await self._overviews.overview(feed.account_id))
        except NotReady as not_ready:
            feed.version = feed.figures = None
            return sse.unavailable(not_ready.reason)
        except OwnedElsewhere as elsewhere:
            feed.version = feed.figures = None
            return Moved(elsewhere.url)
        except Exception:
            # Like a 500: logged here, and the listeners are told without internals.
            log.exception("computing the overview of account %r for its streams failed", feed.account_id)
            feed.version = feed.figures = None
            return sse.unavailable("The server failed to compute the figures.", error="internal_error")
        feed.version = version
        if figures == feed.figures:
            return None  # e.g. the window slid past nothing that counts
        feed.figures = figures
        return sse.event("overview", figures, version)
