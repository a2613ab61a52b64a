"""Gradient boosting on review text: TF-IDF squeezed to a few hundred dense dimensions by
truncated SVD (latent semantic analysis), binned, then histogram gradient boosting, which needs
dense, low-dimensional input. The one TF-IDF family that trains in steps, so it can keep a time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import KBinsDiscretizer
from threadpoolctl import threadpool_limits

from sentiment_assets.models.tfidf import TfidfPipelineClassifier, check_tfidf_fields, tfidf_vectorizer

MAX_BINS = 255  # HistGradientBoosting's own (and largest) number of bins per feature


@dataclass
class TfidfGbmConfig:
    """TF-IDF -> TruncatedSVD -> HistGradientBoostingClassifier, each hyper-parameter named once."""

    learning_rate: float = 0.1  # shrinkage of each boosting round
    max_leaf_nodes: int = 31  # leaves per tree: how many feature interactions one tree can hold
    max_iter: int = 300  # boosting rounds at most (one tree per class per round)
    n_components: int = 200  # SVD dimensions the boosting sees
    max_ngram: int = 2  # word n-grams 1..max_ngram catch negations like "not flattering"
    min_df: int = 2  # drop terms seen in fewer reviews (typos, ids)
    max_features: int | None = 50_000  # smaller than the linear families': SVD cost grows with it
    validation_fraction: float = 0.1  # held out of the training reviews for early stopping
    n_iter_no_change: int = 10  # stop after this many rounds without a better held-out loss
    iter_chunk: int = 20  # rounds between two looks at the clock
    class_weight: str | None = "balanced"
    seed: int = 42
    # OpenMP/BLAS threads (None = every core). On a machine shared with other jobs, 1 is often
    # the fastest: threads that spin-wait for a busy core made boosting 15x slower (measured).
    n_threads: int | None = None
    time_budget_s: float | None = None  # stop adding rounds once the next chunk would overrun it

    def __post_init__(self) -> None:
        check_tfidf_fields(self)
        rules = [
            (self.learning_rate > 0, "learning_rate", "> 0"),
            (self.max_leaf_nodes >= 2, "max_leaf_nodes", ">= 2"),
            (self.max_iter >= 1, "max_iter", ">= 1"),
            (self.n_components >= 1, "n_components", ">= 1"),
            (0 < self.validation_fraction < 1, "validation_fraction", "in (0, 1)"),
            (self.n_iter_no_change >= 1, "n_iter_no_change", ">= 1"),
            (self.iter_chunk >= 1, "iter_chunk", ">= 1"),
            (self.n_threads is None or self.n_threads >= 1, "n_threads", "None or >= 1"),
        ]
        for ok, name, rule in rules:
            if not ok:
                raise ValueError(f"{name} must be {rule}, got {getattr(self, name)!r}")


class TfidfGradientBoosting(TfidfPipelineClassifier):
    """Boosting grows `iter_chunk` rounds at a time (warm start) until early stopping, `max_iter`,
    or the time budget ends it. After `fit`: `n_iter` (rounds trained), besides `train_seconds`
    and `stopped_by_budget`. At least one chunk is always trained, so a model always exists."""

    family = "tfidf_gbm"
    config_class = TfidfGbmConfig

    @property
    def n_iter(self) -> int:
        """Boosting rounds in the fitted model."""
        return int(self.pipeline.named_steps["gbm"].n_iter_) if self.pipeline is not None else 0

    def _fit_metrics(self) -> dict[str, float]:
        return {"boosting_rounds": float(self.n_iter)}

    def predict_proba(self, reviews: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(self.config.n_threads):
            return super().predict_proba(reviews)

    def _fit_pipeline(self, texts: list[str], labels: np.ndarray, deadline: float | None) -> Pipeline:
        with threadpool_limits(self.config.n_threads):
            return self._fit_in_chunks(texts, labels, deadline)

    def _fit_in_chunks(self, texts: list[str], labels: np.ndarray, deadline: float | None) -> Pipeline:
        c = self.config
        tfidf = tfidf_vectorizer(c)
        weights = tfidf.fit_transform(texts)
        # SVD needs fewer components than terms; a tiny vocabulary (a toy corpus) has few terms.
        svd = TruncatedSVD(n_components=max(1, min(c.n_components, weights.shape[1] - 1)), random_state=c.seed)
        # Binned once here, as the boosting would bin them (255 quantiles, unweighted), because
        # with class weights scikit-learn 1.9 bins by weighted percentiles, on every warm-started
        # chunk: 30+ s a chunk on 1,500 reviews instead of < 1 s (measured). Features with at
        # most 255 distinct values are taken as they are.
        bins = KBinsDiscretizer(
            n_bins=MAX_BINS,
            encode="ordinal",
            strategy="quantile",
            quantile_method="averaged_inverted_cdf",
            random_state=c.seed,
        )
        binned = bins.fit_transform(svd.fit_transform(weights))
        gbm = HistGradientBoostingClassifier(
            learning_rate=c.learning_rate,
            max_leaf_nodes=c.max_leaf_nodes,
            early_stopping=cast(Any, True),  # untyped scikit-learn: its default "auto" reads as str only
            validation_fraction=c.validation_fraction,
            n_iter_no_change=c.n_iter_no_change,
            class_weight=c.class_weight,
            warm_start=True,
            # An int seed keeps the early-stopping hold-out the same on every warm-started chunk.
            random_state=c.seed,
        )
        rounds = 0
        while rounds < c.max_iter:
            chunk_started = time.perf_counter()
            rounds = min(rounds + c.iter_chunk, c.max_iter)
            gbm.set_params(max_iter=rounds).fit(binned, labels)
            if gbm.n_iter_ < rounds:
                break  # early stopping ended it: more rounds stopped helping the held-out loss
            # Stop when the next chunk, as long as this one, would end past the deadline.
            now = time.perf_counter()
            if deadline is not None and rounds < c.max_iter and now + (now - chunk_started) > deadline:
                self.stopped_by_budget = True
                break
        return Pipeline([("tfidf", tfidf), ("svd", svd), ("bins", bins), ("gbm", gbm)])
