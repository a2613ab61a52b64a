"""Batch scoring: every review of a partition through a model, chunk by committed chunk.

Framework-free (no Dagster, no SQL): the asset passes a warehouse (the Warehouse contract: read a
partition's rows in batches, replace a partition, append rows whose key is new) and a
`predict_proba`. A run scores only the reviews that have no prediction for its model version yet,
and commits each chunk on its own, so a process killed part-way and started again loses nothing
and duplicates nothing: it picks up at the first review still missing. A prediction is kept only
while its review still has the text it was made from (freshness.py): a run first removes the
partition's predictions of reviews whose text changed or that are gone, then scores again.
Every read and write names the partition, so on Iceberg a run touches only its partition's files.

    sentiment-assets score --db PATH --model-dir DIR --partition KEY \
        --model-name NAME --model-version 3 [--chunk-size 2048] [--engine onnxruntime_int8]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from sentiment_assets.frames import column, rows_where
from sentiment_assets.labels import SENTIMENT_NAMES
from sentiment_assets.models.calibration import decision_offsets_of
from sentiment_assets.models.mlflow_model import predictions_frame
from sentiment_assets.scoring.freshness import (
    FINGERPRINT_COLUMN,
    PredictionCoverage,
    coverage_of,
    current_mask,
    text_fingerprint,
)
from sentiment_assets.timestamps import naive_utc

PredictProba = Callable[[pd.DataFrame], np.ndarray]
ChunkCallback = Callable[[int, int], None]

#: What batch scoring reads: every accepted review of a partition, labelled or not, with the
#: text normalised exactly as for training (rows ingested before normalisation: trimmed text).
SCORING_SOURCE_TABLE = "raw_reviews"
PREDICTIONS_TABLE = "batch_predictions"
#: One prediction per review and model version within a partition. The partition is part of the
#: key so that checking for rows already there reads only that partition.
PREDICTION_KEY = ["source_partition", "review_id", "model_version"]
NORMALISED_TEXT, RAW_TEXT = "review_body_normalised", "review_body"
# What DuckDB's trim() removed from rows ingested before normalisation (Unicode space separators),
# so their texts, and so their fingerprints, stay what they were.
_TRIMMED = "\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

PROBABILITY_COLUMNS = [f"probability_{SENTIMENT_NAMES[s]}" for s in sorted(SENTIMENT_NAMES)]


class ScoringWarehouse(Protocol):
    """What scoring needs from the warehouse resource (resources.warehouse.Warehouse)."""

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame: ...

    def read_batches(
        self,
        table: str,
        columns: list[str] | None = None,
        *,
        where: dict[str, object] | None = None,
        batch_rows: int = 65_536,
    ) -> Iterator[pd.DataFrame]: ...

    def table_exists(self, table: str) -> bool: ...

    def table_columns(self, table: str) -> list[str]: ...

    def write_table(self, table: str, frame: pd.DataFrame) -> int: ...

    def replace_partition(self, table: str, column: str, value: str, frame: pd.DataFrame) -> int: ...

    def append_new_keys(self, table: str, frame: pd.DataFrame, key: list[str]) -> int: ...


def scoring_text_sql(alias: str | None = None) -> str:
    """The SQL (DuckDB) expression `scoring_texts` computes, over a raw_reviews row (optionally
    `alias.`-qualified), for SQL that runs over frames already read (set by code, never by users)."""
    q = f"{alias}." if alias else ""
    return f"coalesce({q}review_body_normalised, trim({q}review_body))"


def scoring_texts(reviews: pd.DataFrame, text_column: str | None = None) -> pd.Series:
    """The text models read for each row of `reviews`: `text_column` as it is when given, else
    the normalised text, or for rows ingested before normalisation the trimmed review_body."""
    if text_column is not None:
        return column(reviews, text_column)
    trimmed = column(reviews, RAW_TEXT).astype("string").str.strip(_TRIMMED)
    if NORMALISED_TEXT not in reviews:
        return trimmed
    return column(reviews, NORMALISED_TEXT).astype("string").fillna(trimmed)


@dataclass(frozen=True)
class PartitionReviews:
    """One partition's reviews in the source table, read batch by batch (never all texts at once)."""

    warehouse: ScoringWarehouse
    partition_key: str
    source_table: str = SCORING_SOURCE_TABLE
    text_column: str | None = None  # set by code or the CLI's --text-column; None: scoring_texts
    batch_rows: int = 65_536

    def columns(self) -> list[str]:
        held = self.warehouse.table_columns(self.source_table)
        if "review_id" not in held:
            raise ValueError(f"source table {self.source_table!r} has no review_id column")
        if self.text_column is not None:
            wanted = [self.text_column]
        else:
            wanted = [c for c in (NORMALISED_TEXT, RAW_TEXT) if c in held]
        missing = [c for c in wanted if c not in held] or ([] if wanted else [RAW_TEXT])
        if missing:
            raise ValueError(f"source table {self.source_table!r} has no column {missing[0]!r} to read the text from")
        return ["review_id", *wanted]

    def batches(self) -> Iterator[pd.DataFrame]:
        """review_id, review_body (the text models read) and its text_sha256, batch by batch; a
        review id seen before in the partition is left out (the first row is the review)."""
        seen: set[Hashable] = set()
        for batch in self.warehouse.read_batches(
            self.source_table,
            self.columns(),
            where={"source_partition": self.partition_key},
            batch_rows=self.batch_rows,
        ):
            texts = scoring_texts(batch, self.text_column)
            frame = pd.DataFrame({"review_id": batch["review_id"], "review_body": texts})
            frame = frame.drop_duplicates("review_id")
            frame = rows_where(frame, ~column(frame, "review_id").isin(list(seen)))
            seen.update(frame["review_id"].tolist())
            frame[FINGERPRINT_COLUMN] = [text_fingerprint(t) for t in frame["review_body"].tolist()]
            yield frame

    def fingerprints(self) -> dict[Hashable, str]:
        """review_id -> sha256 of its text, for every review of the partition (ids and digests
        only: memory grows with the number of reviews, not with their length)."""
        current: dict[Hashable, str] = {}
        for batch in self.batches():
            current.update(zip(batch["review_id"].tolist(), batch[FINGERPRINT_COLUMN].tolist(), strict=True))
        return current


@dataclass(frozen=True)
class ScoringSummary:
    """What one run of `score_partition` did."""

    partition: str
    total_reviews: int  # distinct reviews in the partition
    already_scored: int  # of those, with a current prediction for this model version before the run
    scored_now: int  # predictions this run added
    seconds: float
    removed_outdated: int = 0  # the partition's predictions (any version) of changed or removed reviews deleted
    coverage: PredictionCoverage | None = None  # the partition's predictions after the run

    @property
    def reviews_per_second(self) -> float:
        return self.scored_now / self.seconds if self.seconds > 0 else 0.0

    @property
    def complete(self) -> bool:
        return self.already_scored + self.scored_now == self.total_reviews


def score_in_chunks(
    reviews: pd.DataFrame,
    predict_proba: PredictProba,
    chunk_size: int = 4096,
) -> Iterator[pd.DataFrame]:
    """Yield review_id + predictions per chunk, so memory holds one chunk's tensors at a time."""
    for start in range(0, len(reviews), chunk_size):
        chunk = reviews.iloc[start : start + chunk_size].reset_index(drop=True)
        scored = predictions_frame(predict_proba(chunk), decision_offsets_of(predict_proba))
        scored.insert(0, "review_id", chunk["review_id"].to_numpy())
        yield scored


def partition_predictions(
    warehouse: ScoringWarehouse, partition_key: str, table: str = PREDICTIONS_TABLE, columns: list[str] | None = None
) -> pd.DataFrame:
    """The stored predictions of one partition (every model version); empty when there is no table."""
    if not warehouse.table_exists(table):
        return pd.DataFrame({"review_id": [], "model_version": [], FINGERPRINT_COLUMN: []})
    if (
        columns is not None
        and FINGERPRINT_COLUMN in columns
        and FINGERPRINT_COLUMN not in warehouse.table_columns(table)
    ):
        columns = [c for c in columns if c != FINGERPRINT_COLUMN]  # a table from before fingerprints
    return warehouse.read_table(table, columns, where={"source_partition": partition_key})


def ensure_fingerprint_column(warehouse: ScoringWarehouse, table: str) -> None:
    """A predictions table from before predictions carried their text's fingerprint gets the
    column, empty (a one-off rewrite of the table): its rows are then scored again."""
    if not warehouse.table_exists(table):
        return
    columns = warehouse.table_columns(table)
    if "source_partition" not in columns:
        raise ValueError(
            f"table {table!r} exists without source_partition (written by the old "
            f"whole-table scoring?); drop it to score by partition"
        )
    if FINGERPRINT_COLUMN not in columns:
        rows = warehouse.read_table(table)
        warehouse.write_table(
            table, rows.assign(**{FINGERPRINT_COLUMN: pd.Series(pd.NA, index=rows.index, dtype="string")})
        )


def remove_outdated_predictions(
    warehouse: ScoringWarehouse, partition_key: str, current: dict[Hashable, str], table: str = PREDICTIONS_TABLE
) -> int:
    """Delete, for every model version, the partition's predictions that are not current (texts
    changed, reviews gone), in one partition replace; returns the rows deleted."""
    stored = partition_predictions(warehouse, partition_key, table)
    keep = current_mask(stored, current)
    removed = int((~keep).sum())
    if removed:
        warehouse.replace_partition(table, "source_partition", partition_key, rows_where(stored, keep))
    return removed


def score_partition(
    warehouse: ScoringWarehouse,
    *,
    partition_key: str,
    predict_proba: PredictProba,
    model_name: str,
    model_version: int,
    chunk_size: int = 2048,
    source_table: str = SCORING_SOURCE_TABLE,
    text_column: str | None = None,
    table: str = PREDICTIONS_TABLE,
    on_chunk: ChunkCallback | None = None,
) -> ScoringSummary:
    """Score every review of `partition_key` in `source_table` that has no row in `table` for
    `model_version` yet, `chunk_size` reviews at a time, each chunk appended and committed on its
    own. `on_chunk(done, total)` follows each commit: done counts the partition's reviews now
    scored by this version, total all of the partition's reviews. Rows of other partitions are
    never read or touched; first, though, the partition's predictions of any version whose review
    left it or has another text now are deleted (remove_outdated_predictions)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    started = time.perf_counter()
    scored_at = naive_utc()
    reviews = PartitionReviews(warehouse, partition_key, source_table, text_column, batch_rows=max(chunk_size, 4096))
    current = reviews.fingerprints()
    ensure_fingerprint_column(warehouse, table)
    removed = remove_outdated_predictions(warehouse, partition_key, current, table)
    stored = partition_predictions(warehouse, partition_key, table, ["review_id", "model_version"])
    done: set[Hashable] = set(stored.loc[stored["model_version"] == model_version, "review_id"].tolist())
    total, already = len(current), len(done & current.keys())

    scored_now = 0
    for chunk in _missing_in_chunks(reviews.batches(), done, chunk_size):
        probabilities = np.asarray(predict_proba(chunk.drop(columns=FINGERPRINT_COLUMN)))
        scored = predictions_frame(probabilities, decision_offsets_of(predict_proba))
        scored.insert(0, "review_id", chunk["review_id"].to_numpy())
        scored.insert(1, "source_partition", partition_key)
        scored = scored.assign(
            predicted_label=scored["predicted_label"].astype("int32"),
            model_name=model_name,
            model_version=np.int32(model_version),
            scored_at=pd.Series(scored_at, index=scored.index, dtype="datetime64[us]"),
            **{FINGERPRINT_COLUMN: chunk[FINGERPRINT_COLUMN].to_numpy()},
        )
        scored_now += warehouse.append_new_keys(table, scored, key=PREDICTION_KEY)
        if on_chunk is not None:
            on_chunk(already + scored_now, total)

    after = partition_predictions(warehouse, partition_key, table, ["review_id", "model_version", FINGERPRINT_COLUMN])
    coverage = coverage_of(after, current, model_version)
    seconds = time.perf_counter() - started
    return ScoringSummary(partition_key, total, already, scored_now, seconds, removed, coverage)


def partition_coverage(
    warehouse: ScoringWarehouse,
    partition_key: str,
    model_version: int,
    *,
    source_table: str = SCORING_SOURCE_TABLE,
    table: str = PREDICTIONS_TABLE,
) -> PredictionCoverage:
    """How far the partition's stored predictions are from one current prediction per review by
    `model_version` (what score_partition reports after a run), counted now."""
    current = PartitionReviews(warehouse, partition_key, source_table).fingerprints()
    stored = partition_predictions(warehouse, partition_key, table, ["review_id", "model_version", FINGERPRINT_COLUMN])
    return coverage_of(stored, current, model_version)


def _missing_in_chunks(batches: Iterator[pd.DataFrame], done: set[Hashable], chunk_size: int) -> Iterator[pd.DataFrame]:
    """The reviews not in `done`, regrouped into frames of `chunk_size` (the last may be smaller)."""
    pending: list[pd.DataFrame] = []
    waiting = 0
    for batch in batches:
        missing = rows_where(batch, ~column(batch, "review_id").isin(list(done)))
        if missing.empty:
            continue
        pending.append(missing)
        waiting += len(missing)
        while waiting >= chunk_size:
            joined = pd.concat(pending, ignore_index=True)
            yield joined.iloc[:chunk_size].reset_index(drop=True)
            rest = joined.iloc[chunk_size:]
            pending, waiting = ([rest] if len(rest) else []), len(rest)
    if waiting:
        yield pd.concat(pending, ignore_index=True)


def main(argv: list[str] | None = None, prog: str = "sentiment-assets score") -> int:
    """Score one partition from the command line, printing a progress line after each commit."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Score one partition's reviews into batch_predictions, committing chunk by chunk: "
        "a run stopped part-way and started again scores only what is still missing.",
    )
    parser.add_argument("--db", required=True, help="DuckDB file holding the source table")
    parser.add_argument("--model-dir", required=True, help="a directory written by families.save_model")
    parser.add_argument("--partition", required=True, help="the source partition (file) whose reviews to score")
    parser.add_argument("--model-name", required=True, help="the registered model, recorded with each prediction")
    parser.add_argument("--model-version", required=True, type=int, help="its version, recorded likewise")
    parser.add_argument("--chunk-size", type=int, default=2048, help="reviews scored and committed at a time")
    parser.add_argument("--source-table", default=SCORING_SOURCE_TABLE, help="the table holding the reviews")
    parser.add_argument(
        "--text-column", default=None, help="the source table's text column (default: raw_reviews' normalised text)"
    )
    parser.add_argument("--table", default="batch_predictions", help="where the predictions go")
    parser.add_argument(
        "--engine",
        choices=["torch", "torch_int8", "onnxruntime_int8"],
        default=None,
        help="score a transformer through a faster CPU engine (int8: close, not identical "
        "probabilities); default: the model's own predict_proba",
    )
    parser.add_argument(
        "--onnx-cache",
        help="where the onnxruntime_int8 engine keeps the exported model (default: model.onnx beside --model-dir)",
    )
    args = parser.parse_args(argv)

    # Imported here: the model family may pull in torch, which `--help` need not load.
    from sentiment_assets.models.families import load_model

    model = load_model(Path(args.model_dir))
    predict_proba = model.predict_proba
    if args.engine:
        from sentiment_assets.models.fast_inference import fast_predict_proba

        onnx_path = Path(args.onnx_cache) if args.onnx_cache else Path(args.model_dir).with_suffix(".onnx")
        predict_proba = fast_predict_proba(model, engine=args.engine, onnx_path=onnx_path)
    from resources.warehouse import DuckDBWarehouse

    summary = score_partition(
        DuckDBWarehouse(path=args.db),
        partition_key=args.partition,
        predict_proba=predict_proba,
        model_name=args.model_name,
        model_version=args.model_version,
        chunk_size=args.chunk_size,
        source_table=args.source_table,
        table=args.table,
        text_column=args.text_column,
        on_chunk=lambda done, total: print(f"scored {done}/{total}", flush=True),
    )
    print(f"done {summary}", flush=True)
    return 0
