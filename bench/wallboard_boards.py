"""The boards of bench.wallboard, in generator processes: each reads the overview stream and, like the
wallboard page (api/static/wallboard_extras.js), refreshes its report panels when the figures move.

A board's panels: today by hour with the agent breakdown, the same day a week ago, the last 30 days
(from a quarter hour) against the 30 before, one report at a time, and the agents on duty beside
them; at most once per `MIN_GAP_S`, and every `POLL_S` besides; after a 429, again once its
Retry-After has passed. A process runs its share of the boards on aiohttp (a cheaper client than
httpx: the generator must not be what saturates), and reports what it saw and its own CPU.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import orjson

from api.agents import AGENTS_PATH
from api.report import REPORT_PATH
from api.stream import STREAM_PATH

MIN_GAP_S = 2.0
POLL_S = 10.0
QUARTER_HOUR_S = 900


def panel_queries(now: datetime) -> list[dict[str, str]]:
    today = now.date()
    week_ago = today - timedelta(days=7)
    since_30 = (now.timestamp() - 30 * 86_400) // QUARTER_HOUR_S * QUARTER_HOUR_S
    return [
        {
            "since": today.isoformat(),
            "until": (today + timedelta(days=1)).isoformat(),
            "group_by": "hour",
            "breakdown": "agent",
        },
        {"since": week_ago.isoformat(), "until": (week_ago + timedelta(days=1)).isoformat(), "group_by": "hour"},
        {"since": datetime.fromtimestamp(since_30, UTC).isoformat(), "compare": "previous"},
    ]


class Board:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str, panels: bool) -> None:
        self._session, self._base_url, self._panels = session, base_url, panels
        self._headers = {"Authorization": f"Bearer {token}"}
        self.seen: list[tuple[int, float]] = []  # (total_conversations, wall time first shown)
        self.connected = asyncio.Event()
        self.statuses: Counter[int] = Counter()
        self.refresh_s: list[float] = []
        self._wanted = asyncio.Event()
        self._last = 0.0

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._stream())]
        if self._panels:
            tasks.append(asyncio.create_task(self._refresher()))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _stream(self) -> None:
        async with self._session.get(self._base_url + STREAM_PATH, headers=self._headers) as response:
            event = None
            async for raw in response.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "overview":
                    total = orjson.loads(line[6:])["total_conversations"]
                    if not self.seen or total > self.seen[-1][0]:
                        self.seen.append((total, time.time()))
                    self.connected.set()
                    self._wanted.set()

    async def _refresher(self) -> None:
        while True:
            try:
                async with asyncio.timeout(POLL_S):
                    await self._wanted.wait()
            except TimeoutError:
                pass
            await asyncio.sleep(max(0.0, self._last + MIN_GAP_S - time.monotonic()))
            self._wanted.clear()
            self._last = time.monotonic()
            retry_after = await self._refresh()
            self.refresh_s.append(time.monotonic() - self._last)
            if retry_after is not None:
                await asyncio.sleep(retry_after)
                self._wanted.set()

    async def _refresh(self) -> float | None:
        """One refresh of the panels; the longest Retry-After of a 429 among them, if any."""
        agents = asyncio.create_task(self._get(AGENTS_PATH, {}))
        waits = [await self._get(REPORT_PATH, query) for query in panel_queries(datetime.now(UTC))]
        waits.append(await agents)
        refused = [wait for wait in waits if wait is not None]
        return max(refused) if refused else None

    async def _get(self, path: str, params: dict[str, str]) -> float | None:
        async with self._session.get(self._base_url + path, params=params, headers=self._headers) as response:
            await response.read()
            self.statuses[response.status] += 1
            if response.status == 429:
                return float(response.headers.get("Retry-After", "1"))
        return None


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run(base_url: str, token: str, count: int, panels: bool, control: Connection) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        boards = [Board(session, base_url, token, panels) for _ in range(count)]
        tasks = [asyncio.create_task(board.run()) for board in boards]
        await asyncio.wait_for(asyncio.gather(*(board.connected.wait() for board in boards)), timeout=300)
        control.send("connected")
        await asyncio.to_thread(control.recv)  # "start"
        cpu, wall = _cpu_s(), time.monotonic()
        for board in boards:  # what came before the probes is not theirs to count
            board.statuses.clear()
            board.refresh_s.clear()
        await asyncio.to_thread(control.recv)  # "stop"
        cpu, wall = _cpu_s() - cpu, time.monotonic() - wall
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    statuses: Counter[int] = Counter()
    for board in boards:
        statuses.update(board.statuses)
    return {
        "seen": [board.seen for board in boards],
        "statuses": dict(statuses),
        "refresh_s": [s for board in boards for s in board.refresh_s],
        "cpu_s": cpu,
        "wall_s": wall,
    }


def run_boards(base_url: str, token: str, count: int, panels: bool, control: Connection) -> None:
    """A generator process's body: `count` boards; "connected" once all show figures, results after "stop"."""
    control.send(asyncio.run(_run(base_url, token, count, panels, control)))
