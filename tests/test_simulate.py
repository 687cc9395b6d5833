"""The traffic simulator without a broker: repeatable, valid SPEC §1 records, and a realistic shape."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import orjson
import pytest

from events.decode import decode_event
from pingback.simulate import Record, TrafficSimulator

START = 1_750_000_000.0  # a Sunday afternoon UTC
CONVERSATIONS, AGENTS = "sim-conversations", "sim-agents"


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _simulator(clock: FakeClock, seed: int = 7, **options: Any) -> TrafficSimulator:
    settings: dict[str, Any] = {"accounts": 3, "rate": 2.0, "backfill_days": 7.0, "backfill_per_day": 150.0}
    return TrafficSimulator(
        clock=clock, seed=seed, conversation_topic=CONVERSATIONS, agent_topic=AGENTS, **(settings | options)
    )


@pytest.fixture(scope="module")
def history() -> list[Record]:
    return list(_simulator(FakeClock()).backfill())


def _events(records: list[Record]) -> list[dict[str, Any]]:
    return [orjson.loads(value) for _, _, value in records]


def test_a_seed_and_a_clock_give_the_same_records_every_time(history: list[Record]) -> None:
    assert list(_simulator(FakeClock()).backfill()) == history
    assert list(_simulator(FakeClock(), seed=8).backfill()) != history


def test_every_record_is_a_valid_event_keyed_by_its_account_on_the_right_topic(history: list[Record]) -> None:
    for topic, key, value in history:
        event = decode_event(value, key=key, now_us=int(START * 1e6), max_ahead_us=0)
        assert key == event.account_id.encode()
        assert topic == (AGENTS if type(event).__name__ == "AgentStatusChanged" else CONVERSATIONS)
    events = _events(history)
    assert len({(event["account_id"], event["event_id"]) for event in events}) == len(events)
    assert {event["account_id"] for event in events} == {"acme", "globex", "initech"}


def test_the_history_spans_the_backfilled_days_in_time_order(history: list[Record]) -> None:
    instants = [datetime.fromisoformat(event["occurred_at"]).timestamp() for event in _events(history)]
    assert instants == sorted(instants)
    assert instants[0] >= START - 7 * 86_400 and instants[-1] <= START
    created = sum(event["type"] == "conversation.created" for event in _events(history))
    assert 0.85 * 3 * 7 * 150 <= created <= 1.15 * 3 * 7 * 150
    zones = {event["account_id"]: event["occurred_at"][23:] for event in _events(history)}
    assert zones == {"acme": "Z", "globex": "-05:00", "initech": "+01:00"}  # each in its own offset


def test_the_traffic_looks_like_a_support_inbox(history: list[Record]) -> None:
    events = _events(history)
    types = Counter(event["type"] for event in events)
    channels = Counter(event["channel"] for event in events if event["type"] == "conversation.created")
    assert channels.most_common(1)[0][0] == "whatsapp" and len(channels) >= 5
    senders = Counter(event["sender_type"] for event in events if event["type"] == "conversation.message_created")
    assert set(senders) == {"contact", "agent", "bot"}
    ratings = [event["rating"] for event in events if event["type"] == "conversation.rated"]
    assert len(ratings) > 100 and sum(r >= 4 for r in ratings) / len(ratings) > 0.7  # skewed positive
    statuses = Counter(event["status"] for event in events if event["type"] == "conversation.status_changed")
    assert set(statuses) == {"open", "pending", "snoozed", "resolved"}
    presence = [event for event in events if event["type"] == "agent.status_changed"]
    assert {event["status"] for event in presence} == {"live", "away", "offline"}
    assert all(event["name"] for event in presence)
    assert types["conversation.created"] < types["conversation.message_created"]


def test_some_conversations_are_reopened_and_resolved_again_by_someone_else(history: list[Record]) -> None:
    resolvers: dict[str, list[str]] = defaultdict(list)
    for event in _events(history):
        if event["type"] == "conversation.status_changed" and event["status"] == "resolved":
            resolvers[event["conversation_id"]].append(event["agent_id"])
    twice = [agents for agents in resolvers.values() if len(agents) == 2]
    assert twice and all(first != second for first, second in twice)
    assert 0.03 < len(twice) / len(resolvers) < 0.15


def test_arrivals_follow_the_hour_of_day(history: list[Record]) -> None:
    by_hour = Counter(
        datetime.fromisoformat(event["occurred_at"]).hour  # local time of the account
        for event in _events(history)
        if event["type"] == "conversation.created"
    )
    assert sum(by_hour[h] for h in range(9, 17)) > 5 * sum(by_hour[h] for h in range(0, 8))


def test_live_traffic_never_runs_ahead_of_the_clock_and_keeps_the_rate() -> None:
    clock = FakeClock()
    simulator = _simulator(clock, rate=0.5, backfill_days=1.0)
    list(simulator.backfill())
    sent = 0
    for _ in range(2 * 24):  # two days in one-hour steps
        clock.now += 3600
        due = list(simulator.due())
        assert all(datetime.fromisoformat(e["occurred_at"]).timestamp() <= clock.now for e in _events(due))
        sent += len(due)
    assert 0.75 * 0.5 < sent / (2 * 86_400) < 1.25 * 0.5  # events per second, averaged over the days


def test_accounts_beyond_the_named_ones_get_numbered_ids() -> None:
    simulator = _simulator(FakeClock(), accounts=12, backfill_days=0.0)
    assert list(simulator.accounts)[-2:] == ["account-011", "account-012"]


def test_conversations_have_teams_inboxes_and_labels_that_change(history: list[Record]) -> None:
    events = _events(history)
    for account in ("acme", "globex", "initech"):
        mine = [event for event in events if event["account_id"] == account]
        teams = {event["team_id"] for event in mine if event["type"] == "conversation.assigned"}
        inboxes = {event["inbox_id"] for event in mine if event["type"] == "conversation.created"}
        assert 3 <= len(teams) <= 4 and 2 <= len(inboxes) <= 3
    label_sets = [event["labels"] for event in events if event["type"] == "conversation.labels_changed"]
    assert len({label for labels in label_sets for label in labels}) >= 5
    assignments: dict[str, list[str]] = defaultdict(list)
    relabelled: Counter[str] = Counter()
    for event in events:
        if event["type"] == "conversation.assigned":
            assignments[event["conversation_id"]].append(event["agent_id"])
        elif event["type"] == "conversation.labels_changed":
            relabelled[event["conversation_id"]] += 1
    assert any(len(set(agents)) == 2 for agents in assignments.values())  # reassigned on reopening
    assert any(count >= 2 for count in relabelled.values())  # a label added or removed later
