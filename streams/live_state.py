"""What this worker can answer, and when: the derived views plus partition readiness. No Faust here.

A figure is served only when it is whole. During a rebalance nothing is served; after it, the
views are rebuilt from the fact tables, and each assigned source partition is served once the
worker has processed everything that was already in it when recovery finished (its catch-up
target). Until then the API answers 503 for the accounts of that partition, never a partial figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from analytics.agents_now import AgentsNow
from analytics.facts import decode_agent_facts, decode_conversation_facts
from analytics.figures import Report
from analytics.report import ReportQuery
from analytics.window import Views
from api.ports import NotReady
from streams.ingest import account_of

TopicPartition = tuple[str, int]
RETRY_AFTER_S = 2


class LiveState:
    def __init__(self, *, views: Views, partition_of: Callable[[str], int]) -> None:
        self.views = views
        self.partition_of = partition_of
        self._recovering = True
        self._assigned: set[TopicPartition] = set()
        self._catch_up_targets: dict[TopicPartition, int] = {}

    # -- lifecycle, driven by the Faust shell --------------------------------------------------

    def rebalance_started(self) -> None:
        self._recovering = True

    def recovered(
        self,
        *,
        assigned: Iterable[TopicPartition],
        conversations: Iterable[tuple[bytes, bytes]],
        agents: Iterable[tuple[bytes, bytes]],
        next_offsets: Mapping[TopicPartition, int],
        highwaters: Mapping[TopicPartition, int],
        now_us: int,
    ) -> None:
        """Rebuild the views from the tables' items for the assigned partitions; set catch-up targets.

        `next_offsets` are the committed positions the consumer resumes from (missing: from the
        start), `highwaters` the end offsets when recovery finished.
        """
        self._assigned = set(assigned)
        partitions = {partition for _, partition in self._assigned}
        # A memory store keeps revoked partitions' keys around; only owned accounts become views.
        owned = lambda key: self.partition_of(account_of(key)) in partitions  # noqa: E731
        self.views.rebuild(
            ((account_of(key), decode_conversation_facts(value)) for key, value in conversations if owned(key)),
            ((account_of(key), decode_agent_facts(value)) for key, value in agents if owned(key)),
            now_us,
        )
        self._catch_up_targets = {
            tp: highwaters[tp] for tp in self._assigned if next_offsets.get(tp, 0) < highwaters.get(tp, 0)
        }
        self._recovering = False

    def processed(self, topic: str, partition: int, offset: int) -> None:
        target = self._catch_up_targets.get((topic, partition))
        if target is not None and offset + 1 >= target:
            del self._catch_up_targets[(topic, partition)]

    # -- questions the API asks ----------------------------------------------------------------

    def owns(self, account_id: str) -> bool:
        partition = self.partition_of(account_id)
        return any(p == partition for _, p in self._assigned)

    def overview(self, account_id: str, now_us: int) -> dict[str, Any]:
        self.check_serving(account_id)
        return self.views.overview(account_id, now_us)

    def report(self, account_id: str, query: ReportQuery) -> Report:
        self.check_serving(account_id)
        return self.views.report(account_id, query)

    def agents_now(self, account_id: str, now_us: int) -> AgentsNow:
        self.check_serving(account_id)
        return self.views.agents_now(account_id, now_us)

    def version(self, account_id: str, now_us: int) -> int:
        self.check_serving(account_id)
        return self.views.version(account_id, now_us)

    def check_serving(self, account_id: str) -> None:
        if self._recovering:
            raise NotReady(RETRY_AFTER_S, "this worker is recovering state after a rebalance")
        if not self.owns(account_id):
            raise NotReady(RETRY_AFTER_S, "the account's partition is moving between workers")
        partition = self.partition_of(account_id)
        behind = [tp for tp in self._catch_up_targets if tp[1] == partition]
        if behind:
            raise NotReady(RETRY_AFTER_S, "the account's partition is catching up with its backlog")

    def readiness(self) -> tuple[bool, str]:
        if self._recovering:
            return False, "recovering state"
        if self._catch_up_targets:
            return False, f"catching up on {len(self._catch_up_targets)} partition(s)"
        return True, f"serving {len({p for _, p in self._assigned})} partition(s)"
