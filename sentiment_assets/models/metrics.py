"""Classification scores used everywhere a model is judged: leaderboard, tuning, evaluation."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from sentiment_assets.labels import LABEL_IDS


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """accuracy, macro-F1 and balanced accuracy over the three label ids."""
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=list(LABEL_IDS), average="macro", zero_division=0)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
    }
