"""A train/validation/test split, stratified by sentiment, decided by a hash of review_id.

Each review's id hashes to a number in [0, 1). Within each sentiment the reviews are ordered by
that number and cut so that every class is split in the same proportions (exactly, up to one
review of rounding): the highest numbers go to test, the next to validation, the rest to train.
Because the order comes from the id alone, re-running gives identical splits whatever the row
order, and a new review only shifts the cut points by its own place in the order: reviews far
from a cut never change split as data arrives (the few near it may).

Small classes get a minimum: each evaluation split holds at least
`MIN_EVALUATION_REVIEWS_PER_CLASS` reviews of every sentiment when the class can spare them, but
never more than `MAX_EVALUATION_SHARE_PER_SPLIT` of the class, so training keeps most of it. A
600-review file with 60 neutral reviews thus gets 12 neutral validation reviews instead of 3.

Course data keeps the course's 90/5/5; a user's data defaults to 80/10/10: the bigger
validation split is what calibration is fitted and measured on (an ECE over 150 reviews is
mostly sampling noise).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from sentiment_assets.frames import columns as select

SPLIT_NAMES: tuple[str, ...] = ("train", "validation", "test")
COURSE_FRACTIONS: tuple[float, float, float] = (0.90, 0.05, 0.05)
USER_DATA_FRACTIONS: tuple[float, float, float] = (0.80, 0.10, 0.10)

#: Fewer reviews of a sentiment than this in validation or test make its scores noise.
MIN_EVALUATION_REVIEWS_PER_CLASS = 30
#: The per-class minimum never takes more than this share of a class into one evaluation split.
MAX_EVALUATION_SHARE_PER_SPLIT = 0.20
EVALUATION_SPLITS: tuple[str, ...] = ("validation", "test")
SENTIMENTS: tuple[int, ...] = (-1, 0, 1)


def review_unit_interval(review_id: str) -> float:
    """A stable number in [0, 1) per review id (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(str(review_id).encode(), digest_size=8, person=b"split-v1").digest()
    return int.from_bytes(digest, "big") / 2**64


def default_fractions(course_data: bool) -> tuple[float, float, float]:
    """90/5/5 for the course's bundled data, 80/10/10 for a user's (see the module docstring)."""
    return COURSE_FRACTIONS if course_data else USER_DATA_FRACTIONS


def evaluation_counts(class_size: int, fraction: float, minimum: int = MIN_EVALUATION_REVIEWS_PER_CLASS) -> int:
    """Reviews of one class that go to an evaluation split with this `fraction`: the fraction,
    raised to `minimum` where the class can spare it (at most MAX_EVALUATION_SHARE_PER_SPLIT of
    it), and at least one review once the class has three (so every class is seen at all)."""
    if fraction <= 0 or class_size <= 0:
        return 0
    wanted = max(round(fraction * class_size), minimum)
    capped = min(wanted, int(MAX_EVALUATION_SHARE_PER_SPLIT * class_size))
    return max(capped, round(fraction * class_size), 1 if class_size >= 3 else 0)


def check_fractions(fractions: tuple[float, float, float]) -> None:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {fractions}")


def assign_splits(
    reviews: pd.DataFrame,
    fractions: tuple[float, float, float] = COURSE_FRACTIONS,
    *,
    stratify_by: str = "sentiment",
    minimum_per_class: int = MIN_EVALUATION_REVIEWS_PER_CLASS,
) -> pd.Series:
    """split_type per row ('train' | 'validation' | 'test'), aligned with `reviews.index`.
    Stratified by `stratify_by` when the frame has that column (one stratum otherwise). Rows
    sharing a review_id (up-sampled copies) share a split: the cut is made over distinct ids."""
    check_fractions(fractions)
    columns = ["review_id", stratify_by] if stratify_by in reviews.columns else ["review_id"]
    distinct = select(reviews, columns).drop_duplicates("review_id").reset_index(drop=True)
    ids = distinct["review_id"].astype(str).to_numpy()
    position = np.array([review_unit_interval(i) for i in ids])
    strata = (
        distinct[stratify_by].fillna("missing").astype(str).to_numpy()
        if len(columns) == 2
        else np.zeros(len(distinct), dtype=int)
    )
    labels = np.full(len(distinct), "train", dtype=object)
    for stratum in pd.unique(strata):
        rows = np.flatnonzero(strata == stratum)
        # Ties of the hash (never seen in practice) are broken by id, so row order never matters.
        ordered = rows[np.lexsort((ids[rows], position[rows]))]
        n_test = evaluation_counts(len(rows), fractions[2], minimum_per_class)
        n_validation = min(evaluation_counts(len(rows), fractions[1], minimum_per_class), len(rows) - n_test)
        cut_test, cut_validation = len(rows) - n_test, len(rows) - n_test - n_validation
        labels[ordered[cut_test:]] = "test"
        labels[ordered[cut_validation:cut_test]] = "validation"
    split_of = dict(zip(ids, labels, strict=False))
    return pd.Series([split_of[i] for i in reviews["review_id"].astype(str)], index=reviews.index, dtype="object")


def split_report(reviews: pd.DataFrame, split: pd.Series, stratify_by: str = "sentiment") -> pd.DataFrame:
    """Share of each split within each class: how close the split is to the target."""
    return pd.crosstab(reviews[stratify_by], split, normalize="index").reindex(
        columns=list(SPLIT_NAMES), fill_value=0.0
    )


def split_sizes_too_small(
    reviews: pd.DataFrame, split: pd.Series, minimum: int = MIN_EVALUATION_REVIEWS_PER_CLASS
) -> dict[str, dict[str, int]]:
    """{split: {sentiment: reviews}} for each evaluation split holding fewer than `minimum`
    reviews of some sentiment (every sentiment listed, zeros included); empty when all are enough."""
    counts = pd.crosstab(split, reviews["sentiment"]).reindex(
        index=list(EVALUATION_SPLITS), columns=list(SENTIMENTS), fill_value=0
    )
    return {
        str(name): {str(s): int(n) for s, n in row.items()}
        for name, row in counts.iterrows()
        if int(row.min()) < minimum
    }
