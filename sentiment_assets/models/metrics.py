"""Classification scores used everywhere a model is judged: leaderboard, tuning, evaluation."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from sentiment_assets.labels import LABEL_IDS

#: scikit-learn's `zero_division` here: a class no review has or predicts scores 0. Typed Any
#: because scikit-learn is untyped and a checker reads its default, "warn", as the only type.
ZERO_DIVISION: Any = 0


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """accuracy, macro-F1 and balanced accuracy over the three label ids."""
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=list(LABEL_IDS), average="macro", zero_division=ZERO_DIVISION)
        ),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
    }


def macro_f1_interval(
    y_true: np.ndarray, y_pred: np.ndarray, n_resamples: int = 1000, seed: int = 0, level: float = 0.90
) -> tuple[float, float]:
    """A bootstrap interval (resampling reviews) for macro-F1: how much the figure would move on
    another sample of the same size. (nan, nan) without reviews."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) == 0:
        return float("nan"), float("nan")
    draws = np.random.default_rng(seed).integers(0, len(y_true), size=(n_resamples, len(y_true)))
    scores = [
        f1_score(y_true[d], y_pred[d], labels=list(LABEL_IDS), average="macro", zero_division=ZERO_DIVISION)
        for d in draws
    ]
    tail = (1 - level) / 2
    return float(np.quantile(scores, tail)), float(np.quantile(scores, 1 - tail))
