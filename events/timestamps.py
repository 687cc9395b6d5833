"""Event instants as integer microseconds since the Unix epoch: the one unit every layer computes in.

Every metric is computed from integers so that sums, windows and rounding are exact; a float
would lose microseconds (2**53 µs is only ~285 years) and make SPEC §3's rounding rules depend on
binary representation. It lives with the event contract, which defines `occurred_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SECOND_US = 1_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(dt: datetime) -> int:
    """`dt` as microseconds since the epoch; `dt` must carry an offset (SPEC §1)."""
    if dt.utcoffset() is None:
        raise ValueError(f"timestamp without an offset: {dt.isoformat()}")
    # timedelta // timedelta is exact integer arithmetic; .timestamp() would go through a float.
    return (dt - _EPOCH) // _MICROSECOND
