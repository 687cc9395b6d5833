"""Forgetting state, only as SPEC §2 allows: resolved (or never created) conversations quiet for the
retention, and agents' status changes older than it (but the latest of those, which gives the status
at the horizon).

A forgotten conversation is deleted from the facts table, which writes a tombstone to the
changelog. Faust writes a changelog record to the partition of the record being processed, so
a sweep runs inside the agent, while it handles a record of partition p, and deletes only keys
whose account lives on p. Sweeps are rare (once per `interval_s` per partition) and cost one pass
over the partition's conversations; the views lose nothing, since a forgettable conversation has
no item inside the 30-day window and is not open.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, MutableMapping

from analytics.facts import (
    check_retention_us,
    decode_agent_facts,
    decode_conversation_facts,
    encode_facts,
    forget_agent_history,
    is_forgettable,
)
from analytics.window import Views
from streams.ingest import account_of


class RetentionSweeper:
    def __init__(
        self,
        *,
        conversations: MutableMapping[bytes, bytes],
        agents: MutableMapping[bytes, bytes],
        views: Views,
        partition_of: Callable[[str], int],
        retention_us: int,
        interval_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conversations = conversations
        self._agents = agents
        self._views = views
        self._partition_of = partition_of
        self._retention_us = check_retention_us(retention_us)
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._last_sweep: dict[int, float] = {}

    def due(self, partition: int) -> bool:
        """True at most once per interval per partition; the first record of a partition starts the clock."""
        now = self._monotonic()
        last = self._last_sweep.setdefault(partition, now)
        if now - last < self._interval_s:
            return False
        self._last_sweep[partition] = now
        return True

    def sweep(self, partition: int, now_us: int) -> int:
        """Delete the forgettable conversations of `partition`, trim its agents' histories; returns
        how many conversations went."""
        doomed = list(self._forgettable(self._conversations.items(), partition, now_us))
        for key, facts in doomed:
            self._views.apply_conversation(account_of(key), facts, None, now_us)
            del self._conversations[key]
        horizon_us = now_us - self._retention_us
        trimmed = []
        for key, value in self._agents.items():
            if self._partition_of(account_of(key)) == partition:
                facts = decode_agent_facts(value)
                kept = forget_agent_history(facts, horizon_us)
                if kept is not facts:
                    trimmed.append((key, facts, kept))
        for key, facts, kept in trimmed:
            self._views.apply_agent(account_of(key), facts, kept, now_us)
            self._agents[key] = encode_facts(kept)
        return len(doomed)

    def _forgettable(self, items: Iterable[tuple[bytes, bytes]], partition: int, now_us: int) -> Iterable:
        for key, value in items:
            if self._partition_of(account_of(key)) != partition:
                continue
            facts = decode_conversation_facts(value)
            if is_forgettable(facts, now_us, self._retention_us):
                yield key, facts
