"""Every SPEC §3 figure on small scenarios, folded the way the stream shell does and checked two ways:
against the figures written out by hand, and against the naive reference."""

from __future__ import annotations

from typing import Any

import pytest

from events.schema import Event
from tests.support.builders import ACCOUNT, MIN, T_US, D, H, S, agent, created, message, rated, status
from tests.support.fold import Folded
from tests.support.reference import ZERO, reference_overview


def top(*ranked: tuple[str, int, str]) -> list[dict[str, Any]]:
    return [{"name": name, "resolved": resolved, "agent_id": agent_id} for name, resolved, agent_id in ranked]


def overview(events: list[Event], now_us: int = T_US) -> dict[str, Any]:
    got = Folded().feed_all(events, now_us).overview(ACCOUNT, now_us)
    # No scenario puts an item within a bucket of T - 30d, so the exact-window reference must agree.
    assert got == reference_overview(events, ACCOUNT, now_us)
    return got


def handled(conversation: str, seconds: float, resolver: str | None = "a1", at_hours_ago: int = 3) -> list[Event]:
    """A conversation resolved `seconds` after it was created."""
    start = -at_hours_ago * H
    return [created(conversation, start), status(conversation, start + seconds * S, "resolved", resolver)]


def test_empty_window_is_all_zeros_in_spec_order() -> None:
    assert list(overview([]).items()) == list(ZERO.items())


SCENARIOS = [
    pytest.param(
        # everything happened before the window and is settled
        [created("c", -40 * D), status("c", -35 * D, "resolved", "a1"), rated("c", -35 * D, 5)],
        ZERO,
        id="all-before-the-window",
    ),
    pytest.param(
        # a conversation never created counts nowhere, whatever else happened to it
        [message("c", -H), status("c", -30 * MIN, "resolved", "a1"), rated("c", -10 * MIN, 5)],
        ZERO,
        id="never-created",
    ),
    pytest.param(
        # created only: counted, open, no replies
        [created("c", -H, "widget")],
        {"total_conversations": 1, "channel_mix": {"widget": 100.0}, "quick_pulse_open": 1, "resolution_rate": 0.0},
        id="created-only",
    ),
    pytest.param(
        # contact and bot messages are not replies
        [created("c", -H), message("c", -H + 10 * S, "contact"), message("c", -H + 20 * S, "bot")],
        {"avg_first_response": 0},
        id="contact-and-bot-are-not-replies",
    ),
    pytest.param(
        # the first agent message is the reply, later ones do not matter
        [created("c", -H), message("c", -H + 47 * S), message("c", -H + 90 * S, agent="a2")],
        {"avg_first_response": 47},
        id="first-reply",
    ),
    pytest.param(
        # a reply stamped before created counts as 0 s: (0 + 10) / 2
        [created("c1", -H), message("c1", -H - 5 * MIN), created("c2", -H), message("c2", -H + 10 * S)],
        {"avg_first_response": 5},
        id="reply-predating-created",
    ),
    pytest.param(
        # SPEC's rounding example: a mean of 62782.5 s is 62783
        [
            created("c1", -20 * H),
            message("c1", -20 * H + 62782 * S),
            created("c2", -20 * H),
            message("c2", -20 * H + 62783 * S),
        ],
        {"avg_first_response": 62783},
        id="first-response-half-rounds-up",
    ),
    pytest.param(
        # the reply is in W though the conversation was created before it
        [created("c", -31 * D), message("c", -29 * D)],
        {"avg_first_response": 2 * 86400, "total_conversations": 0, "quick_pulse_open": 1},
        id="first-reply-in-window-created-before",
    ),
    pytest.param(
        # a resolution: rate, handle times and the resolver
        handled("c", 384),
        {
            "resolution_rate": 100.0,
            "top_agents": top(("a1", 1, "a1")),
            "median_handle_time": 384,
            "avg_handle_time": 384,
            "quick_pulse_open": 0,
        },
        id="resolved",
    ),
    pytest.param(
        # reopening withdraws the resolution
        [*handled("c", 384), status("c", -MIN, "open", "a1")],
        {
            "resolution_rate": 0.0,
            "top_agents": [],
            "median_handle_time": 0,
            "avg_handle_time": 0,
            "quick_pulse_open": 1,
        },
        id="reopened",
    ),
    pytest.param(
        # resolved again by another agent: counts once, at the new time, for the new resolver
        [*handled("c", 3600, "a1"), status("c", -90 * MIN, "open"), status("c", -H, "resolved", "a2")],
        {
            "resolution_rate": 100.0,
            "top_agents": top(("a2", 1, "a2")),
            "median_handle_time": 7200,
            "avg_handle_time": 7200,
        },
        id="re-resolved-by-another-agent",
    ),
    pytest.param(
        # a resolution without a resolver counts in every figure but top_agents
        handled("c", 60, resolver=None),
        {"resolution_rate": 100.0, "top_agents": [], "median_handle_time": 60, "avg_handle_time": 60},
        id="resolution-without-resolver",
    ),
    pytest.param(
        # reopen and resolve at the very same instant: the larger event_id is the later one
        [created("c", -H), status("c", -MIN, "resolved", "a1", event_id="b"), status("c", -MIN, "open", event_id="a")],
        {"resolution_rate": 100.0, "quick_pulse_open": 0},
        id="status-tie-broken-by-event-id",
    ),
    pytest.param(
        # pending and snoozed are neither open nor resolved
        [created("c1", -H), status("c1", -MIN, "pending"), created("c2", -H), status("c2", -MIN, "snoozed")],
        {"quick_pulse_open": 0, "resolution_rate": 0.0, "total_conversations": 2},
        id="pending-and-snoozed",
    ),
    pytest.param(
        # re-rated: only the latest rating counts
        [created("c", -3 * H), rated("c", -2 * H, 5), rated("c", -H, 2)],
        {"customer_happiness": 0},
        id="re-rated",
    ),
    pytest.param(
        # 1 good rating of 8 is 12.5 %, rounded half up
        [e for n in range(8) for e in (created(f"c{n}", -H), rated(f"c{n}", -MIN, 5 if n == 0 else 3))],
        {"customer_happiness": 13},
        id="happiness-half-rounds-up",
    ),
    pytest.param(
        # the rating counts by when it was given, not when the conversation was created
        [created("c", -35 * D), rated("c", -D, 4)],
        {"customer_happiness": 100, "total_conversations": 0},
        id="rated-in-window-created-before",
    ),
    pytest.param(
        # the current rating was given after T: nothing in W, though an older one was
        [created("c", -H), rated("c", -MIN, 5), rated("c", MIN, 1)],
        {"customer_happiness": None},
        id="current-rating-after-T",
    ),
    pytest.param(
        # SPEC's rounding example: 13 resolved of 16 is 81.25 %, shown 81.3
        [e for n in range(16) for e in (handled(f"c{n}", 60) if n < 13 else [created(f"c{n}", -H)])],
        {"resolution_rate": 81.3, "total_conversations": 16},
        id="resolution-rate-half-rounds-up",
    ),
    pytest.param(
        # three equal channels: 33.4 goes to the name sorting first, and the sum is exactly 100.0
        [created("c1", -H, "whatsapp"), created("c2", -H, "telegram"), created("c3", -H, "email")],
        {"channel_mix": {"email": 33.4, "telegram": 33.3, "whatsapp": 33.3}},
        id="channel-mix-three-way-tie",
    ),
    pytest.param(
        # several created events: the earliest gives the channel
        [created("c", -H, "email"), created("c", -2 * H, "widget")],
        {"channel_mix": {"widget": 100.0}, "total_conversations": 1},
        id="earliest-created-wins",
    ),
    pytest.param(
        # top agents: most first, ties by name (code points: "A" < "B" < "a"), then agent_id, at most 5
        [
            *[e for n in range(3) for e in handled(f"z{n}", 60, "a6")],
            *[e for n in range(2) for e in handled(f"b{n}", 60, "a1")],
            *[e for n in range(2) for e in handled(f"l{n}", 60, "a2")],
            *[e for n in range(2) for e in handled(f"g{n}", 60, "agt_z")],  # never seen on agent-events
            *handled("s4", 60, "a4"),
            *handled("s5", 60, "a5"),
            agent("a1", -D, "live", "Bea"),
            agent("a2", -D, "live", "Al"),
            agent("a4", -D, "offline", "Sam"),
            agent("a5", -D, "offline", "Sam"),
            agent("a6", -D, "away", "Zed"),
        ],
        {
            "top_agents": top(
                ("Zed", 3, "a6"), ("Al", 2, "a2"), ("Bea", 2, "a1"), ("agt_z", 2, "agt_z"), ("Sam", 1, "a4")
            ),
            "active_agents": 3,
        },
        id="top-agents-ties",
    ),
    pytest.param(
        # the name comes from the latest event carrying one; no name at all shows the id
        [
            *handled("c1", 60, "a1"),
            *handled("c2", 60, "a2"),
            agent("a1", -3 * D, "live", "Sarah Chen"),
            agent("a1", -2 * D, "away", "Sarah C."),
            agent("a1", -D, "live"),
            agent("a2", -D, "live"),
        ],
        {"top_agents": top(("Sarah C.", 1, "a1"), ("a2", 1, "a2"))},
        id="agent-names",
    ),
    pytest.param(
        # a status holds however long; the latest by time wins, not by arrival
        [
            agent("a1", -60 * D, "live"),
            agent("a2", -H, "away"),
            agent("a3", -H, "offline"),
            agent("a3", -2 * H, "live"),
            agent("a4", MIN, "live"),  # a minute ahead of T: a now-figure uses it
        ],
        {"active_agents": 3},
        id="active-agents",
    ),
    pytest.param(
        # even n: the median is the ⌈n/2⌉-th smallest (20), not the mean of the middle two
        [e for n, s in enumerate([40, 10, 30, 20]) for e in handled(f"c{n}", s)],
        {"median_handle_time": 20, "avg_handle_time": 25},
        id="median-even-count",
    ),
    pytest.param(
        # durations kept to the microsecond, rounded once: 1.5 s → 2
        handled("c", 1.5),
        {"median_handle_time": 2, "avg_handle_time": 2},
        id="handle-time-half-rounds-up",
    ),
    pytest.param(
        # created a minute after T: not in W, but open now
        [created("c", MIN)],
        {"total_conversations": 0, "channel_mix": {}, "quick_pulse_open": 1},
        id="created-after-T",
    ),
    pytest.param(
        # created exactly at T: W is (T - 30d, T], so it counts
        [created("c", 0 * S)],
        {"total_conversations": 1},
        id="created-at-T",
    ),
    pytest.param(
        # resolved a minute after T: "resolved now" already (rate), but resolved_at is not in W
        [created("c", -H), status("c", MIN, "resolved", "a1")],
        {"resolution_rate": 100.0, "top_agents": [], "median_handle_time": 0, "quick_pulse_open": 0},
        id="resolved-after-T",
    ),
    pytest.param(
        # the lower edge, clear of the bucket: 2 h outside is out, 2 h inside is in; both open now
        [created("out", -30 * D - 2 * H), created("in", -30 * D + 2 * H)],
        {"total_conversations": 1, "quick_pulse_open": 2},
        id="lower-edge",
    ),
    pytest.param(
        # open counts at any age
        [created("c", -400 * D)],
        {"quick_pulse_open": 1, "total_conversations": 0},
        id="open-of-any-age",
    ),
    pytest.param(
        # another account's events never leak in
        [created("c", -H, account="other"), agent("a1", -H, "live", account="other")],
        ZERO,
        id="other-account",
    ),
]


@pytest.mark.parametrize(("events", "expected"), SCENARIOS)
def test_overview(events: list[Event], expected: dict[str, Any]) -> None:
    got = overview(events)
    assert {field: got[field] for field in expected} == expected
