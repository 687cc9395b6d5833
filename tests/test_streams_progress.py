"""Catch-up, stopped partitions and stall detection, without Faust (issues #11 and #16)."""

from __future__ import annotations

import pytest

from analytics.window import Views
from api.ports import NotReady
from streams.live_state import LiveState
from streams.stall import Observation, StallDetector
from tests.support.builders import T_US

TOPIC = "conversation-events"
HOME, OTHER = (TOPIC, 0), (TOPIC, 1)


def partition_of(account_id: str) -> int:
    return 0 if account_id == "acme" else 1


def recovered(next_offsets: dict[tuple[str, int], int], highwaters: dict[tuple[str, int], int]) -> LiveState:
    state = LiveState(views=Views(), partition_of=partition_of)
    state.recovered(
        assigned=[HOME, OTHER],
        conversations=[],
        agents=[],
        next_offsets=next_offsets,
        highwaters=highwaters,
        now_us=T_US,
    )
    return state


def test_a_committed_offset_at_the_target_ends_catching_up_with_nothing_folded_here() -> None:
    # Issue #16: the records below the target were folded before the rebalance and committed
    # after the offsets behind the target were read; no record arrives to clear it.
    state = recovered({HOME: 10}, {HOME: 20, OTHER: 0})
    assert state.catching_up() == [HOME]
    state.reached(HOME, 19)  # committed, but one record is still missing
    assert state.catching_up() == [HOME]
    state.reached(HOME, 20)
    assert state.catching_up() == []
    assert state.overview("acme", T_US).total_conversations == 0


def test_a_partition_with_nothing_to_fold_is_not_catching_up() -> None:
    assert recovered({HOME: 20}, {HOME: 20, OTHER: 0}).readiness() == (True, "serving 2 partition(s)")


def test_a_stopped_partition_is_not_served_and_the_worker_is_not_ready_until_recovered_again() -> None:
    state = recovered({}, {HOME: 0, OTHER: 0})
    state.stop([HOME], "a record could not be folded or dead-lettered (MessageSizeTooLargeError: too big)")
    with pytest.raises(NotReady, match="stopped: a record could not be folded"):
        state.overview("acme", T_US)
    assert state.overview("globex", T_US).total_conversations == 0  # other partitions are served
    ready, reason = state.readiness()
    assert not ready and reason.startswith("stopped on 1 partition(s), first conversation-events/0: a record")
    state.rebalance_started()
    state.recovered(assigned=[HOME], conversations=[], agents=[], next_offsets={}, highwaters={HOME: 0}, now_us=T_US)
    assert state.stopped == {} and state.readiness()[0]


def test_a_partition_with_records_waiting_and_no_progress_stalls_after_the_threshold() -> None:
    detector = StallDetector(threshold_s=60)
    waiting = {HOME: Observation(processed=5, end=9, catching_up=False)}
    assert detector.update(waiting, now=0) == ([], [])
    assert detector.update(waiting, now=59.9) == ([], [])
    assert detector.health() == (True, "ok")
    assert detector.update(waiting, now=60) == ([HOME], [])
    assert detector.update(waiting, now=61) == ([], [])  # reported once
    alive, reason = detector.health()
    assert not alive
    assert reason == "1 partition(s) stalled: conversation-events/0 has had records waiting and none processed for 61 s"
    # Progress ends the stall.
    assert detector.update({HOME: Observation(processed=6, end=9, catching_up=False)}, now=62) == ([], [HOME])
    assert detector.health() == (True, "ok")


@pytest.mark.parametrize(
    ("observation", "stalls"),
    [
        (Observation(processed=9, end=9, catching_up=False), False),  # nothing waiting: idle, not stalled
        (Observation(processed=9, end=9, catching_up=True), True),  # catching up with nothing left: stuck
    ],
)
def test_only_waiting_partitions_stall(observation: Observation, stalls: bool) -> None:
    detector = StallDetector(threshold_s=10)
    detector.update({HOME: observation}, now=0)
    assert detector.update({HOME: observation}, now=100) == (([HOME], []) if stalls else ([], []))


def test_progress_keeps_a_busy_partition_alive_and_a_reset_forgets_stalls() -> None:
    detector = StallDetector(threshold_s=10)
    for second in range(0, 100, 5):
        detector.update({HOME: Observation(processed=second, end=1000, catching_up=False)}, now=second)
    assert detector.stalled() == {}
    stuck = {OTHER: Observation(processed=0, end=1, catching_up=False)}
    detector.update(stuck, now=100)
    detector.update(stuck, now=200)
    assert detector.stalled() == {OTHER: 100}
    detector.reset()  # a rebalance: the clock starts again
    assert detector.stalled() == {} and detector.update(stuck, now=201) == ([], [])
