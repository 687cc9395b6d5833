"""Which partitions have stopped making progress: records waiting, none processed for a while. No Faust.

A worker whose fold agent died, hangs, or stopped a partition on a record it could neither fold nor
dead-letter would otherwise keep answering its probes with frozen figures forever (issue #11). A
partition counts as waiting while its end offset is past what was processed or it is still
catching up; it is stalled once it has been waiting with no progress for `threshold_s`. The
worker then reports itself unhealthy, so an orchestrator restarts it and the records are read
again from the committed offsets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class Observation:
    processed: int  # the next offset after the last record processed (or committed) here
    end: int  # the partition's end offset
    catching_up: bool


@dataclass
class _Watch:
    processed: int
    since: float  # when the partition was last seen idle or making progress


class StallDetector:
    def __init__(self, threshold_s: float) -> None:
        self.threshold_s = threshold_s
        self._watches: dict[TopicPartition, _Watch] = {}
        self._stalled: dict[TopicPartition, float] = {}

    def reset(self) -> None:
        """After a rebalance: the new assignment starts with a clean slate."""
        self._watches.clear()
        self._stalled.clear()

    def update(
        self, observations: dict[TopicPartition, Observation], now: float
    ) -> tuple[list[TopicPartition], list[TopicPartition]]:
        """Record what each assigned partition looks like now; return (newly stalled, no longer stalled)."""
        for tp in set(self._watches) - set(observations):
            del self._watches[tp]
        for tp, seen in observations.items():
            watch = self._watches.get(tp)
            waiting = seen.end > seen.processed or seen.catching_up
            if watch is None or not waiting or seen.processed != watch.processed:
                self._watches[tp] = _Watch(seen.processed, now)
        stalled = {tp: now - w.since for tp, w in self._watches.items() if now - w.since >= self.threshold_s}
        started = sorted(set(stalled) - set(self._stalled))
        ended = sorted(set(self._stalled) - set(stalled))
        self._stalled = stalled
        return started, ended

    def stalled(self) -> dict[TopicPartition, float]:
        """Stalled partitions and for how long, as of the last update."""
        return dict(self._stalled)

    def health(self) -> tuple[bool, str]:
        if not self._stalled:
            return True, "ok"
        (topic, partition), seconds = max(self._stalled.items(), key=lambda item: item[1])
        return False, (
            f"{len(self._stalled)} partition(s) stalled: {topic}/{partition} has had records waiting"
            f" and none processed for {seconds:.0f} s"
        )


def describe(partitions: Iterable[TopicPartition]) -> str:
    return ", ".join(f"{topic}/{partition}" for topic, partition in partitions)
