"""Forget every piece of state derived from the event topics, so the next worker rebuilds it all.

Derived state lives in three places, and all three go: the consumer group's committed offsets
(where folding resumes), the tables' changelog topics (what a worker restores its tables from)
and this machine's local table store (PINGBACK_DATA_DIR). The event topics, the API keys topic
and the dead letters stay. Safe only while no worker runs: check `group_members` first.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, for_code
from aiokafka.structs import OffsetAndMetadata

from streams.settings import Settings

# The tables of streams.topology; Faust names a table's changelog "<app id>-<table>-changelog".
TABLES = ("conversations", "agents")
TOPIC_DELETION_TIMEOUT_S = 60.0
# A fresh broker answers "coordinator not available" for a few seconds; that is worth waiting out.
RETRY_TIMEOUT_S = 30.0
RETRY_PAUSE_S = 0.5

T = TypeVar("T")


class UnsafeDataDir(RuntimeError):
    """PINGBACK_DATA_DIR points at a directory that cannot be the worker's own store."""


@dataclass(frozen=True)
class EventLog:
    """Where each event partition starts and ends: the records a rebuild replays."""

    start: dict[TopicPartition, int]
    end: dict[TopicPartition, int]

    @property
    def records(self) -> int:
        return sum(self.end[tp] - self.start[tp] for tp in self.end)

    def remaining(self, committed: Mapping[TopicPartition, OffsetAndMetadata]) -> int:
        """Records not yet folded by the group, from its committed offsets (missing: from the start)."""
        return sum(
            max(0, end - max(self.start[tp], committed[tp].offset if tp in committed else 0))
            for tp, end in self.end.items()
        )


def changelog_topics(settings: Settings) -> list[str]:
    return [f"{settings.app_id}-{table}-changelog" for table in TABLES]


async def group_members(settings: Settings) -> list[str]:
    """`client_id@host` of every live member of the worker's consumer group (none: no worker runs)."""
    admin = AIOKafkaAdminClient(**settings.kafka.client_options())

    async def describe() -> list[str]:
        members = []
        for response in await admin.describe_consumer_groups([settings.app_id]):
            # A group is (error, id, state, protocol type, protocol, members, ...); a member is
            # (member id, client id, client host, metadata, assignment).
            for group in response.groups:
                if group[0]:  # e.g. the coordinator is still loading: no answer yet, not "no members"
                    raise for_code(group[0])(f"cannot describe consumer group {settings.app_id!r}")
                members += [f"{member[1]}@{member[2].lstrip('/')}" for member in group[5]]
        return members

    await admin.start()
    try:
        return await _retrying(describe)
    finally:
        await admin.close()


async def read_event_log(settings: Settings) -> EventLog:
    consumer = AIOKafkaConsumer(**settings.kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = _event_partitions(settings)
        start = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return EventLog(start=dict(start), end=dict(end))


async def rewind_group(settings: Settings, log: EventLog) -> None:
    """Commit the start of every event partition for the group: the next worker folds everything.

    aiokafka has no DeleteGroups call; committing the start offsets has the same effect on the
    event topics (a group without members accepts commits from a client that did not join it).
    """
    consumer = AIOKafkaConsumer(**settings.kafka.client_options(), group_id=settings.app_id, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(log.start))
        await _retrying(lambda: consumer.commit(dict(log.start)))
    finally:
        await consumer.stop()


async def delete_changelogs(settings: Settings) -> list[str]:
    """Delete the tables' changelog topics and wait until the broker no longer lists them.

    The worker recreates them at start; doing that while a deletion is still under way would fail
    or, worse, keep old records. Returns the topics that existed.
    """
    admin = AIOKafkaAdminClient(**settings.kafka.client_options())
    await admin.start()
    try:
        present = [topic for topic in changelog_topics(settings) if topic in set(await admin.list_topics())]
        if present:
            await admin.delete_topics(present)
        deadline = time.monotonic() + TOPIC_DELETION_TIMEOUT_S
        while set(present) & set(await admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the broker still lists {', '.join(present)} {TOPIC_DELETION_TIMEOUT_S:.0f} s after deleting them"
                )
            await asyncio.sleep(RETRY_PAUSE_S)
    finally:
        await admin.close()
    return present


def remove_local_state(data_dir: Path) -> bool:
    """Delete the worker's local table store; False when there was none."""
    path = data_dir.resolve()
    if not path.exists():
        return False
    cwd = Path.cwd().resolve()
    # A mistyped PINGBACK_DATA_DIR must not wipe a home directory or the directory we run in.
    if path in (Path.home().resolve(), cwd, *cwd.parents):
        raise UnsafeDataDir(f"refusing to delete {path}: PINGBACK_DATA_DIR must be the worker's own directory")
    shutil.rmtree(path)
    return True


def _event_partitions(settings: Settings) -> list[TopicPartition]:
    # streams.topics.ensure_topics has checked that both event topics have this many partitions.
    topics = (settings.conversation_topic, settings.agent_topic)
    return [TopicPartition(topic, partition) for topic in topics for partition in range(settings.partitions)]


async def _retrying(call: Callable[[], Awaitable[T]]) -> T:
    deadline = time.monotonic() + RETRY_TIMEOUT_S
    while True:
        try:
            return await call()
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
        await asyncio.sleep(RETRY_PAUSE_S)
