"""Issue #16 on real Kafka: after two rebalances in quick succession, with no record arriving after
them, every partition is caught up and every account answers 200, exact, on every worker.

A partition's catch-up target is cleared once the group's committed position has reached it, not
only by folding a record at or past it: when everything below the target was already folded
before the rebalance, no record ever arrives to clear it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.cluster import Deployment, now_us, wait_for_figures, wait_until_handled
from tests.support.history import decode_valid, generate_history
from tests.support.reference import reference_overview

pytestmark = pytest.mark.kafka

FAST_FAILOVER = {"PINGBACK_SESSION_TIMEOUT_S": "6"}


async def test_two_quick_rebalances_without_new_records_leave_no_partition_catching_up(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"catchup-{unique}", tmp_path, partitions=4)
    # Keyed records only: a keyless one is re-sent when read, so a record would arrive after all.
    history = generate_history(now_us=now_us(), accounts=6, events=12_000, seed=16, keyless_fraction=0)
    events = decode_valid(history)
    tokens = {account: deployment.create_key(account) for account in sorted({e.account_id for e in events})}
    expected = lambda account, t: reference_overview(events, account, t)  # noqa: E731
    await deployment.produce(history)
    first = deployment.start_worker(env=FAST_FAILOVER)
    try:
        # Mid-ingest, so that offsets are being folded and committed while the group changes.
        await wait_until_handled(first, len(history) // 4)
        # Rebalance 1: a second worker joins; rebalance 2: it leaves again as soon as it answers
        # HTTP, i.e. while the group is still settling the first one; then a third one joins.
        # Nothing is produced after.
        second = deployment.start_worker(env=FAST_FAILOVER)
        await asyncio.to_thread(second.wait_listening)
        second.stop()
        third = deployment.start_worker(env=FAST_FAILOVER)
        await asyncio.to_thread(third.wait_listening)
        for worker in (first, third):
            await wait_for_figures(worker, tokens, expected, timeout_s=120, strict=True)
    finally:
        deployment.stop_all()
