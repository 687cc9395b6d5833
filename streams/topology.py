"""The Faust app's wiring, top to bottom: topics → tables → the agent → hooks → timers.

Every part is a thin wrapper around the pure core (`streams.ingest`, `analytics`); this module
only says what is connected to what. Faust traps avoided on purpose: no windowed tables (our own
event-time buckets live in the views), no exactly_once, and the one fold that writes tables runs
one batch at a time (streams.delivery). The worker (streams.worker) adds the API and its tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import faust

from analytics.time import DAY_US, SECOND_US
from streams.delivery import deliver_in_batches
from streams.fact_tables import FactBatch
from streams.fold import Fold
from streams.ingest import Ingestor
from streams.lease import TICK_S
from streams.live_state import LiveState
from streams.metrics import ProcessorMetrics
from streams.progress import CATCH_UP_CHECK_S, LAG_INTERVAL_S, Progress
from streams.recovery import Recovery
from streams.retention import RetentionSweeper
from streams.settings import Settings


def raw() -> dict[str, faust.Schema]:
    """Topic options that keep keys and values as bytes: the core decodes events and encodes facts.

    A fresh Schema every time: Faust mutates a Schema it is handed, and a shared instance made
    a topic decode keys as JSON (seen with faust-streaming 0.15.3). Tables do not take a schema
    for their store at all; they pick serializers from key_type/value_type (bytes → raw).
    """
    return {"schema": faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")}


def wall_clock_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class Topology:
    """The parts the worker and tests reach for."""

    events: faust.TopicT
    conversations: faust.Table
    agents: faust.Table
    writes: FactBatch
    fold: Fold
    progress: Progress


def build_topology(
    app: faust.App,
    settings: Settings,
    *,
    state: LiveState,
    metrics: ProcessorMetrics,
    clock_us: Callable[[], int] = wall_clock_us,
) -> Topology:
    progress = Progress(app, settings, state, metrics)

    # -- topics: both event topics, keys and values as bytes
    events = app.topic(settings.conversation_topic, settings.agent_topic, **raw())

    # -- tables: facts keyed "<account>/<conversation or agent id>", values msgpack bytes
    fact_table: dict[str, Any] = {
        "partitions": settings.partitions,
        "key_type": bytes,
        "value_type": bytes,
        "on_changelog_event": metrics.count_changelog_record,
    }
    conversations = app.Table("conversations", **fact_table)
    agents = app.Table("agents", **fact_table)
    # The fold writes through these, a batch at a time (streams.fact_tables); recovery reads the tables.
    writes = FactBatch(app, conversations, agents)
    staged_conversations, staged_agents = writes.tables

    # -- the agent: every fetched batch of event records folded at once (streams.delivery)
    fold = Fold(
        app=app,
        writes=writes,
        ingestor=Ingestor(
            conversations=staged_conversations,
            agents=staged_agents,
            views=state.views,
            max_ahead_us=settings.max_ahead_s * SECOND_US,
            clock_us=clock_us,
            partition_of=state.partition_of,
            dead_letter_keep_bytes=settings.dead_letter_keep_bytes,
        ),
        sweeper=RetentionSweeper(
            conversations=staged_conversations,
            agents=staged_agents,
            views=state.views,
            partition_of=state.partition_of,
            retention_us=settings.retention_days * DAY_US,
            interval_s=settings.retention_sweep_s,
        ),
        state=state,
        progress=progress,
        metrics=metrics,
        dead_letter_topic=settings.dead_letter_topic,
        clock_us=clock_us,
    )
    deliver_in_batches(app, events, fold.batch)

    # -- hooks: a rebalance stops serving; recovered tables rebuild the views
    recovery = Recovery(
        app=app,
        conversations=conversations,
        agents=agents,
        state=state,
        progress=progress,
        metrics=metrics,
        clock_us=clock_us,
    )
    app.on_partitions_revoked.connect(recovery.on_partitions_revoked)
    conversations.on_recover(recovery.on_recovered)

    # -- timers
    app.timer(CATCH_UP_CHECK_S, name="check-catch-up")(progress.check_catch_up)
    app.timer(LAG_INTERVAL_S, name="measure-progress")(progress.measure)
    app.timer(TICK_S, name="lease-tick")(progress.tick)
    app.on_before_shutdown.connect(progress.close)

    return Topology(events, conversations, agents, writes, fold, progress)
