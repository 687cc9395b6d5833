"""Faust's producer as the broker answers it, for tests of the fold and the fact tables without Kafka."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace


class Refused(Exception):
    """What a refused produce looks like to the fold."""


class FakeProducer:
    """`Producer.send` as `streams.fact_tables` calls it: offsets per partition counted from 0 (or
    from `next_offsets`, to stand in for another writer), and every record for a partition in
    `failing` refused."""

    def __init__(self) -> None:
        self.failing: set[int] = set()
        self.next_offsets: defaultdict[tuple[str, int | None], int] = defaultdict(int)

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None, timestamp: None, headers: None
    ) -> asyncio.Future[SimpleNamespace]:
        if partition in self.failing:
            raise Refused("MessageSizeTooLarge")
        offset = self.next_offsets[topic, partition]
        self.next_offsets[topic, partition] = offset + 1
        sent = asyncio.get_running_loop().create_future()
        sent.set_result(SimpleNamespace(partition=partition, offset=offset))
        return sent
