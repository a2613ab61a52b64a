"""The `review_features` table: written straight from the tokenizer's stream, so no step holds
every tokenized review in memory. No Dagster here: the asset passes a warehouse connection."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

SOURCE = "balanced_reviews"
TABLE = "review_features"
SOURCE_COLUMNS = "review_id, date, review_body, sentiment, label_id"  # what the tokenizer passes through


@dataclass(frozen=True)
class TruncationSummary:
    """How many reviews the table holds, how many filled max_seq_length (cut, or exactly that
    long), and the longest review in tokens."""

    reviews: int
    truncated: int
    longest: int


def review_texts(connection: duckdb.DuckDBPyConnection, chunk_rows: int) -> pa.RecordBatchReader:
    """The training population's review texts (one column), in batches of `chunk_rows`."""
    return connection.cursor().sql(f"SELECT review_body FROM {SOURCE}").to_arrow_reader(chunk_rows)


def feature_source(connection: duckdb.DuckDBPyConnection, chunk_rows: int) -> pa.RecordBatchReader:
    """The reviews to tokenize, ordered by review_id, in batches of `chunk_rows`."""
    return (
        connection.cursor().sql(f"SELECT {SOURCE_COLUMNS} FROM {SOURCE} ORDER BY review_id").to_arrow_reader(chunk_rows)
    )


def write_review_features(
    connection: duckdb.DuckDBPyConnection, tokens: pa.RecordBatchReader, splits: pa.Table
) -> None:
    """Replace `review_features` with the token stream joined to each review's split and text
    (the stream passes every column through except the text, which is joined back here)."""
    connection.register("token_stream", tokens)
    connection.register("splits", splits)
    try:
        connection.execute(
            f"CREATE OR REPLACE TABLE {TABLE} AS "
            "SELECT t.*, b.review_body, s.split_type FROM token_stream t "
            f"JOIN splits s USING (review_id) JOIN {SOURCE} b USING (review_id)"
        ).fetchall()
    finally:
        connection.unregister("token_stream")
        connection.unregister("splits")


def truncation_summary(connection: duckdb.DuckDBPyConnection, max_seq_length: int) -> TruncationSummary:
    """Reviews in `review_features`, those at `max_seq_length` tokens, and the longest."""
    [(reviews, truncated, longest)] = connection.execute(
        f"SELECT count(*), count(*) FILTER (len(input_ids) >= ?), max(len(input_ids)) FROM {TABLE}",
        [max_seq_length],
    ).fetchall()
    return TruncationSummary(reviews=int(reviews), truncated=int(truncated), longest=int(longest or 0))
