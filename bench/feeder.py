"""Events folded into a live state at a steady rate while a benchmark loads its API.

The overview is rendered once per view version, so a benchmark whose data never changes measures
the memo, and "flat from 1k to 1M conversations" holds by construction. `folding(...)` runs the
production fold (`streams.ingest.Ingestor`, as the worker calls it per record) on the same event
loop that serves the API, as the worker does: every event below changes the account's figures
(a resolution, a reopen, a rating), so each one invalidates the rendered overview.

The feeder's conversations are a small pool of its own (created before the measurement starts),
so the account's size stays what the benchmark built; its fact tables are plain dicts.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson

from streams.ingest import Accepted, Ingestor, Record
from streams.live_state import LiveState
from streams.topology import wall_clock_us

TICK_S = 0.01  # events due are folded every tick, in one go, as a fetched batch would be
MAX_AHEAD_US = 300 * 10**6
POOL = 100


def _event(account: str, conversation: int, n: int, kind: str, **fields: Any) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"feed-{n}",
            "type": kind,
            "account_id": account,
            "occurred_at": datetime.now(UTC).isoformat(),
            "conversation_id": f"feed-{conversation}",
            **fields,
        }
    )


def lifecycle(account: str) -> Iterator[bytes]:
    """The pool's conversations created, then round after round: each resolved, rated, reopened."""
    ids = itertools.count()
    for conversation in range(POOL):
        yield _event(account, conversation, next(ids), "conversation.created", channel="widget")
    for turn in itertools.count():
        for conversation in range(POOL):
            n = next(ids)
            match turn % 3:
                case 0:
                    yield _event(
                        account, conversation, n, "conversation.status_changed", status="resolved", agent_id="agt_00"
                    )
                case 1:
                    yield _event(account, conversation, n, "conversation.rated", rating=1 + n % 5)
                case _:
                    yield _event(account, conversation, n, "conversation.status_changed", status="open")


class Feeder:
    def __init__(self, state: LiveState, account: str) -> None:
        self._ingestor = Ingestor(
            conversations={},
            agents={},
            views=state.views,
            max_ahead_us=MAX_AHEAD_US,
            clock_us=wall_clock_us,
            partition_of=state.partition_of,
        )
        self._partition = state.partition_of(account)
        self._key = account.encode()
        self._events = lifecycle(account)
        self.folded = 0
        self.fold(POOL)  # the pool exists before anything is measured

    def fold(self, count: int) -> None:
        for _ in range(count):
            outcome = self._ingestor.ingest(
                Record("conversations", self._partition, self.folded, self._key, next(self._events))
            )
            if not isinstance(outcome, Accepted):
                raise AssertionError(f"the feeder's event was not folded: {outcome}")
            self.folded += 1


@asynccontextmanager
async def folding(feeder: Feeder | None, events_per_s: float) -> AsyncIterator[dict[str, float]]:
    """Fold `events_per_s` (none without a feeder or at 0) while the body runs; yields a dict that
    holds what was folded once the body is done."""
    figures: dict[str, float] = {"events_per_s_asked": events_per_s}
    if feeder is None or events_per_s <= 0:
        yield figures | {"events": 0, "events_per_s": 0}
        return

    async def feed(feeder: Feeder) -> None:
        while True:
            due = int((time.perf_counter() - started) * events_per_s) - (feeder.folded - before)
            feeder.fold(due)
            await asyncio.sleep(TICK_S)

    before, started = feeder.folded, time.perf_counter()
    task = asyncio.create_task(feed(feeder))
    try:
        yield figures
    finally:
        task.cancel()
        try:
            await task  # re-raises what stopped the feeder early, if anything did
        except asyncio.CancelledError:
            pass
        folded, seconds = feeder.folded - before, time.perf_counter() - started
        figures |= {"events": folded, "events_per_s": round(folded / seconds)}
