"""Instants and durations of the metric core: integer microseconds (see `events.timestamps`)."""

from __future__ import annotations

from events.timestamps import SECOND_US, epoch_us

__all__ = ["BUCKET_US", "DAY_US", "HOUR_US", "SECOND_US", "WINDOW_US", "epoch_us"]

HOUR_US = 3_600 * SECOND_US
DAY_US = 24 * HOUR_US
WINDOW_US = 30 * DAY_US  # SPEC §3: W = (T - 30 days, T]
BUCKET_US = HOUR_US  # SPEC §3 allows the lower window edge to be this coarse
