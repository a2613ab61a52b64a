"""One landed file scored by the champion and checked for drift against the training baseline:
the batch_predictions asset's work (SageMaker batch transform with Model Monitor's checks).

Framework-free: no Dagster, no SQL. `warehouse` is anything with the warehouse contract that
scoring uses (scoring.batch.ScoringWarehouse) and `drop_table`; every read names the partition.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from sentiment_assets.fingerprints import frame_fingerprint
from sentiment_assets.frames import column
from sentiment_assets.models.fast_inference import fast_predict_proba
from sentiment_assets.models.mlflow_model import load_logged_model
from sentiment_assets.monitoring.baseline import DriftBaseline
from sentiment_assets.monitoring.drift import DriftResult, data_drift, prediction_drift
from sentiment_assets.scoring.batch import (
    PREDICTIONS_TABLE,
    SCORING_SOURCE_TABLE,
    PartitionReviews,
    PredictProba,
    ScoringSummary,
    ScoringWarehouse,
    score_partition,
    scoring_texts,
)
from sentiment_assets.scoring.freshness import PredictionCoverage


class Warehouse(ScoringWarehouse, Protocol):
    """What scoring and its checks need from the warehouse resource."""

    def drop_table(self, table: str) -> None: ...


def progress_line(key: str, version: int, done: int, total: int, scored_this_run: int, seconds: float) -> str:
    """A scoring progress line: reviews done of the partition, this run's rate and the time left."""
    rate = scored_this_run / seconds if scored_this_run > 0 and seconds > 0 else 0.0
    left = (total - done) / rate if rate else None
    eta = "unknown" if left is None else f"{int(left // 60)}m {int(left % 60):02d}s"
    share = done / total if total else 1.0
    return (
        f"{key}: {done} / {total} reviews scored by version {version} ({share:.0%}) | {rate:.0f} reviews/s | ETA {eta}"
    )


def reviews_fingerprint(reviews: pd.DataFrame) -> str:
    """16 hex digits that change when the partition's reviews change (and only then): the
    unsalted `frame_fingerprint` of all its columns (the same digest as before it was shared)."""
    return frame_fingerprint(reviews, sort_by=list(reviews.columns))


def registered_predict_proba(model_name: str, version: int, engine: str, onnx_path: Path) -> PredictProba:
    """The registered model version's predict_proba on `engine` ("torch", "torch_int8" or
    "onnxruntime_int8", whose export is kept at `onnx_path`)."""
    model = load_logged_model(f"models:/{model_name}/{version}").model
    return fast_predict_proba(model, engine=engine, onnx_path=onnx_path)


def predictions_table_unpartitioned(warehouse: Warehouse) -> bool:
    """Whether the predictions table is in its layout from before it had a source_partition."""
    return warehouse.table_exists(PREDICTIONS_TABLE) and "source_partition" not in warehouse.table_columns(
        PREDICTIONS_TABLE
    )


def drop_predictions_table(warehouse: Warehouse) -> None:
    warehouse.drop_table(PREDICTIONS_TABLE)


class ScoringProgress:
    """Logs a progress_line after each committed chunk. The first chunk's count includes what an
    interrupted run scored before this one, which this run's rate must leave out."""

    def __init__(self, key: str, version: int, chunk_size: int, log: Callable[[str], None]):
        self.key, self.version, self.chunk_size, self.log = key, version, chunk_size, log
        self.started = time.perf_counter()
        self.resumed_from: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.resumed_from is None:
            self.resumed_from = max(done - self.chunk_size, 0)
        seconds = time.perf_counter() - self.started
        self.log(progress_line(self.key, self.version, done, total, done - self.resumed_from, seconds))


@dataclass(frozen=True)
class ScoredPartition:
    """What scoring one partition did and what its drift checks found."""

    partition: str
    model_version: int
    summary: ScoringSummary
    predicted: pd.DataFrame  # this version's predictions: predicted_label, n, mean_probability
    reviews_fingerprint: str  # of the partition's (text, category) pairs
    drift: list[DriftResult]  # empty when the partition has no reviews

    @property
    def coverage(self) -> PredictionCoverage:
        """The partition's predictions after the run, counted on the scoring connection."""
        if self.summary.coverage is None:
            raise ValueError(f"scoring {self.partition} counted no coverage")
        return self.summary.coverage

    @property
    def drifted(self) -> list[str]:
        """The drift checks whose statistic crossed its threshold."""
        return [result.name for result in self.drift if result.drifted]

    def predicted_label_counts(self) -> dict[str, int]:
        return dict(zip(self.predicted["predicted_label"].astype(str), self.predicted["n"].astype(int), strict=False))


def score_and_check_partition(
    warehouse: Warehouse,
    key: str,
    predict_proba: PredictProba,
    baseline: DriftBaseline,
    *,
    model_name: str,
    model_version: int,
    chunk_size: int,
    log: Callable[[str], None],
) -> ScoredPartition:
    """Score every review of partition `key` that has no current prediction by `model_version`
    (chunk by committed chunk, logging progress), then hold the partition's reviews and this
    version's predictions against the training baseline."""
    summary = score_partition(
        warehouse,
        partition_key=key,
        predict_proba=predict_proba,
        model_name=model_name,
        model_version=model_version,
        chunk_size=chunk_size,
        on_chunk=ScoringProgress(key, model_version, chunk_size, log),
    )
    reviews = partition_texts_and_categories(warehouse, key)
    predicted = predicted_label_summary(warehouse, key, model_version)
    drift = (
        [
            *data_drift(baseline, reviews),
            prediction_drift(baseline, predicted["predicted_label"].to_numpy().repeat(predicted["n"].to_numpy())),
        ]
        if len(reviews)
        else []
    )
    return ScoredPartition(
        partition=key,
        model_version=model_version,
        summary=summary,
        predicted=predicted,
        reviews_fingerprint=reviews_fingerprint(reviews),
        drift=drift,
    )


def partition_texts_and_categories(warehouse: Warehouse, key: str) -> pd.DataFrame:
    """The partition's reviews as the drift checks compare them: review_body (the text models
    read) and product_category."""
    columns = [*PartitionReviews(warehouse, key).columns(), "product_category"]
    rows = warehouse.read_table(SCORING_SOURCE_TABLE, columns, where={"source_partition": key})
    return pd.DataFrame({"review_body": scoring_texts(rows), "product_category": rows["product_category"]})


def predicted_label_summary(warehouse: Warehouse, key: str, model_version: int) -> pd.DataFrame:
    """predicted_label, n and mean_probability of the version's predictions in the partition."""
    rows = warehouse.read_table(
        PREDICTIONS_TABLE,
        ["predicted_label", "probability"],
        where={"source_partition": key, "model_version": int(model_version)},
    )
    grouped = column(rows, "probability").groupby(column(rows, "predicted_label"), sort=True)
    counts, means = grouped.size(), grouped.mean()
    return pd.DataFrame(
        {
            "predicted_label": counts.index.to_numpy().astype("int32"),
            "n": counts.to_numpy().astype("int64"),
            "mean_probability": means.to_numpy().astype("float64"),
        }
    )
