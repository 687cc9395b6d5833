"""Hypothesis strategies for conversations that live their whole life where a test looks.

Arbitrary events alone rarely make a conversation that is created, answered, resolved and rated in
the same window: a property over them checks medians and averages of empty sets. A lifecycle here
is one conversation's events in the order a real one has them — created, a contact message, agent
replies, maybe pending, resolved (maybe reopened and resolved again, by someone else), rated (maybe
re-rated) — each step a drawn duration after the one before. Callers place the `created` instant
where the figures are computed and mix the lifecycles with arbitrary events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from events.schema import ConversationEvent, ConversationRated, ConversationStatusChanged, Event, MessageCreated
from tests.support.builders import ACCOUNT, created, message, rated, status
from tests.support.reference import instant_us

SECOND_US = 10**6
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
AGENTS = st.sampled_from(["a0", "a1", "a2"])
T = TypeVar("T")


def steps(longest_us: int) -> st.SearchStrategy[int]:
    """Durations of one step: ties (0), whole seconds, and anything up to `longest_us`."""
    return st.one_of(
        st.sampled_from([0, SECOND_US, MINUTE_US]),
        st.integers(1, longest_us),
        st.integers(1, longest_us // 10 + 1),
    )


@st.composite
def lifecycle(
    draw: st.DrawFn, conversation_id: str, created_us: st.SearchStrategy[int], longest_step_us: int, complete: bool
) -> list[ConversationEvent]:
    """One conversation's events; instants are µs relative to T (builders' T). A complete one is
    answered, resolved and rated for sure (and may still be reopened, re-resolved, re-rated)."""
    step = steps(longest_step_us)

    def at(offset_us: int) -> timedelta:
        return timedelta(microseconds=offset_us)

    def chance(percent: int) -> bool:
        return draw(st.integers(0, 99)) < percent

    def sure_or_chance(percent: int) -> bool:
        return complete or chance(percent)

    t_us = draw(created_us)
    events: list[ConversationEvent] = [
        created(conversation_id, at(t_us), draw(st.sampled_from(["email", "widget", "whatsapp"])))
    ]
    if chance(60):
        events.append(message(conversation_id, at(t_us + draw(step)), "contact"))
    if sure_or_chance(90):
        reply_us = t_us + draw(step) if chance(95) else t_us - draw(step)  # clock skew: counts as 0 s
        for _ in range(draw(st.integers(1, 3))):
            events.append(message(conversation_id, at(reply_us), "agent", draw(AGENTS)))
            reply_us += draw(step)
        t_us = max(t_us, reply_us)
    if chance(20):
        t_us += draw(step)
        events.append(status(conversation_id, at(t_us), draw(st.sampled_from(["pending", "snoozed"]))))
    if sure_or_chance(90):
        t_us += draw(step)
        events.append(status(conversation_id, at(t_us), "resolved", draw(st.one_of(st.none(), AGENTS))))
        if chance(25):  # reopened, and maybe resolved again by someone else
            t_us += draw(step)
            events.append(status(conversation_id, at(t_us), "open"))
            if sure_or_chance(70):
                t_us += draw(step)
                events.append(status(conversation_id, at(t_us), "resolved", draw(st.one_of(st.none(), AGENTS))))
    if sure_or_chance(80):
        for _ in range(draw(st.integers(1, 2))):  # re-rated: the latest rating counts
            t_us += draw(step)
            events.append(rated(conversation_id, at(t_us), draw(st.integers(1, 5))))
    return events


def lifecycles(
    inside_us: st.SearchStrategy[int], created_us: st.SearchStrategy[int], longest_step_us: int, prefix: str = "L"
) -> st.SearchStrategy[list[Event]]:
    """Four to ten lifecycles of distinct conversations (L0, L1, … after `prefix`) of ACCOUNT, events concatenated:
    three complete ones created at `inside_us` (where they should end inside what a test looks at),
    the others anything created at `created_us`."""

    def joined(count: int) -> st.SearchStrategy[list[Event]]:
        each = [
            lifecycle(f"{prefix}{n}", inside_us if n < 3 else created_us, longest_step_us, complete=n < 3)
            for n in range(count)
        ]
        return st.tuples(*each).map(lambda parts: [event for part in parts for event in part])

    return st.integers(4, 10).flatmap(joined)


def counts_in(events: Iterable[Event], lo_us: int, hi_us: int, account_id: str = ACCOUNT) -> dict[str, int]:
    """How many resolutions, first responses and ratings of `account_id` fall in [lo, hi) (absolute µs),
    read plainly off the events (latest status and rating, earliest agent reply) to show what a
    property exercises."""
    latest_status: dict[str, tuple[int, str, ConversationStatusChanged]] = {}
    first_reply: dict[str, tuple[int, str]] = {}
    latest_rating: dict[str, tuple[int, str]] = {}
    for event in events:
        if event.account_id != account_id:
            continue
        key = (instant_us(event.occurred_at), event.event_id)
        if isinstance(event, ConversationStatusChanged):
            was = latest_status.get(event.conversation_id)
            if was is None or key > was[:2]:
                latest_status[event.conversation_id] = (*key, event)
        elif isinstance(event, MessageCreated) and event.sender_type == "agent":
            first_reply[event.conversation_id] = min(first_reply.get(event.conversation_id, key), key)
        elif isinstance(event, ConversationRated):
            latest_rating[event.conversation_id] = max(latest_rating.get(event.conversation_id, key), key)

    def inside(instant: int) -> bool:
        return lo_us <= instant < hi_us

    return {
        "resolutions": sum(e.status == "resolved" and inside(t) for t, _, e in latest_status.values()),
        "first_responses": sum(inside(t) for t, _ in first_reply.values()),
        "ratings": sum(inside(t) for t, _ in latest_rating.values()),
    }


def share_of_examples(strategy: st.SearchStrategy[T], exercised: Callable[[T], bool], examples: int = 100) -> float:
    """The share of `examples` drawn from `strategy` for which `exercised` holds.

    Derandomised, so the share is the same on every run: a test of it never passes only sometimes.
    """
    verdicts: list[bool] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(example: T) -> None:
        verdicts.append(exercised(example))

    draw()
    return sum(verdicts) / len(verdicts)
