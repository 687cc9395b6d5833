"""The messy history generator is as messy as it claims, its labels are right, and the fold agrees
with the reference on it."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import msgspec
import pytest

from analytics.time import BUCKET_US, DAY_US, epoch_us
from analytics.window import first_bucket
from events.schema import (
    AgentStatusChanged,
    ConversationCreated,
    ConversationRated,
    ConversationStatusChanged,
    Event,
    MessageCreated,
)
from tests.support.builders import T_US
from tests.support.fold import Folded
from tests.support.history import HOUR_US, MAX_AHEAD_US, MINUTE_US, WINDOW_US, Record, decode_valid, generate_history
from tests.support.invalid import CORRUPTIONS
from tests.support.reference import reference_overview

AHEAD_LIMIT_US = 5 * MINUTE_US  # SPEC §1's default


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return generate_history(now_us=T_US, accounts=4, events=4000, seed=7)


@pytest.fixture(scope="module")
def events(records: list[Record]) -> list[Event]:
    return decode_valid(records)


def test_the_same_seed_gives_the_same_history() -> None:
    assert generate_history(now_us=T_US, events=300, seed=1) == generate_history(now_us=T_US, events=300, seed=1)
    assert generate_history(now_us=T_US, events=300, seed=1) != generate_history(now_us=T_US, events=300, seed=2)


def test_labels_follow_spec_section_1(records: list[Record]) -> None:
    """Checked with the bare schema, independently of the generator and of events.decode."""

    def valid(record: Record) -> bool:
        try:
            event = msgspec.json.decode(record.value, type=Event)
        except msgspec.DecodeError:  # also every ValidationError
            return False
        key_ok = record.key is None or record.key == event.account_id.encode()
        return key_ok and epoch_us(event.occurred_at) <= T_US + AHEAD_LIMIT_US

    assert [valid(record) for record in records] == [record.valid for record in records]
    invalid = [record for record in records if not record.valid]
    assert len(invalid) >= len(CORRUPTIONS)  # every kind, at least once (they are dealt in turn)
    assert {record.topic for record in invalid} == {"conversation-events", "agent-events"}


def test_the_history_is_messy_in_every_way_it_claims(records: list[Record], events: list[Event]) -> None:
    valid = [record for record in records if record.valid]
    ids = Counter((event.account_id, event.event_id) for event in events)
    assert max(ids.values()) > 1  # duplicates...
    assert len({record.value for record in valid}) > len(ids)  # ...some re-serialised differently
    assert any(record.key is None for record in valid)
    assert any(b"+05:30" in record.value for record in valid) and any(b'Z"' in record.value for record in valid)

    instants = [epoch_us(event.occurred_at) for event in events]
    assert T_US < max(instants) <= T_US + MAX_AHEAD_US  # some ahead of T, none too far
    assert min(instants) < T_US - WINDOW_US  # some already out of the window
    edge_us = T_US - WINDOW_US
    assert not [t for t in instants if edge_us - BUCKET_US - HOUR_US <= t <= edge_us + HOUR_US]  # clear of the edge

    histories: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:  # in delivery order
        if not isinstance(event, AgentStatusChanged):
            histories[event.account_id, event.conversation_id].append(event)
    seen: set[str] = set()
    for history in histories.values():
        created = [e for e in history if isinstance(e, ConversationCreated)]
        replies = [e for e in history if isinstance(e, MessageCreated) and e.sender_type == "agent"]
        resolvers = {e.agent_id for e in history if isinstance(e, ConversationStatusChanged) and e.status == "resolved"}
        ratings = {e.event_id for e in history if isinstance(e, ConversationRated)}
        features = {
            "never created": not created,
            "created delivered late": bool(created) and not isinstance(history[0], ConversationCreated),
            "reply stamped before created": any(r.occurred_at < c.occurred_at for r in replies for c in created),
            "re-resolved by another agent": len(resolvers - {None}) > 1,
            "resolved without an agent": None in resolvers,
            "re-rated": len(ratings) > 1,
        }
        seen |= {feature for feature, present in features.items() if present}
    assert seen == set(features)
    statuses = {e.status for e in events if isinstance(e, ConversationStatusChanged)}
    assert statuses == {"open", "pending", "snoozed", "resolved"}
    agents = [e for e in events if isinstance(e, AgentStatusChanged)]
    assert {e.status for e in agents} == {"live", "away", "offline"}
    assert any(e.name is None for e in agents) and any(e.name is not None for e in agents)
    assert {e.sender_type for e in events if isinstance(e, MessageCreated)} == {"contact", "agent", "bot"}


def test_the_fold_equals_the_reference_on_a_messy_history(events: list[Event]) -> None:
    accounts = sorted({event.account_id for event in events})
    shuffled = random.Random(3).sample(events, len(events))
    folded, refolded = Folded().feed_all(events, T_US), Folded().feed_all(shuffled, T_US)
    # T, and T + 5 min after the events ahead of T came due; the history keeps clear of the lower edge
    for now_us in (T_US, T_US + 5 * MINUTE_US):
        for account_id in accounts:
            expected = reference_overview(events, account_id, now_us)
            assert folded.overview(account_id, now_us) == expected
            assert refolded.overview(account_id, now_us) == expected
    # days later, the edge has moved through the data: compare over the fold's whole buckets
    later_us = T_US + 3 * DAY_US
    for account_id in accounts:
        start_us = first_bucket(later_us) * BUCKET_US - 1
        assert folded.overview(account_id, later_us) == reference_overview(events, account_id, later_us, start_us)
