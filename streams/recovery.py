"""After every rebalance: the views rebuilt from the recovered tables, and where each partition resumes."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable

import faust

from streams.live_state import LiveState, TopicPartition
from streams.metrics import ProcessorMetrics
from streams.progress import Progress

log = logging.getLogger("pingback.recovery")


class Recovery:
    def __init__(
        self,
        *,
        app: faust.App,
        conversations: faust.Table,
        agents: faust.Table,
        state: LiveState,
        progress: Progress,
        metrics: ProcessorMetrics,
        clock_us: Callable[[], int],
    ) -> None:
        self._app, self._conversations, self._agents = app, conversations, agents
        self._state, self._progress, self._metrics, self._clock_us = state, progress, metrics, clock_us
        self._rebalance_started = time.monotonic()

    async def on_partitions_revoked(self, sender: object, revoked: object, **kwargs: object) -> None:
        self._rebalance_started = time.monotonic()
        self._metrics.recovering.set(1)
        self._state.rebalance_started()

    async def on_recovered(self) -> None:
        assigned = self._progress.assigned_event_partitions()
        # An exception here would leave the worker "recovering" for good (Faust only logs it), so
        # the two Kafka questions are asked until they are answered.
        for attempt in itertools.count(1):
            try:
                highwaters = await self._app.consumer.highwaters(*assigned) if assigned else {}
                committed = await self._progress.committed_offsets()
                await self._rewind_never_committed(assigned, committed)
                break
            except Exception as exc:
                log.warning("recovery: reading end and committed offsets failed (attempt %d): %r", attempt, exc)
                await asyncio.sleep(min(5.0, 0.5 * attempt))
        partitions = [(tp.topic, tp.partition) for tp in assigned]
        self._state.recovered(
            assigned=partitions,
            conversations=self._conversations.items(),
            agents=self._agents.items(),
            next_offsets=committed,
            highwaters={(tp.topic, tp.partition): offset for tp, offset in highwaters.items()},
            now_us=self._clock_us(),
        )
        self._progress.recovered(partitions, committed)
        self._metrics.recovery_seconds.set(time.monotonic() - self._rebalance_started)
        self._metrics.recovering.set(0 if self._state.readiness()[0] else 1)

    async def _rewind_never_committed(self, assigned: list, committed: dict[TopicPartition, int]) -> None:
        """Read partitions the group never committed from their start.

        Faust seeks to the committed offsets after recovery, but aiokafka leaves a partition with
        none where its fetch position is, and records fetched (and set aside) while the changelogs
        were being read would then never be delivered: the partition would catch up with nothing.
        Reading them again is harmless (the fold is idempotent).
        """
        never = [tp for tp in assigned if (tp.topic, tp.partition) not in committed]
        if never:
            earliest = await self._app.consumer.earliest_offsets(*never)
            for tp in never:
                await self._app.consumer.seek(tp, earliest[tp])
