"""SPEC §5 reports over arbitrary histories equal the naive reference: filters, team/inbox/label rows.

The histories are the SPEC §4 property cases (lifecycles inside the queried period, arbitrary events
around it), with inboxes, assignments and label changes sprinkled over their conversations — before
and after the conversation's created, repeated, reassigned, cleared with null, relabelled.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.filters import Filters
from analytics.report import ReportQuery
from events.schema import ConversationCreated, Event
from tests.support import report_reference as ref
from tests.support.builders import ABSENT, ACCOUNT, T_US, US, assigned, labelled
from tests.support.fold import Folded
from tests.test_analytics_report_properties import report_cases

TEAMS = st.sampled_from(["t1", "t2", "T1"])
INBOXES = st.sampled_from(["mail", "web"])
LABELS = st.sampled_from(["vip", "billing", "VIP", "bug"])


def _with_inbox(event: Event, inbox: str | None) -> Event:
    return msgspec.structs.replace(event, inbox_id=inbox) if isinstance(event, ConversationCreated) else event


@st.composite
def sliced_cases(draw: st.DrawFn) -> tuple[list[Event], ReportQuery]:
    events, query = draw(report_cases())
    events = [_with_inbox(event, draw(st.one_of(st.none(), INBOXES))) for event in events]
    conversations = sorted({e.conversation_id for e in events if hasattr(e, "conversation_id")}) or ["c0"]
    times = st.integers(min(query.since_us, T_US) - T_US - 86_400_000_000, 0).map(lambda us: timedelta(microseconds=us))
    owners = st.one_of(st.just(ABSENT), st.none(), TEAMS)
    agents = st.one_of(st.just(ABSENT), st.none(), st.sampled_from(["a0", "a1", "a2"]))
    for conversation in conversations:
        for _ in range(draw(st.integers(0, 3))):
            team, assignee = draw(owners), draw(agents)
            if team is ABSENT and assignee is ABSENT:
                team = draw(TEAMS)
            events.append(assigned(conversation, draw(times), team=team, assignee=assignee))
        for _ in range(draw(st.integers(0, 2))):
            events.append(labelled(conversation, draw(times), *draw(st.lists(LABELS, max_size=4))))
    filters = Filters(
        channel=draw(st.one_of(st.none(), st.none(), st.sampled_from(["email", "widget", "sms"]))),
        inbox_id=draw(st.one_of(st.none(), st.none(), INBOXES)),
        team_id=draw(st.one_of(st.none(), st.none(), TEAMS)),
        assignee_id=draw(st.one_of(st.none(), st.none(), st.sampled_from(["a0", "a1"]))),
        label=draw(st.one_of(st.none(), st.none(), LABELS)),
    )
    breakdown = draw(st.sampled_from([None, "channel", "agent", "team", "inbox", "label"]))
    return draw(st.permutations(events)), dataclasses.replace(query, filters=filters, breakdown=breakdown)


def report(events: list[Event], query: ReportQuery) -> dict[str, Any]:
    folded = Folded().feed_all(events, T_US)
    return msgspec.to_builtins(folded.views.report(ACCOUNT, query))  # type: ignore[no-any-return]


@settings(max_examples=250, deadline=None)
@given(sliced_cases())
def test_a_sliced_report_equals_the_reference(case: tuple[list[Event], ReportQuery]) -> None:
    events, query = case
    assert report(events, query) == ref.expected_report(events, ACCOUNT, query)


@settings(max_examples=100, deadline=None)
@given(sliced_cases(), st.data())
def test_any_order_and_duplication_give_the_same_sliced_report(
    case: tuple[list[Event], ReportQuery], data: Any
) -> None:
    events, query = case
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=10)) if events else []
    assert report(data.draw(st.permutations(events + duplicates)), query) == report(events, query)


def test_us_is_a_microsecond() -> None:
    assert timedelta(microseconds=1) == US
