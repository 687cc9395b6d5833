"""The figures of a report's periods, from the counts, sums and order statistics of their items
(SPEC §4): rounded once at the end, exactly, halves away from zero."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from analytics.order_stats import Stats, count_one, counts, stats, stats_one
from analytics.report_column import Frozen, Ints
from analytics.rounding import round_ratio, round_ratios
from analytics.time import SECOND_US

KINDS = ("created", "created_resolved", "reply", "handle", "rated", "rated_good")
Columns = Callable[[str], Frozen]  # a scope's column of each kind


def _seconds_ms(duration_ms: int) -> int:
    return (duration_ms + 500) // 1000  # ms ≥ 0: halves away from zero


def _ratio(numerator: int, denominator: int, empty: int | None = 0) -> int | None:
    return round_ratio(numerator, denominator) if denominator else empty


def has_items(figures: dict[str, Any]) -> bool:
    return bool(
        figures["total_conversations"] or figures["resolved"] or figures["first_responses"] or figures["ratings"]
    )


def row_figures(column: Columns, lo_q: int, hi_q: int, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The period figures (but the channel mix) of one scope over one period: a breakdown row."""
    n = {kind: count_one(column(kind).arrays(), lo_q, hi_q) if kind in kinds else 0 for kind in KINDS}
    handles, sum_h, median_h, p90_h = stats_one(column("handle").arrays(), lo_q, hi_q)
    replies, sum_r, median_r, p90_r = stats_one(column("reply").arrays(), lo_q, hi_q)
    resolved_tenths = _ratio(1000 * n["created_resolved"], n["created"])
    return {
        "total_conversations": n["created"],
        "resolution_rate": (resolved_tenths or 0) / 10,
        "resolved": handles,
        "median_handle_time": _seconds_ms(median_h),
        "p90_handle_time": _seconds_ms(p90_h),
        "avg_handle_time": _ratio(sum_h, handles * SECOND_US),
        "first_responses": replies,
        "avg_first_response": _ratio(sum_r, replies * SECOND_US),
        "median_first_response": _seconds_ms(median_r),
        "p90_first_response": _seconds_ms(p90_r),
        "ratings": n["rated"],
        "customer_happiness": _ratio(100 * n["rated_good"], n["rated"], None),
    }


def _means(durations: Stats) -> Ints | list[int]:
    """Each period's mean duration in whole seconds, rounded once."""
    if len(durations.seconds) and int(durations.seconds.max()) >= 2**61 // SECOND_US:  # beyond int64: exact ints
        sums = [s * SECOND_US + u for s, u in zip(durations.seconds.tolist(), durations.micros.tolist(), strict=True)]
        return [round_ratio(t, k * SECOND_US) if k else 0 for t, k in zip(sums, durations.count.tolist(), strict=True)]
    return round_ratios(durations.seconds * SECOND_US + durations.micros, durations.count * SECOND_US)


class Periods:
    """Every kind of one scope's items, over a list of periods."""

    def __init__(self, column: Callable[[str], Frozen], lo_q: Ints, hi_q: Ints, kinds: tuple[str, ...]) -> None:
        zeros = np.zeros(len(lo_q), np.int64)
        self.n = {kind: counts(column(kind).arrays(), lo_q, hi_q) if kind in kinds else zeros for kind in KINDS}
        self.replies: Stats = stats(column("reply").arrays(), lo_q, hi_q)
        self.handles: Stats = stats(column("handle").arrays(), lo_q, hi_q)

        self._figures = self._all_figures()

    def _all_figures(self) -> list[dict[str, Any]]:
        """The period figures of every period, but the channel mix: rounded once, exactly, vectorised."""
        h, r, n = self.handles, self.replies, self.n
        rated = n["rated"].tolist()
        happiness = round_ratios(100 * n["rated_good"], n["rated"]).tolist()
        columns = {
            "total_conversations": n["created"],
            "resolution_rate": round_ratios(1000 * n["created_resolved"], n["created"]) / 10,
            "resolved": h.count,
            "median_handle_time": (h.median_ms + 500) // 1000,  # ms ≥ 0: halves away from zero
            "p90_handle_time": (h.p90_ms + 500) // 1000,
            "avg_handle_time": _means(h),
            "first_responses": r.count,
            "avg_first_response": _means(r),
            "median_first_response": (r.median_ms + 500) // 1000,
            "p90_first_response": (r.p90_ms + 500) // 1000,
            "ratings": rated,
            "customer_happiness": [k if m else None for k, m in zip(happiness, rated, strict=True)],
        }
        lists = [c if isinstance(c, list) else c.tolist() for c in columns.values()]
        return [dict(zip(columns, values, strict=True)) for values in zip(*lists, strict=True)]

    def figures(self, g: int) -> dict[str, Any]:
        """The period figures of period g, but the channel mix."""
        return self._figures[g]
