"""A train/validation/test split that is decided by review_id alone.

Within each sentiment class, reviews are ordered by a hash of their review_id and cut at the
90/5/5 marks, so the split is stratified, identical on every re-run, and independent of the order
rows arrive in.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

SPLIT_NAMES: tuple[str, ...] = ("train", "validation", "test")


def review_hash(review_id: str) -> int:
    """A stable 64-bit hash (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(str(review_id).encode(), digest_size=8).digest(), "big")


def assign_splits(
    reviews: pd.DataFrame,
    fractions: tuple[float, float, float] = (0.90, 0.05, 0.05),
    stratify_by: str = "sentiment",
) -> pd.Series:
    """split_type per row ('train' | 'validation' | 'test'), aligned with `reviews.index`."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {fractions}")
    hashes = reviews["review_id"].map(review_hash)
    split = pd.Series("train", index=reviews.index, dtype="object")
    bounds = np.cumsum(fractions)
    for _, members in hashes.groupby(reviews[stratify_by]):
        ordered = members.sort_values(kind="stable").index
        n = len(ordered)
        # Round the cut points, so a class of 100 gives exactly 90/5/5.
        train_end, validation_end = (int(round(b * n)) for b in bounds[:2])
        split.loc[ordered[train_end:validation_end]] = "validation"
        split.loc[ordered[validation_end:]] = "test"
    return split
