"""TF-IDF features + logistic regression: Autopilot's strong, cheap baseline for review text."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from sentiment_assets.labels import LABEL_IDS
from sentiment_assets.models.base import EpochCallback, EpochReport, SentimentClassifier
from sentiment_assets.models.metrics import classification_scores


@dataclass
class TfidfConfig:
    C: float = 4.0  # inverse regularisation strength
    max_ngram: int = 2  # word n-grams 1..max_ngram catch negations like "not flattering"
    min_df: int = 2  # drop terms seen in fewer reviews (typos, ids)
    max_features: int | None = 200_000
    class_weight: str | None = "balanced"
    seed: int = 42

    def __post_init__(self) -> None:
        if self.C <= 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        if self.max_ngram < 1:
            raise ValueError(f"max_ngram must be >= 1, got {self.max_ngram}")


class TfidfLogisticRegression(SentimentClassifier):
    family = "tfidf_logreg"

    def __init__(self, config: TfidfConfig | None = None):
        self.config = config or TfidfConfig()
        self.pipeline: Pipeline | None = None
        self.train_seconds: float = 0.0

    def _build(self) -> Pipeline:
        c = self.config
        return Pipeline([
            ("tfidf", TfidfVectorizer(ngram_range=(1, c.max_ngram), min_df=c.min_df, max_features=c.max_features,
                                      sublinear_tf=True, strip_accents="unicode")),
            ("logreg", LogisticRegression(C=c.C, max_iter=2000, class_weight=c.class_weight, random_state=c.seed)),
        ])

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None,
            on_epoch_end: EpochCallback | None = None) -> "TfidfLogisticRegression":
        started = time.perf_counter()
        self.pipeline = self._build().fit(train["review_body"].tolist(), train["label_id"].to_numpy())
        self.train_seconds = time.perf_counter() - started
        if on_epoch_end is not None:
            metrics = {"train_seconds": self.train_seconds}
            if valid is not None and len(valid):
                scores = classification_scores(valid["label_id"].to_numpy(), self.predict(valid))
                metrics |= {f"val_{k}": v for k, v in scores.items()}
            on_epoch_end(EpochReport(epoch=1, metrics=metrics))
        return self

    def predict_proba(self, reviews: pd.DataFrame) -> np.ndarray:
        if self.pipeline is None:
            raise RuntimeError("TfidfLogisticRegression.predict_proba called before fit")
        probabilities = self.pipeline.predict_proba(reviews["review_body"].fillna("").tolist())
        # Order columns as label_id 0,1,2 even if a class was absent from training.
        full = np.zeros((len(reviews), len(LABEL_IDS)))
        full[:, self.pipeline.classes_] = probabilities
        return full

    def params(self) -> dict[str, object]:
        return {f"tfidf.{k}": v for k, v in asdict(self.config).items()}

    def save(self, directory: Path) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        joblib.dump({"config": asdict(self.config), "pipeline": self.pipeline}, Path(directory) / "tfidf_logreg.joblib")

    @classmethod
    def load(cls, directory: Path) -> "TfidfLogisticRegression":
        saved = joblib.load(Path(directory) / "tfidf_logreg.joblib")
        model = cls(TfidfConfig(**saved["config"]))
        model.pipeline = saved["pipeline"]
        return model
