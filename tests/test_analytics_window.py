"""The sliding window: exact upper edge via the watermark, bucketed lower edge, expiry, versions, Views."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from analytics.facts import ConversationFacts, fold_conversation
from analytics.tally import Tally
from analytics.time import BUCKET_US, DAY_US, HOUR_US, WINDOW_US, epoch_us
from analytics.window import AccountView, Views, first_bucket
from events.schema import ConversationEvent
from tests.support.builders import ACCOUNT, MIN, T_US, US, D, H, S, agent, created, message, rated, status
from tests.support.fold import Folded
from tests.support.reference import ZERO


def facts_of(*events: ConversationEvent) -> ConversationFacts:
    facts = None
    for event in events:
        facts = fold_conversation(facts, event, epoch_us(event.occurred_at))
    assert facts is not None
    return facts


def us(offset: timedelta) -> int:
    return T_US + offset // US


@pytest.mark.parametrize(
    ("now_us", "expected"),
    [
        # the window's earliest instant is now - 30d + 1 µs: here 1, in bucket 0
        (WINDOW_US, 0),
        # earliest instant 0: still bucket 0
        (WINDOW_US - 1, 0),
        # earliest instant BUCKET_US - 1: the last microsecond of bucket 0
        (WINDOW_US + BUCKET_US - 2, 0),
        # earliest instant BUCKET_US: bucket 0 has wholly left the window
        (WINDOW_US + BUCKET_US - 1, 1),
    ],
)
def test_first_bucket(now_us: int, expected: int) -> None:
    assert first_bucket(now_us) == expected


def test_upper_edge_is_exact_to_the_microsecond() -> None:
    view = AccountView()
    view.apply_conversation(None, facts_of(created("c", MIN)), T_US)
    # not yet in W, but open now
    assert (view.overview(T_US).total_conversations, view.overview(T_US).quick_pulse_open) == (0, 1)
    assert view.overview(us(MIN) - 1).total_conversations == 0
    assert view.overview(us(MIN)).total_conversations == 1


def test_a_change_while_pending_is_retracted_from_pending() -> None:
    view, base = AccountView(), [created("c", -H)]
    resolved = facts_of(*base, status("c", 30 * S, "resolved", "a1"))
    reopened = facts_of(*base, status("c", 30 * S, "resolved", "a1"), status("c", 40 * S, "open"))
    view.apply_conversation(None, facts_of(*base), T_US)
    view.apply_conversation(facts_of(*base), resolved, T_US)  # the resolution waits in pending
    view.apply_conversation(resolved, reopened, T_US + 10)  # ...and is taken back out of it
    after = view.overview(us(MIN))
    assert (after.top_agents, after.quick_pulse_open, after.total_conversations) == ([], 1, 1)


def test_an_item_is_retracted_from_the_bucket_it_was_promoted_to() -> None:
    view, facts = AccountView(), facts_of(created("c", 30 * S), rated("c", 40 * S, 5))
    view.apply_conversation(None, facts, T_US)
    assert view.overview(us(MIN)).customer_happiness == 100  # promoted from pending
    view.apply_conversation(facts, None, us(MIN))
    assert msgspec.to_builtins(view.overview(us(MIN))) == ZERO
    assert view.totals == Tally()
    assert view.placed() == {"buckets": {}, "pending": {}}  # emptied tallies are dropped, not kept as zeros


def test_expiry_and_retraction_after_expiry() -> None:
    view, facts = AccountView(), facts_of(created("c", -H), status("c", -H + 60 * S, "resolved", "a1"))
    view.apply_conversation(None, facts, T_US)
    assert view.overview(T_US + WINDOW_US - 2 * HOUR_US).total_conversations == 1
    gone = view.overview(T_US + WINDOW_US + HOUR_US)
    assert (gone.total_conversations, gone.top_agents, gone.median_handle_time) == (0, [], 0)
    # retracting an expired item touches nothing: it left the totals with its bucket
    view.apply_conversation(facts, facts_of(created("c", -H)), T_US + WINDOW_US + HOUR_US)
    assert msgspec.to_builtins(view.overview(T_US + WINDOW_US + HOUR_US)) == {**ZERO, "quick_pulse_open": 1}
    assert view.totals == Tally()


@pytest.mark.parametrize(
    ("offset", "counted"),
    [
        (-30 * D - 2 * H, {0}),  # more than a bucket outside: never
        (-30 * D - 30 * MIN, {0, 1}),  # within one bucket outside: SPEC §3 allows either side
        (-30 * D, {0, 1}),  # exactly T - 30d (outside W): either side
        (-30 * D + 30 * MIN, {0, 1}),  # within one bucket inside: either side
        (-30 * D + 2 * H, {1}),  # more than a bucket inside: always
    ],
)
def test_lower_edge_is_within_one_bucket(offset: timedelta, counted: set[int]) -> None:
    view = AccountView()
    view.apply_conversation(None, facts_of(created("c", offset)), T_US)
    assert view.overview(T_US).total_conversations in counted


def test_the_window_never_moves_back_when_the_clock_does() -> None:
    view = AccountView()
    view.apply_conversation(None, facts_of(created("c", 30 * S)), T_US)
    assert view.overview(us(MIN)).total_conversations == 1
    assert view.overview(T_US).total_conversations == 1  # as of the watermark, T + 1 min


def test_a_jump_past_the_whole_window_drops_pending_items() -> None:
    view, facts = AccountView(), facts_of(created("c", MIN))
    view.apply_conversation(None, facts, T_US)
    assert msgspec.to_builtins(view.overview(T_US + 40 * DAY_US)) == {**ZERO, "quick_pulse_open": 1}
    view.apply_conversation(facts, None, T_US + 40 * DAY_US)  # its items were never counted: nothing to take back
    assert msgspec.to_builtins(view.overview(T_US + 40 * DAY_US)) == ZERO


def test_version_changes_exactly_when_a_figure_may_have_changed() -> None:
    view = AccountView()
    never_created = facts_of(rated("c0", -H, 5))
    base = facts_of(created("c", -H))
    v = view.version
    view.apply_conversation(None, never_created, T_US)
    assert view.version == v  # contributes nothing
    view.apply_conversation(None, base, T_US)
    assert view.version > v
    v = view.version
    chatted = facts_of(created("c", -H), message("c", -MIN, "contact"))
    view.apply_conversation(base, chatted, T_US)
    view.overview(us(S))
    assert view.version == v  # the facts changed but not the contribution, and nothing expired
    view.apply_conversation(chatted, facts_of(created("c", -H), rated("c", 30 * S, 4)), us(S))
    v = view.version
    view.advance(us(MIN))
    assert view.version > v  # the rating left pending
    v = view.version
    view.advance(T_US + WINDOW_US + HOUR_US)
    assert view.version > v  # buckets expired
    assert AccountView().version > view.version  # a view built afresh never reuses a version


def test_views_per_account() -> None:
    folded = Folded().feed_all(
        [
            created("c", -H),
            agent("a1", -H, "live"),
            created("c", -H, account="other"),
            created("d", -H, account="gone"),
        ],
        T_US,
    )
    views, rebuilt = folded.views, folded.rebuilt(T_US)
    for account_id in (ACCOUNT, "other", "gone"):
        assert rebuilt.overview(account_id, T_US) == views.overview(account_id, T_US)
    assert views.overview(ACCOUNT, T_US).total_conversations == 1
    assert msgspec.to_builtins(views.overview("nobody", T_US)) == ZERO
    assert views.version("nobody", T_US) == 0  # asking about an account does not store it
    assert views.version("other", T_US) > 0
    views.reset()
    assert msgspec.to_builtins(views.overview(ACCOUNT, T_US)) == ZERO and views.version("other", T_US) == 0


def test_views_rebuild_replaces_everything() -> None:
    views = Views()
    views.apply_conversation("stale", None, facts_of(created("c", -H, account="stale")), T_US)
    views.rebuild([(ACCOUNT, facts_of(created("c", -H)))], [], T_US)
    assert msgspec.to_builtins(views.overview("stale", T_US)) == ZERO
    assert views.overview(ACCOUNT, T_US).total_conversations == 1
