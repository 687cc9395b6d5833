"""The narrow interfaces the HTTP layer needs from whoever hosts it, and what they may raise.

The API knows nothing about Faust, tables or rebalances: the worker passes in objects that
satisfy these protocols, and tests pass in small in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from analytics.agents_now import AgentsNow
from analytics.figures import Overview, Report
from analytics.report import ReportQuery
from api.keys import ApiKey

__all__ = ["Overview"]  # the SPEC §3 figure set (analytics.figures), what OverviewSource answers


# What a 503 asks a client to wait while state moves: a rebalance, a recovery, loading the keys
# and an ownership move all settle within seconds.
RETRY_AFTER_S = 2


class NotReady(Exception):
    """The account's state is recovering or rebalancing: answer 503, never a partial figure."""

    def __init__(self, retry_after_s: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s
        self.reason = reason


class OwnedElsewhere(Exception):
    """Another worker owns the account's partition; `url` is its base URL. The API forwards there."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class OverviewSource(Protocol):
    async def overview(self, account_id: str) -> Overview:
        """The SPEC §3 overview of `account_id` as of now.

        Raises `NotReady` while it cannot be exact here, and `OwnedElsewhere` when another worker
        holds the account's state (the API then forwards the request there).
        """
        ...


class ReportSource(Protocol):
    def version(self, account_id: str) -> int:
        """As `ChangeSource.version`, for every report figure as well: equal numbers mean equal
        reports of `account_id` for any query at one T. Cheap and synchronous; raises exactly as
        `OverviewSource.overview`."""
        ...

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        """What computes the SPEC §4 report of `account_id` for `query`, prepared cheaply on the event loop.

        The returned function may run in another thread while the account keeps changing. Raises
        exactly as `OverviewSource.overview` (here, not when the function runs).
        """
        ...


class AgentsSource(Protocol):
    async def agents_now(self, account_id: str) -> AgentsNow:
        """The agents of `account_id` live or away now, and since when; raises exactly as `OverviewSource.overview`."""
        ...


class ChangeSource(Protocol):
    def version(self, account_id: str) -> int:
        """A number that changes whenever the overview of `account_id` may have changed, including
        when the 30-day window slides past an item; equal numbers mean equal figures.

        Polled a few times a second per streamed account, so it must be cheap and synchronous.
        Raises `NotReady` and `OwnedElsewhere` exactly as `OverviewSource.overview` would.
        """
        ...


class KeyLookup(Protocol):
    def get(self, key_id: str) -> ApiKey | None:
        """The stored record for `key_id` (revoked ones included), or None if there is none.

        Raises `NotReady` while the keys are still being loaded, when "none" would not be known yet.
        """
        ...


class Readiness(Protocol):
    def is_ready(self) -> tuple[bool, str]:
        """Whether this process can serve traffic, and a human-readable reason either way."""
        ...

    def is_alive(self) -> tuple[bool, str]:
        """False when the process should be restarted (e.g. it stopped making progress), with why."""
        ...


class EventSink(Protocol):
    """Where accepted events go: the event topics (the worker passes a Kafka producer)."""

    async def send(self, account_id: str, events: Sequence[tuple[str, bytes]]) -> None:
        """Produce each `(event type, JSON value)`, keyed by `account_id`, to its type's topic, and
        return only once Kafka has acknowledged every one of them from all in-sync replicas.

        Raises `NotReady` when Kafka cannot take them (some may have been written: the caller's
        retry is harmless, since the fold deduplicates by `event_id`).
        """
        ...

    async def dead_letter(self, account_id: str, value: bytes) -> None:
        """Produce a dead-letter record (see `events.dead_letter`) keyed by `account_id`, acknowledged
        as `send` is; raises `NotReady` likewise."""
        ...
