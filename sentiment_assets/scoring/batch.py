"""Batch scoring: every review of a partition through a model, chunk by committed chunk.

Framework-free (no Dagster): the asset passes a `connect` callable and a `predict_proba`.
A run scores only the reviews that have no prediction for its model version yet, and commits
each chunk on its own, so a process killed part-way and started again loses nothing and
duplicates nothing: it picks up at the first review still missing. A prediction is kept only
while its review still has the text it was made from (prediction_freshness.py): a run first
removes the predictions of reviews whose text changed or that are gone, then scores again.

    sentiment-assets score --db PATH --model-dir DIR --partition KEY \
        --model-name NAME --model-version 3 [--chunk-size 2048] [--engine onnxruntime_int8]
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from sentiment_assets.labels import SENTIMENT_NAMES
from sentiment_assets.models.calibration import decision_offsets_of
from sentiment_assets.models.mlflow_model import predictions_frame
from sentiment_assets.scoring.freshness import (
    FINGERPRINT_COLUMN,
    PredictionCoverage,
    prediction_coverage,
    remove_outdated_predictions,
    text_fingerprint_sql,
)
from sentiment_assets.sql import quote_identifier
from sentiment_assets.timestamps import naive_utc

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
PredictProba = Callable[[pd.DataFrame], np.ndarray]
ChunkCallback = Callable[[int, int], None]

#: What batch scoring reads: every accepted review of a partition, labelled or not, with the
#: text normalised exactly as for training (rows ingested before normalisation: trimmed text).
SCORING_SOURCE_TABLE = "raw_reviews"


def scoring_text_sql(alias: str | None = None) -> str:
    """The SQL that gives a raw_reviews row's text as models read it (optionally `alias.`-qualified)."""
    q = f"{alias}." if alias else ""
    return f"coalesce({q}review_body_normalised, trim({q}review_body))"


SCORING_TEXT_SQL = scoring_text_sql()

PROBABILITY_COLUMNS = [f"probability_{SENTIMENT_NAMES[s]}" for s in sorted(SENTIMENT_NAMES)]


@dataclass(frozen=True)
class ScoringSummary:
    """What one run of `score_partition` did."""

    partition: str
    total_reviews: int  # distinct reviews in the partition
    already_scored: int  # of those, with a current prediction for this model version before the run
    scored_now: int  # predictions this run added
    seconds: float
    removed_outdated: int = 0  # predictions (any version) of changed or removed reviews this run deleted
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


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> list[tuple]:
    # Fetch every result: DuckDB refuses the next statement while one is still pending.
    return connection.execute(sql, parameters or []).fetchall()


def _column_type(connection, table: str, column: str) -> str | None:
    found = _rows(
        connection,
        "SELECT data_type FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column],
    )
    return found[0][0] if found else None


def ensure_predictions_table(connection, table: str, source_table: str) -> None:
    """Create the predictions table if missing; one row per (review, model version) is enforced
    by its primary key, which is what makes re-running a chunk harmless. A table from before
    predictions carried their text's fingerprint gets the column, empty: its rows are scored again."""
    id_type = _column_type(connection, source_table, "review_id")
    if id_type is None:
        raise ValueError(f"source table {source_table!r} has no review_id column (or does not exist)")
    existing = _column_type(connection, table, "review_id")
    if existing is not None:
        if _column_type(connection, table, "source_partition") is None:
            raise ValueError(
                f"table {table!r} exists without source_partition (written by the old "
                f"whole-table scoring?); drop it to score by partition"
            )
        if _column_type(connection, table, FINGERPRINT_COLUMN) is None:
            _rows(connection, f"ALTER TABLE {quote_identifier(table)} ADD COLUMN {FINGERPRINT_COLUMN} VARCHAR")
        return
    probabilities = ", ".join(f"{c} DOUBLE NOT NULL" for c in PROBABILITY_COLUMNS)
    _rows(
        connection,
        f"""
        CREATE TABLE {quote_identifier(table)} (
            review_id {id_type} NOT NULL,
            source_partition VARCHAR NOT NULL,
            predicted_label INTEGER NOT NULL,
            probability DOUBLE NOT NULL,
            {probabilities},
            model_name VARCHAR NOT NULL,
            model_version INTEGER NOT NULL,
            scored_at TIMESTAMP NOT NULL,
            {FINGERPRINT_COLUMN} VARCHAR NOT NULL,
            PRIMARY KEY (review_id, model_version)
        )""",
    )


def score_partition(
    connect: Connect,
    *,
    partition_key: str,
    predict_proba: PredictProba,
    model_name: str,
    model_version: int,
    chunk_size: int = 2048,
    source_table: str = SCORING_SOURCE_TABLE,
    text_sql: str = SCORING_TEXT_SQL,
    table: str = "batch_predictions",
    on_chunk: ChunkCallback | None = None,
) -> ScoringSummary:
    """Score every review of `partition_key` in `source_table` that has no row in `table` for
    `model_version` yet, `chunk_size` reviews at a time in review_id order, each chunk inserted
    and committed on its own. `on_chunk(done, total)` follows each commit: done counts the
    partition's reviews now scored by this version, total all of the partition's reviews.
    Current rows of other partitions and other model versions are never touched; first, though,
    predictions of any version whose review left the partition or has another text now are
    deleted (remove_outdated_predictions). `text_sql` is the SQL expression (over
    `source_table`'s columns; set by code, never by users) that gives the text."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    started = time.perf_counter()
    scored_at = naive_utc()
    src, dst = quote_identifier(source_table), quote_identifier(table)
    with connect() as connection:
        ensure_predictions_table(connection, table, source_table)
        removed = remove_outdated_predictions(
            connection, partition_key=partition_key, source_table=source_table, table=table, text_sql=text_sql
        )
        total, already = _rows(
            connection,
            f"""
            SELECT count(*), count(p.review_id)
            FROM (SELECT DISTINCT review_id FROM {src} WHERE source_partition = ?) r
            LEFT JOIN (SELECT review_id FROM {dst} WHERE model_version = ?) p USING (review_id)""",
            [partition_key, model_version],
        )[0]
        # Keyset pagination over the reviews still missing: each page starts after the last id
        # seen, so a review that cannot be inserted (say a duplicate id) cannot stall the loop.
        page_sql = f"""
            SELECT r.review_id, {text_sql} AS review_body, {text_fingerprint_sql(text_sql)} AS {FINGERPRINT_COLUMN}
            FROM {src} r
            WHERE r.source_partition = ? AND (? IS NULL OR r.review_id > ?)
              AND NOT EXISTS (SELECT 1 FROM {dst} p
                              WHERE p.review_id = r.review_id AND p.model_version = ?)
            ORDER BY r.review_id LIMIT ?"""
        last, scored_now = None, 0
        while True:
            page = connection.execute(page_sql, [partition_key, last, last, model_version, chunk_size]).df()
            if page.empty:
                break
            last = page["review_id"].iloc[-1]
            last = last.item() if isinstance(last, np.generic) else last
            page = page.drop_duplicates("review_id", ignore_index=True)
            probabilities = np.asarray(predict_proba(page.drop(columns=FINGERPRINT_COLUMN)))
            scored = predictions_frame(probabilities, decision_offsets_of(predict_proba))
            scored.insert(0, "review_id", page["review_id"].to_numpy())
            scored.insert(1, "source_partition", partition_key)
            scored = scored.assign(
                model_name=model_name,
                model_version=int(model_version),
                scored_at=scored_at,
                **{FINGERPRINT_COLUMN: page[FINGERPRINT_COLUMN].to_numpy()},
            )
            scored_now += _insert_chunk(connection, dst, scored)
            if on_chunk is not None:
                on_chunk(already + scored_now, total)
        coverage = prediction_coverage(
            connection,
            partition_key=partition_key,
            model_version=model_version,
            source_table=source_table,
            table=table,
            text_sql=text_sql,
        )
    seconds = time.perf_counter() - started
    return ScoringSummary(partition_key, int(total), int(already), scored_now, seconds, removed, coverage)


def _insert_chunk(connection, table_sql: str, scored: pd.DataFrame) -> int:
    """Insert one chunk in its own transaction; returns the rows it added (a review another run
    already scored for this version is skipped, not duplicated)."""
    connection.register("scored_chunk", pa.Table.from_pandas(scored, preserve_index=False))
    try:
        _rows(connection, "BEGIN TRANSACTION")
        try:
            added = _rows(
                connection, f"INSERT INTO {table_sql} BY NAME SELECT * FROM scored_chunk ON CONFLICT DO NOTHING"
            )[0][0]
        except BaseException:
            _rows(connection, "ROLLBACK")
            raise
        _rows(connection, "COMMIT")
    finally:
        connection.unregister("scored_chunk")
    return int(added)


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
    summary = score_partition(
        lambda: contextlib.closing(duckdb.connect(args.db)),
        partition_key=args.partition,
        predict_proba=predict_proba,
        model_name=args.model_name,
        model_version=args.model_version,
        chunk_size=args.chunk_size,
        source_table=args.source_table,
        table=args.table,
        text_sql=quote_identifier(args.text_column) if args.text_column else SCORING_TEXT_SQL,
        on_chunk=lambda done, total: print(f"scored {done}/{total}", flush=True),
    )
    print(f"done {summary}", flush=True)
    return 0
