"""The processor's Prometheus metrics, registered on the registry the worker passes in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ProcessorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.processed = Counter(
            "pingback_events_processed", "Valid events folded into state, by type.", ["type"], registry=registry
        )
        self.rejected = Counter(
            "pingback_events_rejected",
            "Invalid records sent to the dead-letter topic, by kind of rejection.",
            ["kind"],
            registry=registry,
        )
        self.rerouted = Counter(
            "pingback_events_rerouted",
            "Valid events re-sent, keyed, to their account's partition (e.g. keyless).",
            registry=registry,
        )
        self.forgotten = Counter(
            "pingback_conversations_forgotten",
            "Conversations deleted after the retention period (SPEC §2).",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "pingback_consumer_lag",
            "Records in the assigned event partitions not yet processed.",
            ["topic", "partition"],
            registry=registry,
        )
        self.stalled = Gauge(
            "pingback_partition_stalled",
            "1 while an assigned partition has records waiting and none processed for PINGBACK_STALL_SECONDS.",
            ["topic", "partition"],
            registry=registry,
        )
        self.recovering = Gauge(
            "pingback_recovering", "1 while the worker recovers state or catches up, else 0.", registry=registry
        )
        self.changelog_recovered = Counter(
            "pingback_changelog_records_recovered",
            "Changelog records read into local state: recovery after a restart (small when local state survived) and standbys.",
            registry=registry,
        )
        self.recovery_seconds = Gauge(
            "pingback_last_recovery_seconds",
            "Seconds from rebalance start to serving views rebuilt.",
            registry=registry,
        )

    def handled(self) -> int:
        """Records folded or dead-lettered since the worker started (a rerouted one counts once it is folded)."""
        counters = (self.processed, self.rejected)
        samples = (sample for counter in counters for family in counter.collect() for sample in family.samples)
        return int(sum(sample.value for sample in samples if sample.name.endswith("_total")))

    async def count_changelog_record(self, event: object) -> None:
        """A table's `on_changelog_event` receiver."""
        self.changelog_recovered.inc()
