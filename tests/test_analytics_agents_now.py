"""Who is on duty now (`analytics.agents_now`): tables for the edge cases, and a property against
a reference computed straight from the events, whatever their order or repetition."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.agents_now import AgentNow, agents_now
from analytics.facts import decode_agent_facts, forget_agent_history
from analytics.periods import format_instant, zone
from analytics.time import epoch_us
from events.schema import AgentStatusChanged
from streams.ingest import fact_key
from tests.support.builders import ACCOUNT, MIN, T_US, D, H, T, agent
from tests.support.fold import Folded

UTC = zone("UTC")


def _at(offset: timedelta) -> str:
    return format_instant(T_US + offset // timedelta(microseconds=1), UTC)


def _now(events: list[AgentStatusChanged]) -> list[AgentNow]:
    views = Folded().feed_all(events, T_US).views
    return views.agents_now(ACCOUNT, T_US).agents


def test_only_live_and_away_agents_are_listed_by_name_then_id_and_unnamed_ones_by_their_id() -> None:
    shown = _now(
        [
            agent("a1", -3 * H, "live", "Zoë"),
            agent("a2", -2 * H, "away", "Ann"),
            agent("a3", -H, "offline", "Bob"),
            agent("a0", -30 * MIN, "live"),  # no name: shown by its id
            agent("a4", -20 * MIN, "live", "Ann"),  # the same name as a2: the id decides
        ]
    )
    assert shown == [
        AgentNow("a2", "Ann", "away", _at(-2 * H)),
        AgentNow("a4", "Ann", "live", _at(-20 * MIN)),
        AgentNow("a1", "Zoë", "live", _at(-3 * H)),
        AgentNow("a0", "a0", "live", _at(-30 * MIN)),  # by code point (SPEC §2): "Z" < "a"
    ]


def test_since_is_when_the_current_status_began_not_its_latest_repetition() -> None:
    shown = _now(
        [
            agent("a1", -5 * H, "away"),
            agent("a1", -3 * H, "live"),
            agent("a1", -H, "live"),  # live since -3 h
            agent("a2", -4 * H, "live"),
            agent("a2", -2 * H, "away"),  # away since -2 h
            agent("a3", -4 * H, "live"),
            agent("a3", -2 * H, "offline"),
            agent("a3", -MIN, "live"),  # back
        ]
    )
    assert [(a.agent_id, a.status, a.since) for a in shown] == [
        ("a1", "live", _at(-3 * H)),
        ("a2", "away", _at(-2 * H)),
        ("a3", "live", _at(-MIN)),
    ]


def test_at_equal_instants_the_later_event_id_wins_at_once() -> None:
    def changed(event_id: str, status: str) -> AgentStatusChanged:
        return AgentStatusChanged(
            event_id=event_id, account_id=ACCOUNT, occurred_at=T - H, agent_id="a1", status=status
        )  # type: ignore[arg-type]

    assert _now([changed("e2", "away"), changed("e1", "offline")]) == [AgentNow("a1", "a1", "away", _at(-H))]
    assert _now([changed("e2", "offline"), changed("e1", "live")]) == []


def test_a_change_a_few_minutes_ahead_of_now_already_counts_as_in_force() -> None:
    # SPEC §2: now-figures use every accepted event, one slightly ahead of T included.
    shown = _now([agent("a1", -H, "offline"), agent("a1", 2 * MIN, "live", "Eve")])
    assert shown == [AgentNow("a1", "Eve", "live", _at(2 * MIN))]
    assert Folded().feed_all([agent("a1", 2 * MIN, "live")], T_US).overview(ACCOUNT, T_US)["active_agents"] == 1


def test_forgetting_history_before_the_horizon_keeps_the_answer_when_the_status_began_after_it() -> None:
    folded = Folded().feed_all(
        [agent("a1", -40 * D, "live"), agent("a1", -35 * D, "away"), agent("a1", -D, "live")], T_US
    )
    facts = decode_agent_facts(folded.agents[fact_key(ACCOUNT, "a1")])
    trimmed = forget_agent_history(facts, T_US - 31 * D // timedelta(microseconds=1))
    assert len(trimmed.history) < len(facts.history)
    assert agents_now([trimmed], T_US) == agents_now([facts], T_US)


def test_an_account_without_data_has_nobody_on_duty_and_as_of_is_now() -> None:
    answer = Folded().views.agents_now("nobody", T_US)
    assert answer.agents == [] and answer.as_of == format_instant(T_US, UTC)


# -- property: equal to a reference from the raw events, order and duplicates notwithstanding ----

_agent_events = st.lists(
    st.builds(
        lambda agent_id, minutes, event_id, status, name: AgentStatusChanged(
            event_id=f"e{event_id}",
            account_id=ACCOUNT,
            occurred_at=T + timedelta(minutes=minutes),
            agent_id=agent_id,
            status=status,
            name=name,  # type: ignore[arg-type]
        ),
        st.sampled_from(["a1", "a2", "a3"]),
        st.integers(-600, 5),
        st.integers(0, 40),
        st.sampled_from(["live", "away", "offline"]),
        st.none() | st.sampled_from(["Ann", "Bob"]),
    ),
    max_size=25,
    unique_by=lambda event: event.event_id,  # SPEC §1: an event_id names one event
)


def _reference(events: list[AgentStatusChanged]) -> list[tuple[str, str, str, str]]:
    rows = []
    for agent_id in sorted({event.agent_id for event in events}):
        mine = sorted(
            (e for e in events if e.agent_id == agent_id), key=lambda e: (epoch_us(e.occurred_at), e.event_id)
        )
        status = mine[-1].status
        # The status now began just after the latest change to a different status.
        began = mine[max((i for i, e in enumerate(mine) if e.status != status), default=-1) + 1]
        named = [e for e in mine if e.name is not None]
        name = named[-1].name if named else agent_id
        if status in ("live", "away"):
            rows.append((name, agent_id, status, format_instant(epoch_us(began.occurred_at), UTC)))
    return sorted(rows)


@given(_agent_events, st.randoms(use_true_random=False))
def test_agents_now_equals_the_reference_in_any_order_with_duplicates(
    events: list[AgentStatusChanged], rnd: object
) -> None:
    replayed = events + events[: len(events) // 2]
    rnd.shuffle(replayed)  # type: ignore[attr-defined]
    shown = _now(replayed)
    assert [(a.name, a.agent_id, a.status, a.since) for a in shown] == _reference(events)
    assert len(shown) == Folded().feed_all(replayed, T_US).overview(ACCOUNT, T_US)["active_agents"]


def test_instants_are_written_in_utc_whatever_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kathmandu")
    time.tzset()
    try:
        views = Folded().feed_all([agent("a1", -H, "live")], T_US).views
        shown = views.agents_now(ACCOUNT, T_US)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert shown.as_of == _at(timedelta(0))
    assert [a.since for a in shown.agents] == [_at(-H)]
