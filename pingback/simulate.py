"""Realistic support traffic as SPEC §1 records: a pure, seeded discrete-event simulation.

Every account has an arrival process (Poisson, thinned by the hour and weekday of the account's own
time zone); every conversation and every agent is a script, a generator that yields its next
`(time, event)`; a heap merges all scripts into one time-ordered stream. `backfill()` produces the
history before the clock's start quickly; `due()` produces everything up to the clock's now. No I/O:
`pingback simulate` sends the records. The profile of the teams lives in `simulate_profile`.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Union

import orjson

from events.topics import topic_for
from pingback import simulate_profile as profile

Record = tuple[str, bytes, bytes]  # (topic, Kafka key, value)
Clock = Callable[[], float]  # seconds since the epoch
Event = dict[str, Any]
# A script yields (when, what): an event to emit then, or a new script to start then.
Script = Iterator[tuple[float, Union[Event, "Script"]]]


@dataclass
class Account:
    account_id: str
    zone: timezone
    agents: dict[str, str]  # agent_id -> name
    teams: dict[str, str]  # agent_id -> team_id (SPEC §5)
    status: dict[str, str] = field(default_factory=dict)  # agent_id -> status, as emitted so far


def account_ids(count: int) -> list[str]:
    names = profile.ACCOUNT_NAMES
    return [names[i] if i < len(names) else f"account-{i + 1:03d}" for i in range(count)]


class TrafficSimulator:
    def __init__(
        self,
        *,
        accounts: int,
        rate: float,
        clock: Clock,
        seed: int,
        conversation_topic: str,
        agent_topic: str,
        backfill_days: float = 0.0,
        backfill_per_day: float = 150.0,
    ) -> None:
        """`rate`: average events per second over all accounts from the clock's start on;
        `backfill_per_day`: conversations per account per day in the `backfill_days` before it."""
        self._rng = random.Random(seed)
        self._clock = clock
        self._topics = {"conversation_topic": conversation_topic, "agent_topic": agent_topic}
        self.live_from = clock()
        start = self.live_from - backfill_days * 86_400
        self._live_per_s = rate / accounts / profile.EVENTS_PER_CONVERSATION
        self._history_per_s = backfill_per_day / 86_400
        # Ids carry the seed and start time, so another run never reuses one for different content.
        self._run = f"{seed:x}-{int(self.live_from):x}"
        self._ids = itertools.count(1)
        self._queue: list[tuple[float, int, Event | Script, Script]] = []
        self._order = itertools.count()  # ties in time keep their scheduling order
        self.accounts = {name: self._account(name, i) for i, name in enumerate(account_ids(accounts))}
        for account in self.accounts.values():
            self._schedule(self._arrivals(account, start))
            for agent_id in account.agents:
                self._schedule(self._agent(account, agent_id, start))

    def backfill(self) -> Iterator[Record]:
        """The history: every event before the clock's start, as fast as the consumer takes them."""
        return self._until(self.live_from)

    def due(self) -> Iterator[Record]:
        """Every event not yet produced whose time has come by the clock's now."""
        return self._until(self._clock())

    # -- the event loop -------------------------------------------------------------------------

    def _until(self, now: float) -> Iterator[Record]:
        while self._queue and self._queue[0][0] <= now:
            _, _, what, script = heapq.heappop(self._queue)
            self._schedule(script)  # before yielding, so a caller that stops early loses no script
            if isinstance(what, dict):
                yield self._record(what)
            else:
                self._schedule(what)

    def _schedule(self, script: Script) -> None:
        step = next(script, None)
        if step is not None:
            heapq.heappush(self._queue, (step[0], next(self._order), step[1], script))

    def _record(self, event: Event) -> Record:
        account = event["account_id"]
        if event["type"] == "agent.status_changed":
            self.accounts[account].status[event["agent_id"]] = event["status"]
        return topic_for(event["type"], **self._topics), account.encode(), orjson.dumps(event)

    # -- the actors -----------------------------------------------------------------------------

    def _account(self, account_id: str, index: int) -> Account:
        offsets = profile.UTC_OFFSETS_H
        zone = timezone(timedelta(hours=offsets[index % len(offsets)]))
        low, high = profile.AGENTS_PER_ACCOUNT
        names = self._rng.sample(
            [f"{first} {last}" for first in profile.FIRST_NAMES for last in profile.LAST_NAMES],
            self._rng.randint(low, high),
        )
        agents = {f"agt-{i + 1:02d}": name for i, name in enumerate(names)}
        teams = self._rng.sample(profile.TEAMS, self._rng.randint(*profile.TEAMS_PER_ACCOUNT))
        return Account(account_id, zone, agents, {agent: teams[i % len(teams)] for i, agent in enumerate(agents)})

    def _arrivals(self, account: Account, start: float) -> Script:
        rng, t = self._rng, start
        while True:
            per_s = self._history_per_s if t < self.live_from else self._live_per_s
            gap = rng.expovariate(per_s * profile.PEAK / profile.RHYTHM_MEAN)
            if t < self.live_from <= t + gap:
                t = self.live_from  # arrivals are memoryless: restart at the live rate
                continue
            t += gap
            local = datetime.fromtimestamp(t, account.zone)
            if rng.random() * profile.PEAK < profile.HOURLY[local.hour] * profile.WEEKDAY[local.weekday()]:
                yield t, self._conversation(account, t)

    def _agent(self, account: Account, agent_id: str, start: float) -> Script:
        rng, t = self._rng, start
        status = rng.choices(*profile.FIRST_STATUS)[0]
        while True:
            yield (
                t,
                self._event(
                    account, t, "agent.status_changed", agent_id=agent_id, status=status, name=account.agents[agent_id]
                ),
            )
            t += rng.expovariate(1 / (60 * profile.DWELL_MIN[status]))
            status = rng.choices(*profile.NEXT_STATUS[status])[0]

    def _conversation(self, account: Account, t0: float) -> Script:
        rng = self._rng
        cid = f"c-{self._run}-{next(self._ids):x}"
        channel = rng.choices(list(profile.CHANNELS), list(profile.CHANNELS.values()))[0]
        pace = profile.EMAIL if channel in profile.SLOW_CHANNELS else profile.CHAT

        def event(t: float, kind: str, **fields: Any) -> Event:
            return self._event(account, t, kind, conversation_id=cid, **fields)

        def said(t: float, sender: str, agent: str | None = None) -> Event:
            by = {"agent_id": agent} if agent else {}
            return event(t, "conversation.message_created", sender_type=sender, **by)

        def status(t: float, value: str, agent: str | None = None) -> Event:
            by = {"agent_id": agent} if agent else {}
            return event(t, "conversation.status_changed", status=value, **by)

        def assigned(t: float, agent: str) -> Event:
            return event(t, "conversation.assigned", agent_id=agent, team_id=account.teams[agent])

        yield t0, event(t0, "conversation.created", channel=channel, inbox_id=profile.INBOX_OF_CHANNEL[channel])
        t = t0 + rng.uniform(0.2, 2.0)
        yield t, said(t, "contact")
        if channel in profile.BOT_CHANNELS and rng.random() < profile.P_BOT_GREETING:
            t += rng.uniform(1, 4)
            yield t, said(t, "bot")
        if rng.random() < profile.P_UNANSWERED:
            return
        agent = self._pick_agent(account)
        t = max(t + 1, t0 + self._duration(pace.first_reply_s, pace.sigma))
        yield t, assigned(t, agent)
        yield t, said(t, "agent", agent)
        labels = self._labels() if rng.random() < profile.P_LABELLED else []
        if labels:
            yield t, event(t, "conversation.labels_changed", labels=labels)
        for _ in range(rng.choice(profile.FOLLOW_UPS)):
            t += self._duration(pace.contact_gap_s, pace.sigma)
            yield t, said(t, "contact")
            t += self._duration(pace.agent_gap_s, pace.sigma)
            yield t, said(t, "agent", agent)
        for value, chance in (("pending", profile.P_PENDING), ("snoozed", profile.P_SNOOZED)):
            if rng.random() < chance:
                t += rng.uniform(5, 60)
                yield t, status(t, value, agent)
                t += self._duration(pace.contact_gap_s * 10, pace.sigma)
                yield t, status(t, "open")
                yield t, said(t, "contact")
        if rng.random() < profile.P_LEFT_OPEN:
            return
        t = max(t + rng.uniform(10, 90), t0 + self._duration(pace.handle_s, pace.sigma))
        if rng.random() < profile.P_RELABELLED:  # one label more, or one fewer
            changed = labels[1:] if len(labels) > 1 and rng.random() < 0.5 else sorted({*labels, *self._labels()[:1]})
            yield t, event(t, "conversation.labels_changed", labels=changed)
        yield t, status(t, "resolved", agent)
        yield from self._maybe_rated(event, t)
        if rng.random() < profile.P_REOPENED:
            t += self._duration(3 * 3600, 1.0)
            yield t, said(t, "contact")
            yield t, status(t, "open")
            other = self._pick_agent(account, avoid=agent)
            t += self._duration(pace.agent_gap_s, pace.sigma)
            yield t, assigned(t, other)  # a transfer: the other agent's team takes it over
            yield t, said(t, "agent", other)
            t += self._duration(pace.handle_s, pace.sigma)
            yield t, status(t, "resolved", other)
            yield from self._maybe_rated(event, t)

    def _maybe_rated(self, event: Callable[..., Event], resolved_at: float) -> Script:
        if self._rng.random() < profile.P_RATED:
            t = resolved_at + self._rng.expovariate(1 / 300)
            rating = self._rng.choices(list(profile.RATINGS), list(profile.RATINGS.values()))[0]
            yield t, event(t, "conversation.rated", rating=rating)

    def _labels(self) -> list[str]:
        names, weights = list(profile.LABELS), list(profile.LABELS.values())
        drawn = self._rng.choices(names, weights, k=self._rng.choice(profile.LABELS_PER_CONVERSATION))
        return sorted(set(drawn))

    def _pick_agent(self, account: Account, avoid: str | None = None) -> str:
        """Someone live (or away) if anyone is; otherwise whoever picks it up from home."""
        everyone = [agent for agent in account.agents if agent != avoid] or list(account.agents)
        for wanted in ("live", "away"):
            present = [agent for agent in everyone if account.status.get(agent) == wanted]
            if present:
                return self._rng.choice(present)
        return self._rng.choice(everyone)

    def _duration(self, median_s: float, sigma: float) -> float:
        return self._rng.lognormvariate(math.log(median_s), sigma)

    def _event(self, account: Account, t: float, kind: str, **fields: Any) -> Event:
        # Millisecond timestamps in the account's own offset, as a regional producer would write them;
        # truncated, so an event is never stamped later than the clock that released it.
        occurred = datetime.fromtimestamp(math.floor(t * 1000) / 1000, account.zone).isoformat(timespec="milliseconds")
        return {
            "event_id": f"e-{self._run}-{next(self._ids):x}",
            "type": kind,
            "account_id": account.account_id,
            "occurred_at": occurred.replace("+00:00", "Z"),
            **fields,
        }
