"""TF-IDF + linear support vector machine: often a little sharper than logistic regression on
sparse text, with probabilities from sigmoid calibration (an SVM only gives margins)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_sample_weight

from sentiment_assets.models.tfidf import TfidfPipelineClassifier, check_tfidf_fields, tfidf_vectorizer


@dataclass
class TfidfSvmConfig:
    """TF-IDF + LinearSVC, calibrated on 3 folds. Trained in one shot, so a time budget can only
    be reported as exceeded, never enforced."""

    C: float = 0.1  # inverse regularisation; on 20k synthetic reviews 0.1 > 0.2 > 0.5 > 1 (macro-F1)
    max_ngram: int = 2  # word n-grams 1..max_ngram catch negations like "not flattering"
    min_df: int = 2  # drop terms seen in fewer reviews (typos, ids)
    max_features: int | None = 200_000
    class_weight: str | None = "balanced"
    seed: int = 42
    time_budget_s: float | None = None  # seconds the fit should take; recorded, not enforced

    def __post_init__(self) -> None:
        check_tfidf_fields(self)


class TfidfLinearSvm(TfidfPipelineClassifier):
    """TF-IDF + LinearSVC inside CalibratedClassifierCV(method="sigmoid", cv=3): three SVMs, each
    calibrated on the fold it did not see, whose probabilities are averaged."""

    family = "tfidf_linear_svm"
    config_class = TfidfSvmConfig

    def _fit_pipeline(self, texts: list[str], labels: np.ndarray, deadline: float | None) -> Pipeline:
        c = self.config
        pipeline = Pipeline(
            [
                ("tfidf", tfidf_vectorizer(c)),
                ("svm", CalibratedClassifierCV(LinearSVC(C=c.C, random_state=c.seed), method="sigmoid", cv=3)),
            ]
        )
        # Class weights go in as sample weights, which reach the calibration too: weighting only
        # the SVM would be undone by calibrating on the real class shares, and the rare negative
        # and neutral reviews would lose every argmax again (measured: macro-F1 0.53 vs 0.64).
        weights = compute_sample_weight(c.class_weight, labels) if c.class_weight else None
        return pipeline.fit(texts, labels, svm__sample_weight=weights)
