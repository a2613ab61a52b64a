"""The review_features table written from the token stream, and its truncation statistics."""

import duckdb
import pandas as pd
import pyarrow as pa

from sentiment_assets.features.review_features_table import (
    feature_source,
    review_texts,
    truncation_summary,
    write_review_features,
)

BALANCED = pd.DataFrame(
    {
        "review_id": ["b", "a", "c"],
        "original_review_id": ["b", "a", "c"],
        "date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-03"]),
        "review_body": ["so so", "great fit", "too small, sent back"],
        "sentiment": [0, 1, -1],
        "label_id": [1, 2, 0],
    }
)


def test_the_feature_source_is_ordered_by_review_id_and_the_texts_cover_every_review():
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE balanced_reviews AS SELECT * FROM BALANCED").fetchall()

        source = feature_source(connection, chunk_rows=2).read_all()
        texts = review_texts(connection, chunk_rows=2).read_all()

    assert source.column("review_id").to_pylist() == ["a", "b", "c"]
    assert "original_review_id" not in source.column_names
    assert sorted(texts.column("review_body").to_pylist()) == sorted(BALANCED["review_body"])


def test_review_features_join_tokens_to_text_and_split_and_count_the_truncated_reviews():
    tokens = pa.table(
        {
            "review_id": ["a", "b", "c"],
            "input_ids": [[101, 7, 102], [101, 102], [101, 5, 6, 102]],
            "label_id": [2, 1, 0],
        }
    )
    splits = pa.table({"review_id": ["a", "b", "c"], "split_type": ["train", "validation", "test"]})
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE balanced_reviews AS SELECT * FROM BALANCED").fetchall()

        write_review_features(connection, pa.RecordBatchReader.from_batches(tokens.schema, tokens.to_batches()), splits)
        summary = truncation_summary(connection, max_seq_length=3)
        rows = connection.execute(
            "SELECT review_id, review_body, split_type FROM review_features ORDER BY review_id"
        ).fetchall()

    assert rows == [("a", "great fit", "train"), ("b", "so so", "validation"), ("c", "too small, sent back", "test")]
    assert (summary.reviews, summary.truncated, summary.longest) == (3, 2, 4)
