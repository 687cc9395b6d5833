"""Event instants as integer microseconds since the Unix epoch: the one unit every layer computes in.

Every metric is computed from integers so that sums, windows and rounding are exact; a float
would lose microseconds (2**53 µs is only ~285 years) and make SPEC §3's rounding rules depend on
binary representation. It lives with the event contract, which defines `occurred_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime

SECOND_US = 1_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(dt: datetime) -> int:
    """`dt` as microseconds since the epoch; `dt` must carry an offset (SPEC §1)."""
    if dt.utcoffset() is None:
        raise ValueError(f"timestamp without an offset: {dt.isoformat()}")
    return aware_epoch_us(dt)


def aware_epoch_us(dt: datetime) -> int:
    """`epoch_us` for a `dt` known to carry an offset (e.g. one the event schema accepted)."""
    # Exact integer arithmetic (.timestamp() would go through a float); the timedelta's fields
    # are cheaper to combine than `// timedelta(microseconds=1)`.
    elapsed = dt - _EPOCH
    return (elapsed.days * 86_400 + elapsed.seconds) * SECOND_US + elapsed.microseconds
