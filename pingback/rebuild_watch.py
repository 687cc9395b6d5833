"""Following a rebuilding worker: progress from the group's lag, and the moment it is complete.

Complete means two things at once: the group has committed every offset that was in the event
topics when the rebuild started (every record then present is folded), and the worker says it is
ready, so its catch-up gating (`streams.live_state`) has released every partition and the API
answers with whole figures. Until then the API answers 503 with Retry-After. The end line counts
the events the worker folded or dead-lettered by then, from its own metrics: what was replayed,
not what the topics held when it started.

This runs inside the worker (a `streams.worker.Supervisor`), where stdout and stderr are redirected
to the log: it writes to the streams it was given before the worker started.
"""

from __future__ import annotations

import asyncio
import time
from typing import TextIO

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from api.ports import Readiness
from pingback.progress import progress_bar
from streams.metrics import ProcessorMetrics
from streams.reset import EventLog
from streams.settings import Settings

POLL_S = 1.0  # the worker commits offsets every second (streams.app), so polling faster shows nothing new


class RebuildWatch:
    def __init__(
        self, settings: Settings, log: EventLog, *, started: float, serve: bool, out: TextIO, err: TextIO
    ) -> None:
        self._settings, self._log, self._started, self._serve = settings, log, started, serve
        self._out, self._err = out, err
        self.complete = False

    async def __call__(self, readiness: Readiness, metrics: ProcessorMetrics) -> bool:
        """Wait until the rebuild is complete, showing progress; then whether to keep serving."""
        admin = AIOKafkaAdminClient(**self._settings.kafka.client_options())
        await admin.start()
        bar = progress_bar(file=self._err, total=self._log.records, unit=" events", unit_scale=True, desc="rebuild")
        try:
            while True:
                remaining = await self._remaining(admin)
                if remaining is not None:
                    bar.update(self._log.records - remaining - bar.n)
                    bar.set_postfix_str(f"{remaining:,} remaining", refresh=False)
                    if remaining == 0 and readiness.is_ready()[0]:
                        break
                await asyncio.sleep(POLL_S)
        finally:
            bar.close()
            await admin.close()
        self.complete = True
        elapsed_s = time.monotonic() - self._started
        replayed = metrics.handled()
        print(f"rebuild complete: {replayed:,} events in {elapsed_s:.1f} s", file=self._out, flush=True)
        return self._serve

    async def _remaining(self, admin: AIOKafkaAdminClient) -> int | None:
        try:
            committed = await admin.list_consumer_group_offsets(self._settings.app_id)
        except KafkaError as exc:
            if not exc.retriable:  # e.g. not authorised: waiting would never end
                raise
            return None  # a coordinator moving or loading: ask again at the next poll
        return self._log.remaining(committed)
