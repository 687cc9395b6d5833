"""Time in each status, from an agent's status history (SPEC §2 step function, SPEC §4 `time_*`).

From each status change's instant its status holds until the next change (the history is in
(ts, event_id) order, so at equal instants the later event_id wins at once: the earlier one holds
for zero time). Before the first change the status is unknown and counts as none; the last one
holds for ever, so clipping to T makes it accrue up to T.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence

from analytics.facts import AgentStatusFact

ACTIVE = ("live", "away")


class Timeline:
    """An agent's status history with running totals per status, so that the time spent in each
    status within any period costs two binary searches instead of a walk over the changes."""

    def __init__(self, history: Sequence[AgentStatusFact]) -> None:
        self.history = history
        self._times = [change[0] for change in history]
        self._statuses = [change[2] for change in history]
        self._before: dict[str, list[int]] = {}  # status -> µs held in it before each change
        held = dict.fromkeys(self._statuses, 0)
        for status in held:
            self._before[status] = []
        for i, status in enumerate(self._statuses):
            for name, totals in self._before.items():
                totals.append(held[name])
            if i + 1 < len(self._times):
                held[status] += self._times[i + 1] - self._times[i]

    def spent_us(self, lo_us: int, hi_us: int) -> dict[str, int]:
        """µs spent in each status within [lo_us, hi_us) (those with any), as `status_time_us`."""
        if not self._times or hi_us <= max(lo_us, self._times[0]):
            return {}
        lo_us = max(lo_us, self._times[0])
        spent = {}
        for status, totals in self._before.items():
            held = self._held(status, totals, hi_us) - self._held(status, totals, lo_us)
            if held:
                spent[status] = held
        return spent

    def _held(self, status: str, totals: list[int], at_us: int) -> int:
        """µs in `status` from the first change until `at_us` (not before the first change)."""
        i = bisect_right(self._times, at_us) - 1
        return totals[i] + (at_us - self._times[i] if self._statuses[i] == status else 0)


def status_at(history: Sequence[AgentStatusFact], timestamp_us: int) -> str | None:
    """The status in force at `timestamp_us`; None before the first change."""
    index = bisect_right(history, timestamp_us, key=_instant)
    return history[index - 1][2] if index else None


def _instant(change: AgentStatusFact) -> int:
    return change[0]


def was_active(spent: Mapping[str, int], history: Sequence[AgentStatusFact], lo_us: int, last_us: int) -> bool:
    """Whether the agent was live or away at any instant of [lo_us, last_us] (both included), given
    what `Timeline.spent_us` says it spent in [lo_us, last_us)."""
    if last_us < lo_us:
        return False
    return any(spent.get(status, 0) for status in ACTIVE) or status_at(history, last_us) in ACTIVE
