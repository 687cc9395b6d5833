"""Rounding once at the end, halves away from zero, and the largest-remainder channel mix (SPEC §3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.rounding import apportion_tenths, apportion_tenths_rows, percent_tenths, round_ratio


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (125_565, 2, 62_783),  # SPEC's example: an average of 62782.5 s is 62783
        (125_563, 2, 62_782),  # just under a half rounds down
        (5, 10, 1),  # 0.5 rounds up
        (4_999_999, 10_000_000, 0),  # a hair under 0.5
        (0, 7, 0),
        (-5, 10, -1),  # away from zero on the negative side too
        (10**30 + 1, 2 * 10**12, 500_000_000_000_000_000),  # big integers stay exact (…000.0000000000005)
    ],
)
def test_round_ratio(numerator: int, denominator: int, expected: int) -> None:
    assert round_ratio(numerator, denominator) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (13, 16, 81.3),  # SPEC's example: 81.25 % is 81.3
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 2000, 0.1),  # 0.05 % rounds up to 0.1
        (1, 2001, 0.0),  # just under 0.05 %
        (7, 7, 100.0),
        (0, 0, 0.0),  # no conversations: 0.0, not a division by zero
    ],
)
def test_percent_tenths(part: int, whole: int, expected: float) -> None:
    assert percent_tenths(part, whole) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # three equal channels: the spare tenth goes to the name sorting first
        ({"whatsapp": 1, "telegram": 1, "email": 1}, {"email": 33.4, "telegram": 33.3, "whatsapp": 33.3}),
        # ...whatever the input order
        ({"email": 5, "whatsapp": 5, "telegram": 5}, {"email": 33.4, "telegram": 33.3, "whatsapp": 33.3}),
        # plain rounding would give 14.3 * 7 = 100.1; largest remainder keeps 100.0
        ({c: 1 for c in "abcdefg"}, {"a": 14.3, "b": 14.3, "c": 14.3, "d": 14.3, "e": 14.3, "f": 14.3, "g": 14.2}),
        # a channel that rounds to 0.0 is still listed, last
        ({"whatsapp": 2000, "email": 1}, {"whatsapp": 100.0, "email": 0.0}),
        # the SPEC example's shape: ordered by share, largest first
        (
            {"instagram": 83, "telegram": 162, "widget": 300, "whatsapp": 455},
            {"whatsapp": 45.5, "widget": 30.0, "telegram": 16.2, "instagram": 8.3},
        ),
        # remainders compared exactly: 2/3 → 66.666… gets the spare tenth over 1/3 → 33.333…
        ({"b": 2, "a": 1}, {"b": 66.7, "a": 33.3}),
        # equal shares ordered by name
        ({"widget": 1, "email": 1}, {"email": 50.0, "widget": 50.0}),
        # a single channel
        ({"email": 3}, {"email": 100.0}),
        # nothing to apportion
        ({}, {}),
    ],
)
def test_apportion_tenths(counts: dict[str, int], expected: dict[str, float]) -> None:
    mix = apportion_tenths(counts)
    assert mix == expected
    assert list(mix) == list(expected)  # the order is part of the contract
    assert sum(round(share * 10) for share in mix.values()) == (1000 if counts else 0)


@given(st.lists(st.lists(st.one_of(st.integers(0, 3), st.integers(0, 10**6)), min_size=4, max_size=4), max_size=20))
def test_apportioning_rows_at_once_equals_each_row_alone(rows: list[list[int]]) -> None:
    keys = ["email", "telegram", "web", "widget"]  # sorted, as the report's channels are
    grid = np.array(rows, np.int64).reshape(-1, len(keys))
    expected = [apportion_tenths({k: n for k, n in zip(keys, row, strict=True) if n}) for row in rows]
    assert [list(d.items()) for d in apportion_tenths_rows(grid, keys)] == [list(d.items()) for d in expected]
