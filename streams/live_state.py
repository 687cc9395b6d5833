"""What this worker can answer, and when: the derived views plus partition readiness. No Faust here.

A figure is served only when it is whole. During a rebalance nothing is served; after it, the
views are rebuilt from the fact tables, and each assigned source partition is served once the
worker has processed everything that was already in it when recovery finished (its catch-up
target). Until then the API answers 503 for the accounts of that partition, never a partial figure.

A target is reached once everything below it is folded: by this worker (a record at or past it was
folded here) or by the group (its committed offset has reached it). The second matters when
nothing is left to fold: the records below the target were folded, by this worker or the previous
owner, and committed after the offsets behind the target were read (issue #16).

A partition whose records could not be folded or dead-lettered is stopped: it is not served and
the worker is not ready until a rebalance or restart reads those records again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from analytics.agents_now import AgentsNow
from analytics.facts import decode_agent_facts, decode_conversation_facts
from analytics.figures import Overview, Report
from analytics.report import ReportQuery
from analytics.window import Views
from api.ports import RETRY_AFTER_S, NotReady
from streams.ingest import account_of
from streams.lease import Lease

TopicPartition = tuple[str, int]


class LiveState:
    def __init__(self, *, views: Views, partition_of: Callable[[str], int], lease: Lease | None = None) -> None:
        self.views = views
        self.partition_of = partition_of
        # Without one (tests of the other rules), the worker never counts as paused.
        self.lease = lease if lease is not None else Lease(session_timeout_s=float("inf"))
        self._recovering = True
        self._assigned: set[TopicPartition] = set()
        self._catch_up_targets: dict[TopicPartition, int] = {}
        self._stopped: dict[TopicPartition, str] = {}

    # -- lifecycle, driven by the Faust shell --------------------------------------------------

    def rebalance_started(self) -> None:
        self._recovering = True

    @property
    def recovering(self) -> bool:
        return self._recovering

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
        # The consumer resumes every assigned partition from its committed offset: stopped records are read again.
        self._stopped = {}
        self._recovering = False
        self.lease.renewed()

    def reached(self, tp: TopicPartition, next_offset: int) -> None:
        """Everything in `tp` below `next_offset` is folded (here, or by the group and committed)."""
        target = self._catch_up_targets.get(tp)
        if target is not None and next_offset >= target:
            del self._catch_up_targets[tp]

    def catching_up(self) -> list[TopicPartition]:
        return list(self._catch_up_targets)

    def stop(self, partitions: Iterable[TopicPartition], reason: str) -> None:
        """Records of these partitions could not be folded or dead-lettered: serve none of them."""
        for tp in partitions:
            self._stopped.setdefault(tp, reason)

    @property
    def stopped(self) -> Mapping[TopicPartition, str]:
        return self._stopped

    # -- questions the API asks ----------------------------------------------------------------

    def owns(self, account_id: str) -> bool:
        partition = self.partition_of(account_id)
        return any(p == partition for _, p in self._assigned)

    def overview(self, account_id: str, now_us: int) -> Overview:
        self.check_serving(account_id)
        return self.views.overview(account_id, now_us)

    def prepare_report(self, account_id: str, query: ReportQuery) -> Callable[[], Report]:
        """On the event loop: checked here, computed by the returned function (in a report thread)."""
        self.check_serving(account_id)
        return self.views.prepare_report(account_id, query)

    def agents_now(self, account_id: str, now_us: int) -> AgentsNow:
        self.check_serving(account_id)
        return self.views.agents_now(account_id, now_us)

    def version(self, account_id: str, now_us: int) -> int:
        self.check_serving(account_id)
        return self.views.version(account_id, now_us)

    def check_serving(self, account_id: str) -> None:
        if self._recovering:
            raise NotReady(RETRY_AFTER_S, "this worker is recovering state after a rebalance")
        paused = self.lease.suspended()
        if paused:
            raise NotReady(RETRY_AFTER_S, paused)
        if not self.owns(account_id):
            raise NotReady(RETRY_AFTER_S, "the account's partition is moving between workers")
        partition = self.partition_of(account_id)
        stopped = [reason for tp, reason in self._stopped.items() if tp[1] == partition]
        if stopped:
            raise NotReady(RETRY_AFTER_S, f"the account's partition stopped: {stopped[0]}")
        behind = [tp for tp in self._catch_up_targets if tp[1] == partition]
        if behind:
            raise NotReady(RETRY_AFTER_S, "the account's partition is catching up with its backlog")

    def readiness(self) -> tuple[bool, str]:
        if self._recovering:
            return False, "recovering state"
        paused = self.lease.suspended()
        if paused:
            return False, paused
        if self._stopped:
            (topic, partition), reason = next(iter(self._stopped.items()))
            return False, f"stopped on {len(self._stopped)} partition(s), first {topic}/{partition}: {reason}"
        if self._catch_up_targets:
            return False, f"catching up on {len(self._catch_up_targets)} partition(s)"
        return True, f"serving {len({p for _, p in self._assigned})} partition(s)"
