"""A paused worker stops answering until the group's verdict is in (streams.lease), with a fake clock."""

from __future__ import annotations

import pytest

from analytics.window import Views
from api.ports import NotReady
from streams.lease import Lease
from streams.live_state import LiveState
from tests.support.builders import T_US


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def serving_state(clock: Clock, session_timeout_s: float = 6) -> LiveState:
    state = LiveState(
        views=Views(), partition_of=lambda account: 0, lease=Lease(session_timeout_s=session_timeout_s, monotonic=clock)
    )
    state.recovered(assigned=[("events", 0)], conversations=[], agents=[], next_offsets={}, highwaters={}, now_us=T_US)
    return state


@pytest.mark.parametrize(
    ("ticks", "pause_s", "served"),
    [
        ([0.5] * 10, 0.5, True),  # ticks on time: served
        ([0.5] * 4, 1.9, True),  # a late tick, but shorter than a third of the session: served
        ([0.5] * 4, 9.0, False),  # frozen past the session timeout: the group may have moved the partitions
        ([0.5] * 4, 2.1, False),  # past a third of it already: the heartbeats may have been missed
    ],
)
def test_a_pause_longer_than_a_third_of_the_session_suspends_answers(
    ticks: list[float], pause_s: float, served: bool
) -> None:
    clock = Clock()
    state = serving_state(clock)
    for step in ticks:
        clock.now += step
        state.lease.tick()
    clock.now += pause_s  # the loop did not run: a request queued meanwhile is read first
    if served:
        assert state.overview("acme", T_US).total_conversations == 0
    else:
        with pytest.raises(NotReady, match="paused for"):
            state.overview("acme", T_US)
        assert state.readiness()[0] is False


def test_after_a_pause_the_group_decides_by_a_rebalance_or_by_a_session_without_one() -> None:
    clock = Clock()
    state = serving_state(clock)
    clock.now += 9
    state.lease.tick()  # the first tick after the pause notices it
    clock.now += 0.5
    state.lease.tick()
    with pytest.raises(NotReady):
        state.overview("acme", T_US)
    # Kept by the group: a whole session timeout passes and no rebalance came.
    for _ in range(12):
        clock.now += 0.5
        state.lease.tick()
    assert state.overview("acme", T_US).total_conversations == 0

    clock.now += 9  # paused again; this time the group moves the partitions and they come back
    state.lease.tick()
    state.rebalance_started()
    state.recovered(assigned=[("events", 0)], conversations=[], agents=[], next_offsets={}, highwaters={}, now_us=T_US)
    assert state.overview("acme", T_US).total_conversations == 0  # a completed rebalance is the verdict
