"""Exact rounding of ratios, as SPEC §3 asks: compute with integers, round once, halves away from zero."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


def round_ratio(numerator: int, denominator: int) -> int:
    """numerator / denominator (denominator > 0) to the nearest integer, halves away from zero."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def round_ratios(numerators: Ints, denominators: Ints) -> Ints:
    """`round_ratio` of each pair, for numerators ≥ 0 and 2 × numerator + denominator < 2**63; 0 where
    the denominator is 0."""
    safe = np.maximum(denominators, 1)
    rounded: Ints = np.where(denominators > 0, (2 * numerators + safe) // (2 * safe), 0)
    return rounded


def percent_tenths(part: int, whole: int) -> float:
    """100 * part / whole with one decimal (81.25 → 81.3); 0.0 when whole is 0."""
    # The float is only the wire form: tenths / 10 is the closest double to the decimal.
    return round_ratio(1000 * part, whole) / 10 if whole else 0.0


def apportion_tenths(counts: Mapping[str, int]) -> dict[str, float]:
    """Percent shares with one decimal summing to exactly 100.0, by largest remainder.

    Remainders are compared exactly (as integers over the same total); equal remainders go to the
    key that sorts first. Ordered by share, largest first, then by key; `{}` when all are zero.
    """
    if len(counts) == 1:  # most periods of a fine-grained series: no arithmetic needed
        ((key, count),) = counts.items()
        return {key: 100.0} if count else {}
    total = sum(counts.values())
    if not total:
        return {}
    tenths: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for key, count in counts.items():
        tenths[key], remainder = divmod(1000 * count, total)
        remainders.append((-remainder, key))
    # The floors fall short of 1000 by fewer tenths than there are keys.
    for _, key in sorted(remainders)[: 1000 - sum(tenths.values())]:
        tenths[key] += 1
    return {key: tenths[key] / 10 for key in sorted(tenths, key=lambda key: (-tenths[key], key))}


def apportion_tenths_rows(counts: Ints, keys: list[str]) -> list[dict[str, float]]:
    """`apportion_tenths` of each row of `counts` (rows × keys, `keys` sorted), vectorised."""
    if not keys:
        return [{} for _ in range(len(counts))]
    total = counts.sum(axis=1, keepdims=True)
    safe = np.maximum(total, 1)
    tenths, remainders = np.divmod(1000 * counts, safe)
    short = 1000 - tenths.sum(axis=1, keepdims=True)  # fewer than len(keys): the largest remainders get one more
    order = np.argsort(-remainders * len(keys) + np.arange(len(keys)), axis=1, kind="stable")
    place = np.empty_like(order)
    np.put_along_axis(place, order, np.arange(len(keys))[None, :].repeat(len(counts), 0), axis=1)
    tenths += (place < short) & (total > 0)
    ranking = np.argsort(-tenths * len(keys) + np.arange(len(keys)), axis=1, kind="stable").tolist()
    return [
        {keys[k]: line[k] / 10 for k in ranked if counted[k]} if any(counted) else {}
        for ranked, line, counted in zip(ranking, tenths.tolist(), counts.tolist(), strict=True)
    ]
