"""Which partition an account lives on: Kafka's default partitioner over the UTF-8 account id.

Producers key every event by `account_id`, and the Java client, aiokafka and Faust all hash keys
with murmur2, so this agrees with where the records actually are.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka.partitioner import murmur2


def partition_of(account_id: str, partitions: int) -> int:
    return (murmur2(account_id.encode()) & 0x7FFFFFFF) % partitions


def partitioner(partitions: int) -> Callable[[str], int]:
    return lambda account_id: partition_of(account_id, partitions)
