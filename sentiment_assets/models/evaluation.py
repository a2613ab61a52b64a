"""How good the model is on held-out reviews: the figures the registry gate and people read."""

from __future__ import annotations

from typing import cast

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from sentiment_assets.labels import LABEL_IDS, SENTIMENT_NAMES, sentiment_from_label_id
from sentiment_assets.models.metrics import ZERO_DIVISION, classification_scores


def evaluate_predictions(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, object]:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.

    The confusion matrix has true labels as rows and predictions as columns, in label_id order
    (the course's script swapped the two; sklearn's argument order is y_true, y_pred).
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    # Per class (average=None): four arrays, one value per label id.
    precision, recall, f1, support = cast(
        tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        precision_recall_fscore_support(y_true, y_pred, labels=list(LABEL_IDS), zero_division=ZERO_DIVISION),
    )
    names = [SENTIMENT_NAMES[int(s)] for s in sentiment_from_label_id(np.array(LABEL_IDS))]
    per_class = {
        name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=False)
    }
    return {
        **classification_scores(y_true, y_pred),
        "n_reviews": int(len(y_true)),
        "per_class": per_class,
        "class_names": names,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=list(LABEL_IDS)).tolist(),
    }
