"""Stratified k-fold cross-validation: the honest score of a model family on data too small for a
validation split to say much (a few dozen reviews per class). Framework-free."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from sentiment_assets.models.base import SentimentClassifier


def usable_folds(labels: pd.Series, folds: int) -> int:
    """As many folds as asked, but no more than the rarest class has reviews (0: too few to fold)."""
    smallest = int(labels.value_counts().min()) if len(labels) else 0
    return min(folds, smallest) if smallest >= 2 else 0


def out_of_fold_label_ids(
    build: Callable[[], SentimentClassifier],
    reviews: pd.DataFrame,
    folds: int,
    seed: int = 42,
    train_fraction: float = 1.0,
) -> np.ndarray:
    """A predicted label id for every review, each made by a fresh model (`build()`) fitted on the
    other folds -- on the first `train_fraction` of them in one seeded order (the fidelity steps
    of tuning: a nested sample, as `fit_by_train_fraction` takes)."""
    predicted = np.empty(len(reviews), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, held_rows in splitter.split(reviews, reviews["label_id"]):
        order = np.random.default_rng(seed).permutation(fit_rows)
        used = np.sort(order[: max(1, round(train_fraction * len(order)))])
        fold_model = build().fit(reviews.iloc[used].reset_index(drop=True))
        predicted[held_rows] = fold_model.predict_proba(reviews.iloc[held_rows].reset_index(drop=True)).argmax(axis=1)
    return predicted
