"""What the API reads from this worker: local views for owned accounts (else the owner's address), and readiness."""

from __future__ import annotations

from collections.abc import Callable

import faust

from analytics.agents_now import AgentsNow
from analytics.figures import Overview, Report
from analytics.report import ReportQuery
from api.ports import RETRY_AFTER_S, NotReady, OwnedElsewhere
from streams.keyring import KeyRing
from streams.live_state import LiveState
from streams.settings import Settings
from streams.stall import StallDetector
from streams.topology import raw


class OverviewRouter:
    """`api.ports.OverviewSource`, `ReportSource`, `AgentsSource` and `ChangeSource`: local views for owned accounts, else the owner's address."""

    def __init__(self, app: faust.App, settings: Settings, state: LiveState, clock_us: Callable[[], int]) -> None:
        self._app, self._state, self._clock_us = app, state, clock_us
        self._routing_topic = app.topic(settings.conversation_topic, **raw())

    async def overview(self, account_id: str) -> Overview:
        self._ensure_local(account_id)
        return self._state.overview(account_id, self._clock_us())

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        self._ensure_local(account_id)
        return self._state.prepare_report(account_id, query)

    async def agents_now(self, account_id: str) -> AgentsNow:
        self._ensure_local(account_id)
        return self._state.agents_now(account_id, self._clock_us())

    def version(self, account_id: str) -> int:
        """`ChangeSource.version` and `ReportSource.version` (the views' version covers both)."""
        self._ensure_local(account_id)
        return self._state.version(account_id, self._clock_us())

    def _ensure_local(self, account_id: str) -> None:
        """Return when this worker owns the account; else raise NotReady or OwnedElsewhere."""
        if self._state.owns(account_id):
            return
        try:
            owner = self._app.router.external_topic_key_store(self._routing_topic, account_id.encode())
        except KeyError:
            raise NotReady(RETRY_AFTER_S, "no worker owns the account's partition yet") from None
        if str(owner).rstrip("/") == str(self._app.conf.canonical_url).rstrip("/"):
            # The assignment says it is ours, but recovery has not finished taking it over.
            raise NotReady(RETRY_AFTER_S, "the account's partition is being recovered here")
        raise OwnedElsewhere(str(owner))


class WorkerReadiness:
    """`api.ports.Readiness`: keys loaded, state recovered, backlog caught up, and no partition stalled."""

    def __init__(self, state: LiveState, keyring: KeyRing, stalls: StallDetector) -> None:
        self._state, self._keyring, self._stalls = state, keyring, stalls

    def is_ready(self) -> tuple[bool, str]:
        if not self._keyring.loaded.is_set():
            return False, "loading API keys"
        alive, stall = self._stalls.health()
        ready, reason = self._state.readiness()
        if not alive:
            return False, f"{stall}; {reason}"
        return ready, reason

    def is_alive(self) -> tuple[bool, str]:
        return self._stalls.health()
