"""Scaling reference counts to another total without losing a row.

Every count in the catalog is quoted for the real file's 23,486 rows. For other sizes the
counts are scaled proportionally and rounded with the largest-remainder method, which keeps
the total exact (plain rounding can be off by a few rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def largest_remainder(weights: Sequence[int] | np.ndarray, total: int) -> np.ndarray:
    """Split `total` into integers proportional to `weights`, summing exactly to `total`.

    Each share gets the floor of its exact quota; the rows left over go one each to the
    shares with the largest fractional remainders (ties: earlier position first, so the
    result is deterministic).
    """
    w = np.asarray(weights, dtype="float64")
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    if w.size == 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    quotas = w * total / w.sum()
    counts = np.floor(quotas).astype("int64")
    left = total - int(counts.sum())
    if left:
        # Stable sort on the negated remainder: largest first, ties by position.
        order = np.argsort(-(quotas - counts), kind="stable")
        counts[order[:left]] += 1
    return counts


def ensure_minimum_one(counts: np.ndarray, positions: Sequence[int]) -> np.ndarray:
    """Give every listed position at least one row, taking rows from the largest of them.

    Used so that small synthetic files still contain every "good" category (a category with
    zero rows would silently vanish from slices and bias reports).
    """
    out = counts.copy()
    pos = list(positions)
    for p in pos:
        if out[p] == 0:
            donor = max(pos, key=lambda q: (out[q], -q))
            if out[donor] <= 1:
                raise ValueError("not enough rows to give every category one row")
            out[donor] -= 1
            out[p] += 1
    return out
