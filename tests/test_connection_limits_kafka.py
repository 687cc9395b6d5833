"""A worker on real Kafka flooded with idle connections: its probes still answer and its log holds
one line about the refusals, not one per connection."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import Deployment

pytestmark = pytest.mark.kafka

LIMITS = {
    "PINGBACK_MAX_CONNECTIONS": "100",
    "PINGBACK_HEADER_TIMEOUT_SECONDS": "300",  # the flood's connections stay for the whole test
    "PINGBACK_LOG_REPEAT_INTERVAL_SECONDS": "3600",
}


async def test_a_connection_flood_leaves_the_probes_answering_and_the_log_short(
    kafka: str, unique: str, tmp_path: Path
) -> None:
    deployment = Deployment(kafka, f"flood-{unique}", tmp_path)
    worker = deployment.start_worker(env=LIMITS)
    flood: list[asyncio.StreamWriter] = []
    try:
        worker.wait_ready()
        port = int(worker.base_url.rsplit(":", 1)[1])
        for _ in range(400):  # 100 at the limit, 16 in the probes' reserve, the rest refused
            flood.append((await asyncio.open_connection("127.0.0.1", port))[1])
        async with httpx.AsyncClient(base_url=worker.base_url, timeout=5) as http:
            async with asyncio.timeout(60):  # the reserve's idle connections are dropped after 1 s
                while True:
                    try:
                        health = await http.get("/healthz")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
            ready = await http.get("/readyz")
    finally:
        for writer in flood:
            writer.close()
        deployment.stop_all()
    assert health.status_code == 200 and ready.status_code == 200
    log = worker.log_path.read_text(errors="replace")
    assert log.count("refused a connection") == 1, worker.log_tail()
    assert "Too many open files" not in log
