"""epoch_us: exact integer microseconds for every offset form SPEC §1 allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from analytics.time import epoch_us
from tests.support.builders import T_US, T


@pytest.mark.parametrize(
    ("dt", "expected_us"),
    [
        # the epoch itself
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
        # the fixed request time of the scenario tests
        (T, T_US),
        # the same instant written with another offset
        (T.astimezone(timezone(timedelta(hours=5, minutes=30))), T_US),
        (T.astimezone(timezone(-timedelta(hours=9, minutes=30))), T_US),
        # a microsecond a float timestamp would lose at this magnitude
        (datetime(2262, 4, 11, 23, 47, 16, 854775, tzinfo=UTC), 9_223_372_036_854_775),
        # before the epoch: floor semantics, still exact
        (datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), -1),
    ],
)
def test_epoch_us(dt: datetime, expected_us: int) -> None:
    assert epoch_us(dt) == expected_us


def test_epoch_us_refuses_a_timestamp_without_an_offset() -> None:
    with pytest.raises(ValueError, match="without an offset"):
        epoch_us(datetime(2025, 6, 1, 12, 0))
