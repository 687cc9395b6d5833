"""Time in each status, from an agent's status history (SPEC §2 step function, SPEC §4 `time_*`).

From each status change's instant its status holds until the next change (the history is in
(ts, event_id) order, so at equal instants the later event_id wins at once: the earlier one holds
for zero time). Before the first change the status is unknown and counts as none; the last one
holds for ever, so clipping to T makes it accrue up to T.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence

from analytics.facts import AgentStatusFact

ACTIVE = ("live", "away")


def status_time_us(history: Sequence[AgentStatusFact], lo_us: int, hi_us: int) -> dict[str, int]:
    """µs spent in each status within [lo_us, hi_us)."""
    spent: dict[str, int] = {}
    # Only the changes from the one in force at lo_us until hi_us can hold inside the period: a
    # report of 30 days walks 30 days of history, not the whole retention.
    first = max(bisect_right(history, lo_us, key=_instant) - 1, 0)
    last = bisect_left(history, hi_us, key=_instant)
    if first >= last:
        return spent
    held_from_us, _, holding = history[first]
    held_from_us = max(held_from_us, lo_us)
    # Every later change in the range lies inside [lo, hi): only the first and the last segment clip.
    for since_us, _, status in itertools.islice(history, first + 1, last):
        if since_us > held_from_us:
            spent[holding] = spent.get(holding, 0) + since_us - held_from_us
        held_from_us, holding = since_us, status
    if hi_us > held_from_us:
        spent[holding] = spent.get(holding, 0) + hi_us - held_from_us
    return spent


def status_at(history: Sequence[AgentStatusFact], timestamp_us: int) -> str | None:
    """The status in force at `timestamp_us`; None before the first change."""
    index = bisect_right(history, timestamp_us, key=_instant)
    return history[index - 1][2] if index else None


def _instant(change: AgentStatusFact) -> int:
    return change[0]


def was_active(spent: Mapping[str, int]) -> bool:
    """Whether `status_time_us` found a positive time live or away: an agent whose live status
    begins at the end of the range (or at T) was active for no time, so it has no row (SPEC §4)."""
    return any(spent.get(status, 0) > 0 for status in ACTIVE)
