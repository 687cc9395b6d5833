"""A fake `api.broadcast.Clock`: time moves only when the test says, so timing is asserted, not raced."""

from __future__ import annotations

import asyncio

# How long `advance` lets the tasks it woke take to reach their next sleep: a deadline for a
# hung task, never a budget (they need no real time at all).
_SETTLE_S = 30.0


class FakeClock:
    """Sleepers wake when `advance` moves `now` past their deadline, and only then."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None], asyncio.Task[object] | None]] = []

    async def sleep(self, seconds: float) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, wake, asyncio.current_task()))
        await wake

    def sleeping(self, task: asyncio.Task[object] | None) -> bool:
        return any(sleeper is task and not wake.done() for _, wake, sleeper in self._sleepers)

    async def advance(self, seconds: float) -> None:
        """Move time on by `seconds`; return once every task this woke has slept again or ended."""
        await asyncio.sleep(0)  # tasks started just now reach their first sleep at the old time
        self.now += seconds
        due = [sleeper for sleeper in self._sleepers if sleeper[0] <= self.now]
        self._sleepers = [sleeper for sleeper in self._sleepers if sleeper[0] > self.now]
        woken = []
        for _, wake, task in due:
            if not wake.done():  # a cancelled sleep wakes nobody
                wake.set_result(None)
                woken.append(task)
        async with asyncio.timeout(_SETTLE_S):
            while not all(task is None or task.done() or self.sleeping(task) for task in woken):
                await asyncio.sleep(0)
