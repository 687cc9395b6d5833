"""One Kafka record in, facts and views updated (or a dead letter out). No Faust in here.

The Faust agent is a thin loop around `Ingestor.ingest`; tests drive it with plain dicts.

Crash safety rests on two properties of the facts (see `analytics.facts`): folding is a join,
so re-processing a record after a crash changes nothing; and the views are derived from the
facts, rebuilt from the tables whenever partitions are assigned. The table is written on every
valid record, even when the facts did not change, so a redelivered record re-sends its facts
whatever became of its earlier write; the shell (`streams.fact_tables`) makes a batch's writes
durable before its records are acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import NamedTuple

from analytics.facts import (
    decode_agent_facts,
    decode_conversation_facts,
    encode_facts,
    fold_agent,
    fold_conversation,
)
from analytics.window import Views
from events.dead_letter import DEFAULT_KEEP_BYTES, dead_letter_value
from events.decode import decode_event_at
from events.errors import InvalidEvent
from events.schema import EVENT_TYPES, AgentStatusChanged

# Account ids are `[A-Za-z0-9_.-]`, so "/" can never occur inside one: keys split unambiguously.
KEY_SEPARATOR = b"/"


def fact_key(account_id: str, entity_id: str) -> bytes:
    return account_id.encode() + KEY_SEPARATOR + entity_id.encode()


def account_of(key: bytes) -> str:
    return key.split(KEY_SEPARATOR, 1)[0].decode()


class Record(NamedTuple):
    """The parts of a Kafka record the processor looks at (a tuple: the shell builds one per record)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Accepted:
    account_id: str
    event_type: str


@dataclass(frozen=True)
class Misrouted:
    """A valid event on a partition its account does not live on (e.g. a record without a key).

    Folding it here would split the account's facts across partitions, so the shell re-sends it,
    keyed, to the account's partition and folds nothing now. Re-sending is safe: folding is idempotent.
    """

    account_id: str
    partition: int


@dataclass(frozen=True)
class Rejected:
    reason: str
    kind: str  # the InvalidEvent subclass name: a low-cardinality label for metrics
    dead_letter: bytes
    # The original key keeps the dead letter next to its account's events; bounded like the value.
    dead_letter_key: bytes | None


_TAGS = {event_type: tag for tag, event_type in EVENT_TYPES.items()}
# Accepted outcomes are immutable, so one per (account, event type) serves every event: a dict
# lookup instead of a frozen dataclass per event. Bounded, should account ids be many.
_ACCEPTED_CACHE_SIZE = 4096


class Ingestor:
    """Folds valid records into the fact tables and views; turns invalid ones into dead letters."""

    def __init__(
        self,
        *,
        conversations: MutableMapping[bytes, bytes],
        agents: MutableMapping[bytes, bytes],
        views: Views,
        max_ahead_us: int,
        clock_us: Callable[[], int],
        partition_of: Callable[[str], int],
        dead_letter_keep_bytes: int = DEFAULT_KEEP_BYTES,
    ) -> None:
        self._keep_bytes = dead_letter_keep_bytes
        self._conversations = conversations
        self._agents = agents
        self._views = views
        self._max_ahead_us = max_ahead_us
        self._clock_us = clock_us
        self._partition_of = partition_of
        self._accepted: dict[tuple[str, type], Accepted] = {}

    def ingest(self, record: Record) -> Accepted | Misrouted | Rejected:
        now_us = self._clock_us()
        try:
            event, timestamp_us = decode_event_at(
                record.value, key=record.key, now_us=now_us, max_ahead_us=self._max_ahead_us
            )
        except InvalidEvent as invalid:
            return Rejected(
                reason=str(invalid),
                kind=type(invalid).__name__,
                dead_letter=dead_letter_value(
                    reason=str(invalid),
                    source_topic=record.topic,
                    source_partition=record.partition,
                    source_offset=record.offset,
                    original_key=record.key,
                    original_value=record.value,
                    rejected_at_us=now_us,
                    keep_bytes=self._keep_bytes,
                ),
                dead_letter_key=None if record.key is None else record.key[: self._keep_bytes],
            )
        account_id = event.account_id
        home = self._partition_of(account_id)
        if home != record.partition:
            return Misrouted(account_id=account_id, partition=home)
        # Each table is written on every valid record, changed or not (see the module's docstring);
        # the views hear only of changes.
        if isinstance(event, AgentStatusChanged):
            key = fact_key(account_id, event.agent_id)
            stored = self._agents.get(key)
            old_agent = None if stored is None else decode_agent_facts(stored)
            new_agent = fold_agent(old_agent, event, timestamp_us)
            self._agents[key] = encode_facts(new_agent)
            if new_agent is not old_agent:
                self._views.apply_agent(account_id, old_agent, new_agent, now_us)
        else:
            key = fact_key(account_id, event.conversation_id)
            stored = self._conversations.get(key)
            old = None if stored is None else decode_conversation_facts(stored)
            new = fold_conversation(old, event, timestamp_us)
            self._conversations[key] = encode_facts(new)
            if new is not old:
                self._views.apply_conversation(account_id, old, new, now_us)
        kind = type(event)
        accepted = self._accepted.get((account_id, kind))
        if accepted is None:
            if len(self._accepted) >= _ACCEPTED_CACHE_SIZE:
                self._accepted.clear()
            accepted = self._accepted[account_id, kind] = Accepted(account_id, _TAGS[kind])
        return accepted
