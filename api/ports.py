"""The narrow interfaces the HTTP layer needs from whoever hosts it, and what they may raise.

The API knows nothing about Faust, tables or rebalances: the worker passes in objects that
satisfy these protocols, and tests pass in small in-memory fakes.
"""

from __future__ import annotations

from typing import Any, Protocol

from api.keys import ApiKey

# The SPEC §3 overview as the metric core computes it; `api.openapi.OVERVIEW_SCHEMA` is its
# precise shape, checked at the HTTP boundary rather than re-declared here.
Overview = dict[str, Any]


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
