"""Instants and durations as integer microseconds since the Unix epoch.

Every metric is computed from integers so that sums, windows and rounding are exact; a float
would lose microseconds (2**53 µs is only ~285 years) and make the rounding rules of SPEC §3
depend on binary representation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SECOND_US = 1_000_000
HOUR_US = 3_600 * SECOND_US
DAY_US = 24 * HOUR_US
WINDOW_US = 30 * DAY_US  # SPEC §3: W = (T - 30 days, T]
BUCKET_US = HOUR_US  # SPEC §3 allows the lower window edge to be this coarse

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(dt: datetime) -> int:
    """`dt` as microseconds since the epoch; `dt` must carry an offset (SPEC §1)."""
    if dt.utcoffset() is None:
        raise ValueError(f"timestamp without an offset: {dt.isoformat()}")
    # timedelta // timedelta is exact integer arithmetic; .timestamp() would go through a float.
    return (dt - _EPOCH) // _MICROSECOND
