"""SPEC §5 facts: inbox, team, assignee and labels — current values, joins of their events."""

from __future__ import annotations

import itertools

import msgspec
import pytest

from analytics.facts import ConversationFacts, decode_conversation_facts, encode_facts
from events.schema import ConversationEvent
from tests.support.builders import MIN, H, assigned, created, labelled, message, status
from tests.test_analytics_facts import fold_all


def dimensions(facts: ConversationFacts) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
    return facts.inbox_id, facts.team_id, facts.assignee_id, facts.label_set


CASES = [
    # no §5 event: no inbox, team, assignee or labels
    ([created("c", -H)], (None, None, None, ())),
    # the inbox comes from the created event
    ([created("c", -H, inbox="mail")], ("mail", None, None, ())),
    # ... from the created event that gives created_at: the earliest
    ([created("c", -H, inbox="late"), created("c", -2 * H, inbox="early")], ("early", None, None, ())),
    # ... even when that earliest one has no inbox
    ([created("c", -H, inbox="late"), created("c", -2 * H)], (None, None, None, ())),
    # team and assignee from one event
    ([created("c", -H), assigned("c", -MIN, team="t1", assignee="a1")], (None, "t1", "a1", ())),
    # an absent field leaves it as it was
    (
        [created("c", -H), assigned("c", -2 * MIN, team="t1", assignee="a1"), assigned("c", -MIN, team="t2")],
        (None, "t2", "a1", ()),
    ),
    # null clears it
    (
        [created("c", -H), assigned("c", -2 * MIN, team="t1", assignee="a1"), assigned("c", -MIN, assignee=None)],
        (None, "t1", None, ()),
    ),
    # the latest event carrying the field wins, whatever the arrival order (reassignment)
    (
        [created("c", -H), assigned("c", -MIN, team="t2"), assigned("c", -2 * MIN, team="t1")],
        (None, "t2", None, ()),
    ),
    # a later null beats an earlier team; a still later team beats the null
    (
        [
            created("c", -H),
            assigned("c", -3 * MIN, team="t1"),
            assigned("c", -2 * MIN, team=None),
            assigned("c", -MIN, team="t3"),
        ],
        (None, "t3", None, ()),
    ),
    # equal instants: the later event_id wins
    (
        [
            created("c", -H),
            assigned("c", -MIN, team="tb", event_id="b"),
            assigned("c", -MIN, team="ta", event_id="a"),
        ],
        (None, "tb", None, ()),
    ),
    # labels: the set of the latest event, repeats removed
    ([created("c", -H), labelled("c", -MIN, "vip", "billing", "vip")], (None, None, None, ("billing", "vip"))),
    # a later event replaces the whole set (a label removed)
    (
        [created("c", -H), labelled("c", -2 * MIN, "vip", "billing"), labelled("c", -MIN, "vip")],
        (None, None, None, ("vip",)),
    ),
    # [] removes every label
    ([created("c", -H), labelled("c", -2 * MIN, "vip"), labelled("c", -MIN)], (None, None, None, ())),
    # an earlier labels event arriving later changes nothing
    ([created("c", -H), labelled("c", -MIN), labelled("c", -2 * MIN, "vip")], (None, None, None, ())),
    # labels compare exactly: case-sensitive
    ([created("c", -H), labelled("c", -MIN, "VIP", "vip")], (None, None, None, ("VIP", "vip"))),
    # §5 events before the conversation's created are kept and hold once it exists
    (
        [assigned("c", -3 * H, team="t1"), labelled("c", -3 * H, "x"), created("c", -H, inbox="i")],
        ("i", "t1", None, ("x",)),
    ),
]


@pytest.mark.parametrize(("events", "expected"), CASES)
def test_current_dimensions(events: list[ConversationEvent], expected: tuple[object, ...]) -> None:
    assert dimensions(fold_all(events)) == expected


@pytest.mark.parametrize(("events", "expected"), CASES)
def test_order_and_repetition_change_nothing(events: list[ConversationEvent], expected: tuple[object, ...]) -> None:
    for order in itertools.islice(itertools.permutations(events + events[:1]), 50):
        assert dimensions(fold_all(order)) == expected


def test_a_dimension_event_changes_no_other_fact() -> None:
    history = [created("c", -H), message("c", -30 * MIN), status("c", -20 * MIN, "resolved", "a1")]
    before = fold_all(history)
    after = fold_all([*history, assigned("c", -25 * MIN, team="t1", assignee="a2"), labelled("c", -25 * MIN, "vip")])
    assert after.created == before.created and after.first_reply == before.first_reply
    assert after.status == before.status and after.rating == before.rating


def test_facts_with_dimensions_round_trip_through_bytes() -> None:
    facts = fold_all(
        [created("c", -H, inbox="i"), assigned("c", -MIN, team="t", assignee=None), labelled("c", -MIN, "a")]
    )
    assert decode_conversation_facts(encode_facts(facts)) == facts


def test_facts_stored_before_dimensions_still_decode() -> None:
    # The stored shape before SPEC §5: six fields, no inbox, team, assignee or labels.
    stored = msgspec.msgpack.encode([1, [1, "e1", "widget"], None, None, None, "c"])
    assert dimensions(decode_conversation_facts(stored)) == (None, None, None, ())
