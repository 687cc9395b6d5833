"""The production `streams.ingest.Ingestor` over plain dicts, fed decoded events: event → record →
facts → views exactly as the worker folds them, without Kafka."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from analytics.facts import decode_agent_facts, decode_conversation_facts
from analytics.window import Views
from events.schema import Event
from streams.ingest import Accepted, Ingestor, Record, account_of
from streams.partitioning import partitioner

_PARTITIONS = 8
_partition_of = partitioner(_PARTITIONS)


class Folded:
    """Facts tables keyed like the stream shell's, and the views derived from them."""

    def __init__(self) -> None:
        self.conversations: dict[bytes, bytes] = {}
        self.agents: dict[bytes, bytes] = {}
        self.views = Views()
        self._now_us = 0
        self._ingestor = Ingestor(
            conversations=self.conversations,
            agents=self.agents,
            views=self.views,
            max_ahead_us=2**62,  # the events of these tests are valid whatever the clock says
            clock_us=lambda: self._now_us,
            partition_of=_partition_of,
        )

    def feed(self, event: Event, now_us: int) -> None:
        self._now_us = now_us
        key = event.account_id.encode()
        record = Record("events", _partition_of(event.account_id), 0, key, msgspec.json.encode(event))
        outcome = self._ingestor.ingest(record)
        assert isinstance(outcome, Accepted), outcome

    def feed_all(self, events: Iterable[Event], now_us: int) -> Folded:
        for event in events:
            self.feed(event, now_us)
        return self

    def rebuilt(self, now_us: int) -> Views:
        """Fresh views derived from the current facts alone."""
        views = Views()
        views.rebuild(
            ((account_of(key), decode_conversation_facts(value)) for key, value in self.conversations.items()),
            ((account_of(key), decode_agent_facts(value)) for key, value in self.agents.items()),
            now_us,
        )
        return views

    def overview(self, account_id: str, now_us: int) -> dict[str, Any]:
        """As JSON would carry it, to compare with the reference's dicts."""
        return msgspec.to_builtins(self.views.overview(account_id, now_us))  # type: ignore[no-any-return]
