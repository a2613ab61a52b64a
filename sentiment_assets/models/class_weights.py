"""How much each class weighs in a training loss, so that a training set that keeps every review
(not down-sampled to the smallest class) is not dominated by its largest class."""

from __future__ import annotations

import numpy as np

CLASS_WEIGHTINGS = ("balanced", "none")


def class_weights(labels: np.ndarray, num_classes: int, weighting: str) -> np.ndarray:
    """The cross-entropy weight of each class 0 .. num_classes - 1 (float64).

    "balanced" is scikit-learn's class_weight="balanced": n_samples / (n_classes * n_c), where
    n_classes counts the classes present, so that every class weighs as much in total and the
    average example weighs 1. A class absent from `labels` weighs 0: no example asks for its
    weight, and nothing is divided by its count of 0. "none": every class weighs 1."""
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels, minlength=num_classes)  # a negative label raises here
    if len(counts) > num_classes:
        raise ValueError(f"labels must be 0 .. {num_classes - 1}, found {labels.max()}")
    if weighting == "none":
        return np.ones(num_classes)
    if weighting != "balanced":
        raise ValueError(f"class weighting must be one of {CLASS_WEIGHTINGS}, got {weighting!r}")
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return weights
