"""Every benchmark target, in one place: result files name them, `bench.summary` checks them.

A target bounds either a figure's own value or its ratio to the same-run baseline. The summary
says "met" when the median of the rounds meets it, "best round only" when only the best does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Target:
    of: Literal["value", "ratio"]
    bound: Literal["at_least", "at_most", "within"]  # within: |x| ≤ limit
    limit: float
    text: str

    def met(self, figure: float) -> bool:
        if self.bound == "at_least":
            return figure >= self.limit
        if self.bound == "at_most":
            return figure <= self.limit
        return abs(figure) <= self.limit


TARGETS = {
    "ingest.events_per_s": Target("value", "at_least", 30_000, "≥ 30,000 events/s"),
    # 0.20 since the #14 round (README and bench/__main__ said so; bench/ingest.py still said 0.40).
    "ingest.ratio_to_bare_consumer": Target("ratio", "at_least", 0.20, "≥ 0.20 of the bare consumer"),
    "overview.ratio_to_constant": Target("ratio", "at_least", 0.80, "≥ 0.80 of the constant route"),
    "overview.p99_ms": Target("value", "at_most", 5.0, "p99 ≤ 5 ms"),
    "overview.change_1k_to_1m": Target("value", "within", 0.20, "within ±20 %"),
    "report.p99_ms_10k": Target("value", "at_most", 5.0, "p99 ≤ 5 ms"),
    # 20 ms since #21 (constant-time reports); 50 ms before.
    "report.p99_ms_1m": Target("value", "at_most", 20.0, "p99 ≤ 20 ms"),
    # #21: the overview (8 connections) while one user asks 90-day reports flat out, 1M conversations.
    "report.overview_beside_p99_ms_1m": Target("value", "at_most", 10.0, "p99 ≤ 10 ms"),
    "wallboard.p99_ms": Target("value", "at_most", 1_000.0, "p99 ≤ 1 s"),
    # #21: 1,000 boards of one 100k-conversation account, panels included, on at most half a core.
    "wallboard.worker_cores": Target("value", "at_most", 0.5, "≤ 0.5 core"),
    # #21: tenant B's overview while 4 clients ask tenant A's reports flat out.
    "noisy_neighbour.ratio_to_alone": Target("ratio", "at_most", 2.0, "≤ 2 × B's p99 alone"),
    "replay.events_per_s": Target("value", "at_least", 30_000, "≥ 30,000 events/s"),
    "takeover.seconds": Target("value", "at_most", 10.0, "≤ 10 s"),
    "memory.rss_bytes_per_conversation": Target("value", "at_most", 2_000, "≤ 2 kB"),
    "fold.ratio_to_compare_tree": Target("ratio", "at_most", 0.5, "≤ 0.5 of the tree before #14 item 3"),
}
