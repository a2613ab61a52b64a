"""Has the input or the model's output moved away from what the model was trained on?

`data_drift` compares a batch of reviews with the training baseline (review length, category
mix, vocabulary); `prediction_drift` compares the predicted sentiments with the training
sentiments. Each check gives a `DriftResult` whose details (shares per bin or category, counts)
are JSON-friendly, ready for asset metadata or a report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from sentiment_assets.labels import SENTIMENT_NAMES, SENTIMENTS
from sentiment_assets.monitoring.baseline import DriftBaseline, out_of_vocabulary, words
from sentiment_assets.monitoring.statistics import categorical_psi, category_shares, ks, numeric_psi, psi

REVIEW_LENGTH_PSI = "review_length_psi"
REVIEW_LENGTH_KS = "review_length_ks"
CATEGORY_MIX_PSI = "category_mix_psi"
OOV_RATE = "oov_rate"
PREDICTION_CLASS_PSI = "prediction_class_psi"


@dataclass(frozen=True)
class DriftThresholds:
    """Where a shift becomes drift. PSI 0.2 is the usual "significant shift" line (0.1: watch);
    a KS gap of 0.1 means the length distributions differ by 10 points somewhere; 5 more words
    in every 100 unknown to the model is a vocabulary the model has not learned."""

    psi: float = 0.2
    psi_watch: float = 0.1
    ks_statistic: float = 0.1
    oov_rate_increase: float = 0.05
    prediction_psi: float = 0.2


@dataclass(frozen=True)
class DriftResult:
    """One check: its statistic, the threshold it was held to, and whether it crossed it."""

    name: str
    statistic: float
    threshold: float
    drifted: bool
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _result(name: str, statistic: float, threshold: float, details: dict) -> DriftResult:
    return DriftResult(name, float(statistic), float(threshold), bool(statistic >= threshold), details)


def data_drift(
    baseline: DriftBaseline, reviews: pd.DataFrame, thresholds: DriftThresholds = DriftThresholds()
) -> list[DriftResult]:
    """Length PSI, length KS, category-mix PSI and OOV-rate increase of `reviews`
    (review_body, product_category) against the baseline."""
    missing = {"review_body", "product_category"} - set(reviews.columns)
    if missing:
        raise ValueError(f"reviews lack column(s) {sorted(missing)}")
    if len(reviews) == 0:
        raise ValueError("no reviews to compare with the drift baseline")
    token_lists = [words(text) for text in reviews["review_body"]]
    lengths = np.array([len(tokens) for tokens in token_lists])
    counts = {"reviews": len(reviews), "baseline_reviews": baseline.reviews}

    length_psi, length_bins = numeric_psi(baseline.length_shares, baseline.length_edges, lengths)
    ks_statistic, p_value = ks(baseline.length_sample, lengths)
    category_psi, categories = categorical_psi(
        baseline.category_shares, category_shares(reviews["product_category"].tolist())
    )
    tokens, unseen = out_of_vocabulary(token_lists, baseline.vocabulary_set)
    if tokens == 0:
        raise ValueError("the reviews contain no words to compare with the training vocabulary")
    oov_rate = sum(unseen.values()) / tokens

    return [
        _result(
            REVIEW_LENGTH_PSI,
            length_psi,
            thresholds.psi,
            {**counts, "watch": bool(length_psi >= thresholds.psi_watch), "shares": length_bins},
        ),
        _result(
            REVIEW_LENGTH_KS,
            ks_statistic,
            thresholds.ks_statistic,
            {
                **counts,
                "p_value": p_value,
                "baseline_sample_size": len(baseline.length_sample),
                "baseline_median_words": float(np.median(baseline.length_sample)),
                "median_words": float(np.median(lengths)),
            },
        ),
        _result(
            CATEGORY_MIX_PSI,
            category_psi,
            thresholds.psi,
            {**counts, "watch": bool(category_psi >= thresholds.psi_watch), "shares": categories},
        ),
        _result(
            OOV_RATE,
            oov_rate - baseline.oov_rate,
            thresholds.oov_rate_increase,
            {
                **counts,
                "baseline_rate": baseline.oov_rate,
                "rate": oov_rate,
                "tokens": tokens,
                "oov_tokens": sum(unseen.values()),
                # The words behind a rise are what a reader wants to see first.
                "top_unseen_words": [[word, n] for word, n in unseen.most_common(10)],
            },
        ),
    ]


def prediction_drift(
    baseline: DriftBaseline,
    predicted_labels: Sequence[int] | np.ndarray | pd.Series,
    thresholds: DriftThresholds = DriftThresholds(),
) -> DriftResult:
    """PSI of the predicted sentiment shares (-1/0/1) against the training sentiment shares: a
    model that suddenly calls far more reviews negative is either right about a real change or
    wrong, and both deserve a look."""
    labels = np.asarray(predicted_labels, dtype="int64")
    if labels.size == 0:
        raise ValueError("no predictions to compare with the training class shares")
    unknown = sorted(set(labels.tolist()) - set(SENTIMENTS))
    if unknown:
        raise ValueError(f"predicted labels must be -1, 0 or 1, found {unknown}")
    expected = [baseline.class_shares.get(s, 0.0) for s in SENTIMENTS]
    actual = [float(np.mean(labels == s)) for s in SENTIMENTS]
    statistic = psi(expected, actual)
    shares = {
        SENTIMENT_NAMES[s]: {"expected": e, "actual": a} for s, e, a in zip(SENTIMENTS, expected, actual, strict=False)
    }
    return _result(
        PREDICTION_CLASS_PSI,
        statistic,
        thresholds.prediction_psi,
        {"predictions": int(labels.size), "watch": bool(statistic >= thresholds.psi_watch), "shares": shares},
    )
