"""Serving only while the group can still count on this worker: a pause ends the right to answer.

A worker frozen longer than its session (a SIGSTOP, a stopped VM, a swap storm) loses its
partitions to another worker, but only learns so once its consumer talks to the group again;
meanwhile it would answer from the figures of the moment it froze. So the worker watches its own
event loop: a tick every `TICK_S`; a gap of more than a third of the session timeout is a pause
the group may have acted on. After one, nothing is served until the group's verdict is in: a
rebalance that completes (`renewed`), or half a session timeout without one starting — the
consumer heartbeats every fifth of it (streams.app), and the first heartbeat after a pause tells
it whether it was dropped — which means the group kept us. No Faust in here; the clock is passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable

TICK_S = 0.5


class Lease:
    def __init__(self, *, session_timeout_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._max_gap_s = session_timeout_s / 3
        self._verdict_s = session_timeout_s / 2
        self._monotonic = monotonic
        self._last_tick = monotonic()
        self._paused_s = 0.0
        self._suspended_until = float("-inf")

    def tick(self) -> None:
        """The event loop ran on time (called every TICK_S)."""
        now = self._monotonic()
        self._notice_gap(now)
        self._last_tick = now

    def renewed(self) -> None:
        """A rebalance completed: what this worker owns is known afresh."""
        self._suspended_until = float("-inf")
        self._last_tick = self._monotonic()

    def suspended(self) -> str | None:
        """Why this worker may not answer now, or None."""
        now = self._monotonic()
        self._notice_gap(now)
        if now < self._suspended_until:
            return (
                f"this worker was paused for {self._paused_s:.1f} s and may have lost its partitions;"
                " it answers again once the group has confirmed or moved them"
            )
        return None

    def _notice_gap(self, now: float) -> None:
        # Requests queued during a pause are read before the tick that would notice it: they look too.
        gap = now - self._last_tick
        if gap > self._max_gap_s:
            self._paused_s = gap
            self._suspended_until = max(self._suspended_until, now + self._verdict_s)
            self._last_tick = now
