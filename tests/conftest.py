"""Shared fixtures. The Kafka fixture starts a real broker once per session.

A test that needs Kafka asks for `kafka` and FAILS when the broker cannot start: an error in a
fixture is a test error in pytest, never a skip. Set KAFKA_BOOTSTRAP_SERVERS to use a running broker.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from pingback.local_kafka import LocalKafka, free_port


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap servers of a real Kafka broker for this test session."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker = LocalKafka(port=free_port(), data_dir=tmp_path_factory.mktemp("kafka"))
    broker.start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so tests sharing one broker never share topics or consumer groups."""
    return uuid.uuid4().hex[:10]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the broker (directly or through another fixture) carries the `kafka`
    marker, so `pytest -m "not kafka"` is exactly the broker-free suite."""
    for item in items:
        if "kafka" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kafka)
