"""A train/validation/test split decided by a hash of review_id alone.

Each review's id hashes to a number in [0, 1); the 90/5/5 cut points on that number pick its
split. So a review never changes split when new data arrives or rows come in another order,
and re-running gives identical splits. Because the hash is independent of the label, every
sentiment class is split 90/5/5 in expectation (stratified up to sampling noise, which shrinks
as classes grow; `split_report` shows the realised shares).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

SPLIT_NAMES: tuple[str, ...] = ("train", "validation", "test")


def review_unit_interval(review_id: str) -> float:
    """A stable number in [0, 1) per review id (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(str(review_id).encode(), digest_size=8, person=b"split-v1").digest()
    return int.from_bytes(digest, "big") / 2**64


def assign_splits(reviews: pd.DataFrame, fractions: tuple[float, float, float] = (0.90, 0.05, 0.05)) -> pd.Series:
    """split_type per row ('train' | 'validation' | 'test'), aligned with `reviews.index`."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {fractions}")
    position = reviews["review_id"].map(review_unit_interval).to_numpy()
    train_end, validation_end = np.cumsum(fractions)[:2]
    labels = np.where(position < train_end, "train", np.where(position < validation_end, "validation", "test"))
    return pd.Series(labels, index=reviews.index, dtype="object")


def split_report(reviews: pd.DataFrame, split: pd.Series, stratify_by: str = "sentiment") -> pd.DataFrame:
    """Share of each split within each class: how close the hash split is to the target."""
    return pd.crosstab(reviews[stratify_by], split, normalize="index").reindex(columns=list(SPLIT_NAMES), fill_value=0.0)


#: Fewer reviews of a sentiment than this in validation or test make its scores noise.
MIN_EVALUATION_REVIEWS_PER_CLASS = 30
EVALUATION_SPLITS: tuple[str, ...] = ("validation", "test")
SENTIMENTS: tuple[int, ...] = (-1, 0, 1)


def split_sizes_too_small(reviews: pd.DataFrame, split: pd.Series,
                          minimum: int = MIN_EVALUATION_REVIEWS_PER_CLASS) -> dict[str, dict[str, int]]:
    """{split: {sentiment: reviews}} for each evaluation split holding fewer than `minimum`
    reviews of some sentiment (every sentiment listed, zeros included); empty when all are enough."""
    counts = pd.crosstab(split, reviews["sentiment"]).reindex(
        index=list(EVALUATION_SPLITS), columns=list(SENTIMENTS), fill_value=0)
    return {name: {str(s): int(n) for s, n in row.items()}
            for name, row in counts.iterrows() if int(row.min()) < minimum}
