"""Properties of the fold over arbitrary small event sets (hypothesis).

Instants are drawn from a few shared values (so ties on occurred_at happen) and from ranges inside
the window, before it, and up to 2 minutes after T. Unless a test says otherwise they keep clear of
the bucket-wide lower edge, where SPEC §3 lets the fold and the exact-window reference differ.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.facts import ConversationFacts, fold_conversation
from analytics.time import BUCKET_US, DAY_US, HOUR_US, epoch_us
from analytics.window import AccountView, first_bucket
from events.schema import ConversationEvent, Event
from tests.support.builders import ACCOUNT, T_US, agent, created, message, rated, status
from tests.support.fold import Folded
from tests.support.reference import reference_overview

SECOND_US, MINUTE_US = 10**6, 60 * 10**6
EDGE_US = -30 * DAY_US  # T - 30 days, relative to T

CLEAR_OF_EDGE = st.one_of(
    st.sampled_from([0, 1, -1, -SECOND_US, 30 * SECOND_US, 2 * MINUTE_US, -HOUR_US, -DAY_US, -29 * DAY_US]),
    st.integers(-29 * DAY_US, 2 * MINUTE_US),
    st.integers(-45 * DAY_US, EDGE_US - 2 * HOUR_US),
)
NEAR_EDGE = st.integers(EDGE_US - 2 * HOUR_US, EDGE_US + 2 * HOUR_US)
ANYWHERE = st.one_of(CLEAR_OF_EDGE, NEAR_EDGE)

CONVERSATIONS = st.sampled_from(["c0", "c1", "c2", "c3"])
AGENTS = st.sampled_from(["a0", "a1", "a2"])
ACCOUNTS = st.sampled_from([ACCOUNT, ACCOUNT, ACCOUNT, "other"])


def conversation_events(offsets_us: st.SearchStrategy[int]) -> st.SearchStrategy[ConversationEvent]:
    at = offsets_us.map(lambda offset_us: timedelta(microseconds=offset_us))
    return st.one_of(
        st.builds(created, CONVERSATIONS, at, st.sampled_from(["email", "widget", "whatsapp"]), account=ACCOUNTS),
        st.builds(message, CONVERSATIONS, at, st.sampled_from(["agent", "contact", "bot"]), AGENTS, account=ACCOUNTS),
        st.builds(
            status,
            CONVERSATIONS,
            at,
            st.sampled_from(["open", "pending", "snoozed", "resolved", "resolved"]),
            st.one_of(st.none(), AGENTS),
            account=ACCOUNTS,
        ),
        st.builds(rated, CONVERSATIONS, at, st.integers(1, 5), account=ACCOUNTS),
    )


def events(offsets_us: st.SearchStrategy[int] = CLEAR_OF_EDGE) -> st.SearchStrategy[list[Event]]:
    at = offsets_us.map(lambda offset_us: timedelta(microseconds=offset_us))
    agent_events = st.builds(
        agent,
        AGENTS,
        at,
        st.sampled_from(["live", "away", "offline"]),
        st.sampled_from([None, "Ann", "Bob", "ann"]),
        account=ACCOUNTS,
    )
    return st.lists(st.one_of(conversation_events(offsets_us), agent_events), max_size=30)


def fold(events: list[Event], now_us: int = T_US) -> Folded:
    return Folded().feed_all(events, now_us)


@settings(max_examples=300, deadline=None)
@given(events(), st.data())
def test_any_order_and_any_duplication_give_the_same_overview(events: list[Event], data: st.DataObject) -> None:
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=10)) if events else []
    messy = data.draw(st.permutations(events + duplicates))
    assert fold(messy).overview(ACCOUNT, T_US) == fold(events).overview(ACCOUNT, T_US)


@settings(max_examples=300, deadline=None)
@given(events())
def test_the_fold_equals_the_reference(events: list[Event]) -> None:
    folded = fold(events)
    for account_id in (ACCOUNT, "other"):
        assert folded.overview(account_id, T_US) == reference_overview(events, account_id, T_US)


@settings(max_examples=300, deadline=None)
@given(events(ANYWHERE))
def test_the_fold_equals_the_reference_over_whole_buckets_near_the_edge(events: list[Event]) -> None:
    # The fold's window starts at its first bucket; with that start the reference must agree exactly.
    start_us = first_bucket(T_US) * BUCKET_US - 1
    assert fold(events).overview(ACCOUNT, T_US) == reference_overview(events, ACCOUNT, T_US, start_us)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(conversation_events(ANYWHERE).filter(lambda e: e.account_id == ACCOUNT), min_size=1, max_size=60),
    st.lists(st.integers(0, 3 * DAY_US), min_size=1, max_size=60),
)
def test_retracting_and_adding_leaves_what_a_rebuild_from_the_final_facts_gives(
    events: list[ConversationEvent], clock_us: list[int]
) -> None:
    # Many reopen/resolve cycles, fed while the clock runs (expiring buckets, promoting pending items).
    nows_us = sorted(T_US + tick for tick in clock_us)
    view, facts = AccountView(), dict[str, ConversationFacts]()
    for n, event in enumerate(events):
        old = facts.get(event.conversation_id)
        new = facts[event.conversation_id] = fold_conversation(old, event, epoch_us(event.occurred_at))
        view.apply_conversation(old, new, nows_us[min(n, len(nows_us) - 1)])
    final_us = nows_us[-1]
    fresh = AccountView()
    for conversation in facts.values():
        fresh.apply_conversation(None, conversation, final_us)
    assert view.overview(final_us) == fresh.overview(final_us)
    assert view.totals == fresh.totals
    # Exact placement too: no bucket or pending instant holds a stray (+1, -1) residue.
    assert view.placed() == fresh.placed()
    # Changes move only the report items that changed: the report index holds, net, what an
    # index written once from the final facts holds.
    assert view._index.placed() == fresh._index.placed()


@settings(max_examples=200, deadline=None)
@given(events(ANYWHERE), st.lists(st.integers(0, 45 * DAY_US), min_size=1, max_size=8))
def test_a_sliding_window_equals_a_fresh_one_at_the_final_time(events: list[Event], ticks_us: list[int]) -> None:
    folded = fold(events)
    for tick_us in sorted(ticks_us):
        folded.overview(ACCOUNT, T_US + tick_us)
    final_us = T_US + max(ticks_us)
    assert folded.overview(ACCOUNT, final_us) == fold(events, final_us).overview(ACCOUNT, final_us)
    start_us = first_bucket(final_us) * BUCKET_US - 1
    assert folded.overview(ACCOUNT, final_us) == reference_overview(events, ACCOUNT, final_us, start_us)
