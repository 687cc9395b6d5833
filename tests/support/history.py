"""A deterministic, messy history of several accounts, as the Kafka records a producer would send.

Realistic conversations (contact, bot and agent messages, pending/snoozed, resolutions with and
without a resolver, reopen and re-resolve by another agent, ratings and re-ratings, replies that
predate `created`, conversations never created), agents going live/away/offline with and without
names; then duplicates (identical bytes, or the same event re-serialised), bounded reordering,
`created` arriving late, records without a key, and a fraction of invalid records of every SPEC §1
kind. Events span ~40 days back from T and up to 2 minutes ahead of it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

import msgspec

from events.schema import Event
from tests.support.invalid import CORRUPTIONS

CONVERSATION_TOPIC = "conversation-events"
AGENT_TOPIC = "agent-events"

SECOND_US = 10**6
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
WINDOW_US = 30 * DAY_US
SPAN_US = 40 * DAY_US
MAX_AHEAD_US = 2 * MINUTE_US

_CHANNELS = ["whatsapp"] * 8 + ["widget"] * 6 + ["telegram"] * 3 + ["instagram"] * 2 + ["email"]
_NAMES = ["Sarah Chen", "James Rivera", "Priya Nair", "Zoë Müller", "Kenji Watanabe", "Ana Souza", "Émile Durand"]
_OFFSETS = [
    timedelta(0),
    timedelta(0),
    timedelta(hours=5, minutes=30),
    timedelta(hours=-3),
    timedelta(hours=-9, minutes=-30),
]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Record(NamedTuple):
    topic: str
    key: bytes | None
    value: bytes
    valid: bool


def format_timestamp(ts_us: int, offset: timedelta = timedelta(0)) -> str:
    """RFC 3339 with an offset ("Z" for UTC), microseconds only when there are any."""
    text = (_EPOCH + timedelta(microseconds=ts_us)).astimezone(timezone(offset)).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


class _Generator:
    def __init__(self, rng: random.Random, now_us: int, edge_margin_us: int | None) -> None:
        self.rng = rng
        self.now_us = now_us
        self.edge_margin_us = edge_margin_us
        self.events: list[tuple[str, int, dict[str, Any]]] = []  # (topic, ts_us, fields but occurred_at)
        self._ids = 0

    def new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}_{self.rng.getrandbits(20):05x}{self._ids}"  # random order, never repeats

    def emit(self, topic: str, account_id: str, ts_us: int, kind: str, **fields: Any) -> None:
        # Vary the precision the way real producers do: seconds, milliseconds or microseconds.
        ts_us -= ts_us % self.rng.choice([SECOND_US, 1000, 1])
        if ts_us > self.now_us + MAX_AHEAD_US:
            return  # has not happened yet
        edge_us = self.now_us - WINDOW_US
        if (
            self.edge_margin_us is not None
            and edge_us - HOUR_US - self.edge_margin_us <= ts_us <= edge_us + self.edge_margin_us
        ):
            return  # keep clear of the bucket-wide lower window edge, so a reference can use the exact one
        event = {"event_id": self.new_id("evt"), "type": kind, "account_id": account_id}
        self.events.append((topic, ts_us, {**event, **{k: v for k, v in fields.items() if v is not None}}))

    def agents(self, account_id: str, agent_ids: list[str]) -> None:
        for agent_id in agent_ids:
            name = self.rng.choice(_NAMES) if self.rng.random() < 0.7 else None
            for _ in range(self.rng.randint(2, 10)):
                if name is not None and self.rng.random() < 0.1:
                    name = name.split()[0]  # renamed: the latest name-bearing event wins
                self.emit(
                    AGENT_TOPIC,
                    account_id,
                    self.now_us - self.rng.randrange(SPAN_US),
                    "agent.status_changed",
                    agent_id=agent_id,
                    status=self.rng.choice(["live", "away", "offline"]),
                    name=name if self.rng.random() < 0.5 else None,
                )

    def conversation(self, account_id: str, agent_ids: list[str]) -> None:
        rng, conversation_id = self.rng, self.new_id("cnv")

        def emit(ts_us: int, kind: str, **fields: Any) -> None:
            self.emit(
                CONVERSATION_TOPIC, account_id, ts_us, "conversation." + kind, conversation_id=conversation_id, **fields
            )

        def resolver() -> str | None:
            return rng.choice([None, "agt_ghost", *agent_ids * 8])  # sometimes nobody, or an unknown agent

        # Mostly in the past 40 days; a few start just now so their later events lie ahead of T.
        created_us = self.now_us - (rng.randrange(3 * MINUTE_US) if rng.random() < 0.03 else rng.randrange(SPAN_US))
        if rng.random() < 0.94:  # else never created
            emit(created_us, "created", channel=rng.choice(_CHANNELS))
            if rng.random() < 0.03:  # a second created event: the earliest one counts
                emit(created_us + rng.randrange(-HOUR_US, HOUR_US), "created", channel=rng.choice(_CHANNELS))
        t_us = created_us + rng.randrange(1, 30 * SECOND_US)
        emit(t_us, "message_created", sender_type="contact")
        if rng.random() < 0.3:
            emit(t_us + rng.randrange(SECOND_US, 5 * SECOND_US), "message_created", sender_type="bot")
        if rng.random() < 0.8:
            reply_us = created_us + int(rng.expovariate(1 / (3 * MINUTE_US)))
            if rng.random() < 0.04:
                reply_us = created_us - rng.randrange(1, 10 * MINUTE_US)  # clock skew: counts as 0 s
            for n in range(rng.randint(1, 3)):
                emit(
                    reply_us + n * rng.randrange(MINUTE_US, HOUR_US),
                    "message_created",
                    sender_type="agent",
                    agent_id=rng.choice(agent_ids),
                )
            t_us = max(t_us, reply_us)
        if rng.random() < 0.25:
            t_us += rng.randrange(HOUR_US)
            emit(
                t_us,
                "status_changed",
                status=rng.choice(["pending", "snoozed"]),
                agent_id=rng.choice([None, *agent_ids]),
            )
        if rng.random() < 0.85:
            self.resolve(emit, t_us + int(rng.expovariate(1 / (2 * HOUR_US))), resolver, agent_ids)
        elif rng.random() < 0.05:
            emit(t_us + HOUR_US, "rated", rating=rng.randint(1, 5))  # rated while still open

    def resolve(
        self, emit: Callable[..., None], resolved_us: int, resolver: Callable[[], str | None], agent_ids: list[str]
    ) -> None:
        rng = self.rng
        emit(resolved_us, "status_changed", status="resolved", agent_id=resolver())
        if rng.random() < 0.25:  # reopened: at the very same instant, the event_id decides
            reopened_us = resolved_us if rng.random() < 0.1 else resolved_us + int(rng.expovariate(1 / DAY_US))
            emit(reopened_us, "status_changed", status="open", agent_id=rng.choice([None, *agent_ids]))
            if rng.random() < 0.7:  # resolved again, maybe by someone else
                resolved_us = reopened_us + int(rng.expovariate(1 / HOUR_US))
                emit(resolved_us, "status_changed", status="resolved", agent_id=resolver())
        if rng.random() < 0.5:
            rated_us = resolved_us + int(rng.expovariate(1 / HOUR_US))
            emit(rated_us, "rated", rating=rng.choice([1, 2, 3, 4, 4, 5, 5, 5]))
            if rng.random() < 0.15:  # re-rated: the latest rating counts
                emit(rated_us + rng.randrange(1, DAY_US), "rated", rating=rng.randint(1, 5))


def generate_history(
    *,
    now_us: int,
    accounts: int = 3,
    events: int = 2000,
    seed: int = 0,
    invalid_fraction: float = 0.05,
    duplicate_fraction: float = 0.05,
    keyless_fraction: float = 0.02,
    edge_margin_us: int | None = HOUR_US,
) -> list[Record]:
    """About `events` distinct valid events over `accounts` accounts, as records in delivery order.

    With `edge_margin_us` set, no event lies within one bucket (plus the margin) of T - 30 days, so a
    reference over the exact window agrees with the bucketed fold even if queried up to the margin later.
    """
    rng = random.Random(seed)
    gen = _Generator(rng, now_us, edge_margin_us)
    account_ids = [f"acct-{n}" if n % 2 else f"shop_{n}.eu" for n in range(accounts)]
    staff = {a: [f"agt_{rng.getrandbits(12):03x}{n}" for n in range(rng.randint(2, 7))] for a in account_ids}
    for account_id in account_ids:
        gen.agents(account_id, staff[account_id])
    while len(gen.events) < events:
        account_id = rng.choices(account_ids, weights=range(accounts, 0, -1))[0]  # uneven account sizes
        gen.conversation(account_id, staff[account_id])

    def serialise(fields: dict[str, Any], ts_us: int) -> bytes:
        body = {**fields, "occurred_at": format_timestamp(ts_us, rng.choice(_OFFSETS))}
        if rng.random() < 0.1:
            body["producer"] = {"name": "widget-backend", "v": 3}  # unknown fields are ignored
        items = list(body.items())
        rng.shuffle(items)
        return json.dumps(dict(items), ensure_ascii=rng.random() < 0.5).encode()

    delivered: list[tuple[int, int, Record]] = []

    def deliver(at_us: int, record: Record) -> None:
        delivered.append((at_us, len(delivered), record))

    for topic, ts_us, fields in gen.events:
        key = None if rng.random() < keyless_fraction else fields["account_id"].encode()
        value = serialise(fields, ts_us)
        late_us = rng.randrange(12 * HOUR_US) if fields["type"] == "conversation.created" and rng.random() < 0.15 else 0
        at_us = ts_us + rng.randrange(10 * MINUTE_US) + late_us  # bounded reordering
        deliver(at_us, Record(topic, key, value, True))
        if rng.random() < duplicate_fraction:  # the same bytes again, or the same event re-serialised
            deliver(
                at_us + rng.randrange(DAY_US),
                Record(topic, key, value if rng.random() < 0.5 else serialise(fields, ts_us), True),
            )

    kinds = list(CORRUPTIONS)
    for n in range(round(invalid_fraction * len(delivered))):
        topic, ts_us, fields = rng.choice(gen.events)
        fields = {**fields, "event_id": gen.new_id("bad"), "occurred_at": format_timestamp(ts_us, rng.choice(_OFFSETS))}
        other = rng.choice([a for a in account_ids if a != fields["account_id"]] or ["someone-else"]).encode()
        future = format_timestamp(now_us + rng.randrange(DAY_US, 30 * DAY_US))
        key, value = CORRUPTIONS[kinds[n % len(kinds)]](fields, fields["account_id"].encode(), other, future, rng)
        deliver(ts_us + rng.randrange(DAY_US), Record(topic, key, value, False))

    return [record for _, _, record in sorted(delivered)]


_event_decoder = msgspec.json.Decoder(Event)


def decode_valid(records: Iterable[Record]) -> list[Event]:
    """The events of the valid records, decoded with the bare SPEC §1 schema (duplicates kept)."""
    return [_event_decoder.decode(record.value) for record in records if record.valid]
