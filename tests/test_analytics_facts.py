"""Facts: each field a semilattice of the events (SPEC §2), stored compactly, forgotten only as SPEC §2 allows."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from analytics.facts import (
    DEFAULT_RETENTION_US,
    AgentFacts,
    ConversationFacts,
    check_retention_us,
    decode_agent_facts,
    decode_conversation_facts,
    encode_facts,
    fold_agent,
    fold_conversation,
    forget_agent_history,
    is_forgettable,
)
from analytics.time import DAY_US, epoch_us
from events.schema import AgentStatusChanged, ConversationEvent
from tests.support.builders import MIN, T_US, H, agent, created, message, rated, status


def fold_all(events: Sequence[ConversationEvent]) -> ConversationFacts:
    facts = None
    for event in events:
        facts = fold_conversation(facts, event, epoch_us(event.occurred_at))
    assert facts is not None
    return facts


def fold_agents(events: Sequence[AgentStatusChanged]) -> AgentFacts:
    facts = None
    for event in events:
        facts = fold_agent(facts, event, epoch_us(event.occurred_at))
    assert facts is not None
    return facts


def us(hours: float) -> int:
    return T_US + int(hours * 3600 * 10**6)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # a created event alone: created, open, nothing else
        (
            [created("c", -H, "email", event_id="x")],
            ConversationFacts(us(-1), conversation_id="c", created=(us(-1), "x", "email")),
        ),
        # two created events: the earliest gives created_at and channel
        (
            [created("c", -H, "email", event_id="late"), created("c", -2 * H, "widget", event_id="early")],
            ConversationFacts(us(-1), conversation_id="c", created=(us(-2), "early", "widget")),
        ),
        # two created events at one instant: the smaller event_id is the earlier
        (
            [created("c", -H, "email", event_id="b"), created("c", -H, "widget", event_id="a")],
            ConversationFacts(us(-1), conversation_id="c", created=(us(-1), "a", "widget")),
        ),
        # contact and bot messages are not replies, but they are events (retention)
        ([message("c", -H, "contact"), message("c", -2 * H, "bot")], ConversationFacts(us(-1), conversation_id="c")),
        # the earliest agent message is the first reply
        (
            [message("c", -H, event_id="m1"), message("c", -2 * H, agent="a2", event_id="m2")],
            ConversationFacts(us(-1), conversation_id="c", first_reply=(us(-2), "m2", "a2")),
        ),
        # two agent messages at one instant: the smaller event_id is the first, and its agent the first responder
        (
            [message("c", -H, agent="b", event_id="y"), message("c", -H, agent="a", event_id="z")],
            ConversationFacts(us(-1), conversation_id="c", first_reply=(us(-1), "y", "b")),
        ),
        # the latest status change wins, whatever the arrival order
        (
            [status("c", -H, "resolved", "a1", event_id="r"), status("c", -2 * H, "open", event_id="o")],
            ConversationFacts(us(-1), conversation_id="c", status=(us(-1), "r", "resolved", "a1")),
        ),
        # a status tie on the instant: the larger event_id is the later
        (
            [status("c", -H, "resolved", "a1", event_id="b"), status("c", -H, "open", event_id="a")],
            ConversationFacts(us(-1), conversation_id="c", status=(us(-1), "b", "resolved", "a1")),
        ),
        # a resolution without a resolver keeps agent_id None
        (
            [status("c", -H, "resolved", event_id="r")],
            ConversationFacts(us(-1), conversation_id="c", status=(us(-1), "r", "resolved", None)),
        ),
        # re-rating: the latest rating counts
        (
            [rated("c", -2 * H, 5, event_id="r1"), rated("c", -H, 2, event_id="r2")],
            ConversationFacts(us(-1), conversation_id="c", rating=(us(-1), "r2", 2)),
        ),
    ],
)
def test_fold_conversation(events: list[ConversationEvent], expected: ConversationFacts) -> None:
    for order in itertools.permutations(events):
        assert fold_all(order) == expected


def test_fold_returns_the_same_object_when_nothing_changed() -> None:
    history: list[ConversationEvent] = [
        created("c", -H),
        message("c", -50 * MIN),
        status("c", -20 * MIN, "resolved"),
        rated("c", -15 * MIN, 4),
    ]
    facts = fold_all([*history, message("c", -10 * MIN, "contact")])
    # duplicates, and events that are neither the newest nor a new extreme of anything
    for event in (*history, message("c", -40 * MIN, "contact"), message("c", -30 * MIN)):
        assert fold_conversation(facts, event, epoch_us(event.occurred_at)) is facts
    later = message("c", -5 * MIN, "bot")  # only last_event_us moves
    assert fold_conversation(facts, later, epoch_us(later.occurred_at)) is not facts


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # the latest status holds; the name comes from the latest event carrying one
        (
            [
                agent("a1", -3 * H, "live", "Sarah Chen"),
                agent("a1", -H, "away"),
                agent("a1", -2 * H, "offline", "Sarah"),
            ],
            ("away", "Sarah"),
        ),
        # never named: no name fact (shown by id later)
        ([agent("a1", -H, "live"), agent("a1", -2 * H, "offline")], ("live", None)),
    ],
)
def test_fold_agent(events: list[AgentStatusChanged], expected: tuple[str, str | None]) -> None:
    for order in itertools.permutations(events):
        facts = fold_agents(order)
        assert (facts.status[2], None if facts.name is None else facts.name[2]) == expected
        assert fold_agent(facts, order[0], epoch_us(order[0].occurred_at)) is facts  # a duplicate changes nothing


@pytest.mark.parametrize(
    "facts",
    [
        ConversationFacts(5),  # only the required field
        ConversationFacts(9, (1, "e1", "widget"), (2, "e2", "agt_3"), (3, "e3", "resolved", "agt_7"), (4, "e4", 5)),
        ConversationFacts(9, (1, "e1", "widget"), None, (3, "e3", "resolved", None), None),  # no resolver
        ConversationFacts(9, (1, "e1", "widget"), None, None, None, "conv-1"),
        AgentFacts("agt_1", ((1, "e1", "live"),), (1, "e1", "Zoë Müller")),
        AgentFacts("agt_1", ((1, "e1", "offline"), (2, "e2", "live"))),
    ],
)
def test_facts_round_trip_through_bytes(facts: ConversationFacts | AgentFacts) -> None:
    data = encode_facts(facts)
    decode = decode_agent_facts if isinstance(facts, AgentFacts) else decode_conversation_facts
    assert decode(data) == facts
    assert len(data) < 80  # arrays, not maps: no field names in every stored value


@pytest.mark.parametrize(
    ("facts", "quiet_days", "retention_days", "forgettable"),
    [
        # resolved and quiet for exactly the retention: may go
        (ConversationFacts(0, (0, "e", "w"), None, (0, "s", "resolved", None)), 90, 90, True),
        # resolved but a day short of it
        (ConversationFacts(0, (0, "e", "w"), None, (0, "s", "resolved", "a")), 89, 90, False),
        # open (no status event) stays forever: it counts in quick_pulse_open
        (ConversationFacts(0, (0, "e", "w")), 400, 90, False),
        # pending stays: it may come back
        (ConversationFacts(0, (0, "e", "w"), None, (0, "s", "pending", None)), 400, 90, False),
        # never created: may go after the retention too
        (ConversationFacts(0), 90, 90, True),
        (ConversationFacts(0), 10, 90, False),
        # the shortest retention SPEC allows
        (ConversationFacts(0, (0, "e", "w"), None, (0, "s", "resolved", None)), 31, 31, True),
        # quiet since its last event (day 10), not since day 0
        (ConversationFacts(10 * DAY_US, (0, "e", "w"), None, (0, "s", "resolved", None)), 20, 15, False),
        (ConversationFacts(10 * DAY_US, (0, "e", "w"), None, (0, "s", "resolved", None)), 25, 15, True),
    ],
)
def test_is_forgettable(facts: ConversationFacts, quiet_days: int, retention_days: int, forgettable: bool) -> None:
    assert is_forgettable(facts, quiet_days * DAY_US, retention_days * DAY_US) is forgettable


def test_retention_is_never_less_than_31_days() -> None:
    assert check_retention_us(DEFAULT_RETENTION_US) == 90 * DAY_US
    with pytest.raises(ValueError, match="at least 31 days"):
        check_retention_us(31 * DAY_US - 1)


def test_agent_history_is_the_set_of_its_status_changes_in_order() -> None:
    changes = [
        agent("a1", -3 * H, "live"),
        agent("a1", -H, "away"),
        agent("a1", -2 * H, "offline"),
        agent("a1", -H, "live"),  # same instant as "away": the event_id decides the order
    ]
    expected = tuple(sorted((epoch_us(e.occurred_at), e.event_id, e.status) for e in changes))
    for order in itertools.permutations(changes):
        facts = fold_agents([*order, order[1]])  # with a duplicate
        assert facts.history == expected
        assert facts.status == expected[-1]


@pytest.mark.parametrize(
    ("history_hours", "horizon_hours", "kept_hours"),
    [
        # the latest change before the horizon gives the status at the horizon: it stays
        ((-5, -4, -3, -1), -2, (-3, -1)),
        # a change exactly at the horizon is not before it: the one before it stays too
        ((-5, -4, -2, -1), -2, (-4, -2, -1)),
        # nothing before the horizon: nothing to forget
        ((-1,), -2, (-1,)),
        # everything before it: the latest stays, so the status now is kept
        ((-5, -4), -2, (-4,)),
    ],
)
def test_forget_agent_history(history_hours: tuple[int, ...], horizon_hours: int, kept_hours: tuple[int, ...]) -> None:
    facts = AgentFacts("a1", tuple((us(h), f"e{h}", "live") for h in history_hours))
    forgotten = forget_agent_history(facts, us(horizon_hours))
    assert [entry[0] for entry in forgotten.history] == [us(h) for h in kept_hours]


def test_a_retention_shorter_than_31_days_is_refused() -> None:
    assert check_retention_us(31 * DAY_US) == 31 * DAY_US
    with pytest.raises(ValueError, match=r"^retention must be at least 31 days, got 30\.5 days$"):
        check_retention_us(30 * DAY_US + DAY_US // 2)
