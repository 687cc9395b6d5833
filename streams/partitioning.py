"""Which partition an account lives on: Kafka's default partitioner over the UTF-8 account id.

Producers key every event by `account_id`, and the Java client, aiokafka and Faust all hash keys
with murmur2, so this agrees with where the records actually are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from aiokafka.partitioner import murmur2

PARTITION_CACHE_SIZE = 100_000


def partition_of(account_id: str, partitions: int) -> int:
    return (murmur2(account_id.encode()) & 0x7FFFFFFF) % partitions


def partitioner(partitions: int) -> Callable[[str], int]:
    """`partition_of` for a fixed partition count, remembered per account id.

    The worker asks for every event and every request, and murmur2 is pure Python (~4 µs);
    accounts are few, and the bound keeps a flood of distinct ids from growing the cache.
    """

    @functools.lru_cache(maxsize=PARTITION_CACHE_SIZE)
    def partition_of_account(account_id: str) -> int:
        return partition_of(account_id, partitions)

    return partition_of_account
