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
        self._rebalances = 0

    async def on_partitions_revoked(self, sender: object, revoked: object, **kwargs: object) -> None:
        self._rebalance_started = time.monotonic()
        self._rebalances += 1
        self._metrics.recovering.set(1)
        self._state.rebalance_started()

    def _rebalance_mark(self) -> tuple[int, int]:
        return self._rebalances, self._app.consumer_generation_id

    def _overtaken(self, begun: tuple[int, int]) -> bool:
        """Whether a rebalance began since `begun`: what this recovery read (the assignment) is stale.

        Taken as the truth, partitions given away meanwhile would count as owned and caught up, and
        be served from empty views: 200 with zeros. The recovery after that rebalance decides.
        """
        if self._rebalance_mark() == begun:
            return False
        log.info("recovery of consumer generation %d overtaken by a rebalance: left to the next one", begun[1])
        return True

    async def on_recovered(self) -> None:
        # Faust runs this as a task of its own and, when another rebalance begins, abandons only
        # its wait for it: this may end after the rebalance began, even after the next recovery.
        begun = self._rebalance_mark()
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
                if self._overtaken(begun):
                    return
        if self._overtaken(begun):
            return
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
