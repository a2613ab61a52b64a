"""The review_features table written from the token stream through the warehouse contract, and
its truncation statistics: the same on the local DuckDB file and on the aws profile's Iceberg
tables (moto's S3 and Glue on loopback)."""

import pandas as pd
import pyarrow as pa
import pytest

from sentiment_assets.features.review_features_table import (
    TEXT_ALONGSIDE,
    feature_source,
    review_texts,
    write_review_features,
)
from sentiment_assets.features.tokenization import tokenize_stream

pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")

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
SPLITS = pa.table({"review_id": ["a", "b", "c"], "split_type": ["train", "validation", "test"]})


class CharacterTokenizer:
    """[CLS], one id per character, [SEP]: lengths anyone can count."""

    def __call__(self, texts, truncation, max_length, padding, **_):
        ids = [[101, *(ord(c) for c in text), 102] for text in texts]
        return {"input_ids": [row[:max_length] if truncation else row for row in ids]}


def test_the_feature_source_is_ordered_by_review_id_across_chunks_and_the_texts_cover_every_review(any_warehouse):
    any_warehouse.write_table("balanced_reviews", BALANCED)

    chunks = list(feature_source(any_warehouse, chunk_rows=2, review_ids=BALANCED["review_id"]))
    texts = list(review_texts(any_warehouse, chunk_rows=2))

    assert [chunk["review_id"].tolist() for chunk in chunks] == [["a", "b"], ["c"]]
    assert "original_review_id" not in chunks[0].columns
    assert chunks[0][TEXT_ALONGSIDE].tolist() == ["great fit", "so so"]
    assert sorted(texts) == sorted(BALANCED["review_body"])


def test_review_features_are_the_token_columns_then_text_and_split_and_the_truncated_reviews_are_counted(
    any_warehouse,
):
    any_warehouse.write_table("balanced_reviews", BALANCED)
    source = feature_source(any_warehouse, chunk_rows=2, review_ids=BALANCED["review_id"])
    tokens = tokenize_stream(source, CharacterTokenizer(), max_seq_length=10, chunk_rows=2, workers=1)

    summary = write_review_features(any_warehouse, tokens, SPLITS, max_seq_length=10)
    rows = any_warehouse.read_table("review_features").sort_values("review_id", ignore_index=True)

    assert list(rows.columns) == [
        *["review_id", "date", "sentiment", "label_id", "input_ids", "attention_mask"],
        *["review_body", "split_type"],
    ]
    assert rows[["review_id", "review_body", "split_type"]].values.tolist() == [
        ["a", "great fit", "train"],
        ["b", "so so", "validation"],
        ["c", "too small, sent back", "test"],
    ]
    assert [len(ids) for ids in rows["input_ids"]] == [10, 7, 10]
    assert (summary.reviews, summary.truncated, summary.longest) == (3, 2, 10)


def test_a_review_without_a_split_is_left_out_of_review_features(any_warehouse):
    any_warehouse.write_table("balanced_reviews", BALANCED)
    source = feature_source(any_warehouse, chunk_rows=10, review_ids=BALANCED["review_id"])
    tokens = tokenize_stream(source, CharacterTokenizer(), max_seq_length=64, chunk_rows=10, workers=1)

    summary = write_review_features(any_warehouse, tokens, SPLITS.slice(0, 2), max_seq_length=64)

    assert sorted(any_warehouse.read_table("review_features", ["review_id"])["review_id"]) == ["a", "b"]
    assert (summary.reviews, summary.truncated, summary.longest) == (2, 0, 11)
