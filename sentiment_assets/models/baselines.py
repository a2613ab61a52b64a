"""What a model must beat to be worth registering, trained in the same run on the same rows:

- `majority_class`: always the most frequent training label (the floor any classifier clears);
- `tfidf_logreg_baseline`: the ten-line model a user could write themselves -- TF-IDF of word
  1-2 grams (sublinear tf) + logistic regression (C=4, class_weight="balanced").

Framework-free; the evaluation step scores both on the test split next to the candidate.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sentiment_assets.models.metrics import ZERO_DIVISION, classification_scores

MAJORITY = "majority_class"
TFIDF_BASELINE = "tfidf_logreg_baseline"
BASELINE_NAMES = {MAJORITY: "majority-class baseline", TFIDF_BASELINE: "TF-IDF + logistic regression baseline"}


def ten_line_baseline():
    """The user's ten lines, unfitted (the configuration benchmarks/baseline_tfidf_logreg.py uses)."""
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=4, class_weight="balanced", max_iter=2000),
    )


def baseline_predictions(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each baseline's predicted label_id for every test review (train needs review_body, label_id)."""
    majority = int(cast(int, train["label_id"].value_counts().idxmax()))  # a label id
    predictions = {MAJORITY: np.full(len(test), majority)}
    if train["label_id"].nunique() > 1 and len(test):
        model = ten_line_baseline().fit(train["review_body"], train["label_id"])
        predictions[TFIDF_BASELINE] = model.predict(test["review_body"])
    return predictions


def baseline_scores(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, dict[str, float]]:
    """{baseline: {accuracy, macro_f1, balanced_accuracy}} on `test`."""
    truth = test["label_id"].to_numpy()
    return {
        name: classification_scores(truth, predicted) for name, predicted in baseline_predictions(train, test).items()
    }


def paired_difference(
    truth: np.ndarray,
    candidate: np.ndarray,
    baseline: np.ndarray,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.90,
) -> dict[str, float]:
    """Candidate minus baseline test macro-F1, with a paired bootstrap interval (the same
    resampled reviews for both): on 30 test reviews a 2-point gap is noise, on 3,000 it is not."""
    from sklearn.metrics import f1_score

    from sentiment_assets.labels import LABEL_IDS

    def macro_f1(y, p):
        return f1_score(y, p, labels=list(LABEL_IDS), average="macro", zero_division=ZERO_DIVISION)

    truth, candidate, baseline = map(np.asarray, (truth, candidate, baseline))
    observed = macro_f1(truth, candidate) - macro_f1(truth, baseline)
    if len(truth) == 0:
        return {"difference": 0.0, "low": 0.0, "high": 0.0, "n": 0}
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(truth), size=(n_resamples, len(truth)))
    differences = np.array([macro_f1(truth[d], candidate[d]) - macro_f1(truth[d], baseline[d]) for d in draws])
    tail = (1 - level) / 2
    return {
        "difference": float(observed),
        "low": float(np.quantile(differences, tail)),
        "high": float(np.quantile(differences, 1 - tail)),
        "n": int(len(truth)),
    }


def compare_with_baselines(
    train: pd.DataFrame, test: pd.DataFrame, candidate: np.ndarray
) -> dict[str, dict[str, float]]:
    """Per baseline: its test scores, and the candidate's macro-F1 difference with an interval."""
    truth = test["label_id"].to_numpy()
    return {
        name: {
            **classification_scores(truth, predicted),
            **{f"candidate_{k}": v for k, v in paired_difference(truth, candidate, predicted).items()},
        }
        for name, predicted in baseline_predictions(train, test).items()
    }
