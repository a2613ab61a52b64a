"""Judging a model on the files a user kept back (`holdout` role): per file and pooled, with n.

The internal test split comes from the same files the model learned from; a holdout file is
data the pipeline never trained on, often from another time or shop, so its score is the one a
user should believe. Framework-free: candidates and evaluation pass a predict function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sentiment_assets.frames import columns as select
from sentiment_assets.models.metrics import classification_scores

#: What a holdout score needs: text to predict, the true label_id, and the file it came from.
HOLDOUT_COLUMNS = ["review_id", "review_body", "label_id", "source_partition"]
ALL_HOLDOUT = "all holdout files"

PredictLabelIds = Callable[[pd.DataFrame], np.ndarray]


def holdout_scores(predict_label_ids: PredictLabelIds, holdout: pd.DataFrame) -> pd.DataFrame:
    """One row per holdout file and one pooled row (`ALL_HOLDOUT`): partition, reviews,
    accuracy, macro_f1, balanced_accuracy. Empty (with those columns) when there is no holdout."""
    columns = ["partition", "reviews", "accuracy", "macro_f1", "balanced_accuracy"]
    if holdout.empty:
        return pd.DataFrame(columns=pd.Index(columns))
    predicted = np.asarray(predict_label_ids(select(holdout, ["review_body"]).reset_index(drop=True)))
    truth = holdout["label_id"].to_numpy()
    rows = []
    for partition, index in [
        *holdout.reset_index(drop=True).groupby("source_partition").indices.items(),
        (ALL_HOLDOUT, np.arange(len(holdout))),
    ]:
        scores = classification_scores(truth[index], predicted[index])
        rows.append(
            {"partition": str(partition), "reviews": int(len(index)), **{k: float(scores[k]) for k in columns[2:]}}
        )
    return pd.DataFrame(rows, columns=pd.Index(columns))


def pooled(scores: pd.DataFrame) -> dict[str, float | int] | None:
    """The pooled row as {reviews, accuracy, macro_f1, balanced_accuracy}, or None without holdout."""
    row = scores[scores["partition"] == ALL_HOLDOUT]
    return None if row.empty else {k: row.iloc[0][k] for k in ("reviews", "accuracy", "macro_f1", "balanced_accuracy")}
