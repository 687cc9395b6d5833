"""The Faust shell around progress: committed offsets, catch-up by the group, lag, and stalls.

`LiveState` decides what can be served and `StallDetector` what counts as a stall; this module
feeds them what only Kafka knows (committed and end offsets), every second or so, and reports.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import faust
from aiokafka.admin import AIOKafkaAdminClient

from streams.live_state import LiveState, TopicPartition
from streams.metrics import ProcessorMetrics
from streams.settings import Settings
from streams.stall import Observation, StallDetector, describe

log = logging.getLogger("pingback.progress")

CATCH_UP_CHECK_S = 1.0
LAG_INTERVAL_S = 2.0
ADMIN_TIMEOUT_S = 10.0


class Progress:
    def __init__(self, app: faust.App, settings: Settings, state: LiveState, metrics: ProcessorMetrics) -> None:
        self.app, self.settings, self.state, self.metrics = app, settings, state, metrics
        self.detector = StallDetector(settings.stall_s)
        # Per assigned event partition, the offset after the last record folded here (or, until
        # one is, the group's committed offset when recovery finished).
        self.next_offsets: dict[TopicPartition, int] = {}
        self._admin: AIOKafkaAdminClient | None = None
        self._failing: set[str] = set()

    # -- the timers' bodies (streams.topology registers them)

    async def check_catch_up(self) -> None:
        await self._guarded("catch-up check", self._check_catch_up)

    async def measure(self) -> None:
        await self._guarded("lag and stall check", self._measure)

    async def tick(self) -> None:
        """The lease's tick: a late one is how a pause of this worker shows (streams.lease)."""
        self.state.lease.tick()

    async def _guarded(self, what: str, check: Callable[[], Awaitable[None]]) -> None:
        # An exception would end the timer for good, and with it stall detection; a broker that
        # does not answer is logged once per outage, not once per tick.
        try:
            await check()
        except Exception as exc:
            if what not in self._failing:
                self._failing.add(what)
                log.warning("%s failed, retrying every tick: %r", what, exc)
        else:
            if what in self._failing:
                self._failing.discard(what)
                log.info("%s works again", what)

    def processed(self, tp: TopicPartition, next_offset: int) -> None:
        self.next_offsets[tp] = next_offset
        self.state.reached(tp, next_offset)

    def recovered(self, assigned: list[TopicPartition], committed: dict[TopicPartition, int]) -> None:
        self.next_offsets = {tp: committed.get(tp, 0) for tp in assigned}
        self._clear_stalls()

    def _clear_stalls(self) -> None:
        # Nothing is processed during a rebalance; the stall clock starts again after it.
        for topic, partition in self.detector.stalled():
            self.metrics.stalled.labels(topic, str(partition)).set(0)
        self.detector.reset()

    async def committed_offsets(self) -> dict[TopicPartition, int]:
        """The consumer group's committed offsets (partitions never committed are absent)."""
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(**self.settings.kafka.client_options())
            await self._admin.start()
        offsets = await asyncio.wait_for(self._admin.list_consumer_group_offsets(self.settings.app_id), ADMIN_TIMEOUT_S)
        return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    def assigned_event_partitions(self) -> list:
        topics = {self.settings.conversation_topic, self.settings.agent_topic}
        return sorted(tp for tp in self.app.consumer.assignment() if tp.topic in topics)

    async def _check_catch_up(self) -> None:
        # Issue #16: when everything below a target was folded before the rebalance, no record
        # comes to clear it; the group's committed offset says so instead.
        if self.state.recovering or not self.state.catching_up():
            return
        committed = await self.committed_offsets()
        for tp in self.state.catching_up():
            if tp in committed:
                self.state.reached(tp, committed[tp])
        self._report_recovering()

    async def _measure(self) -> None:
        assigned = self.assigned_event_partitions()
        if self.state.recovering or not assigned:
            self._clear_stalls()
            return
        catching_up = set(self.state.catching_up())
        observations: dict[TopicPartition, Observation] = {}
        for tp, end in (await self.app.consumer.highwaters(*assigned)).items():
            key = (tp.topic, tp.partition)
            processed = self.next_offsets.get(key, 0)
            self.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, end - processed))
            observations[key] = Observation(processed=processed, end=end, catching_up=key in catching_up)
        if self.state.recovering:  # a rebalance began while the end offsets were asked for
            return
        started, ended = self.detector.update(observations, time.monotonic())
        for topic, partition in started:
            self.metrics.stalled.labels(topic, str(partition)).set(1)
        for topic, partition in ended:
            self.metrics.stalled.labels(topic, str(partition)).set(0)
        if started:
            # One line per partition that stalls (and one when it moves again), not one per check.
            log.error(
                "no progress for %s s on %s with records waiting (%s): /healthz now answers 503",
                self.settings.stall_s,
                describe(started),
                self.state.readiness()[1],
            )
        if ended:
            log.warning("progress again on %s", describe(ended))
        self._report_recovering()

    def _report_recovering(self) -> None:
        self.metrics.recovering.set(0 if self.state.readiness()[0] else 1)

    async def close(self, sender: object = None, **kwargs: object) -> None:
        """Close the admin client (an `on_before_shutdown` receiver)."""
        if self._admin is not None:
            await self._admin.close()
