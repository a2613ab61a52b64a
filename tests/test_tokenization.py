"""Tokenization: max_seq_length from token counts, and the parallel, chunked, streamed path
agreeing exactly with the in-memory one (bundled MiniLM tokenizer)."""

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sentiment_assets.features.tokenization import (
    as_record_batch_reader,
    load_tokenizer,
    max_seq_length_from_tokens,
    tokenize,
    tokenize_stream,
)
from sentiment_assets.synthetic.generator import generate_clothing_reviews

MAX_LEN = 64  # below the longest synthetic review, so truncation happens in every comparison


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    generated = generate_clothing_reviews(300, seed=7)["Review Text"].dropna().tolist()
    return generated + ["", "ok", "Too small. " * 100, "Ünïcödé façade — naïve café ☕"]


def ids_of(batches) -> list[list[int]]:
    return pa.Table.from_batches(batches).column("input_ids").to_pylist()


def text_of_tokens(tokenizer, n_tokens: int) -> str:
    """A text that encodes to exactly n_tokens tokens, [CLS] and [SEP] included."""
    text = " ".join(["word"] * (n_tokens - 2))
    assert len(tokenizer(text)["input_ids"]) == n_tokens
    return text


def test_max_seq_length_is_the_next_power_of_two_above_the_longest_review_in_tokens(tokenizer):
    texts = ["short review", text_of_tokens(tokenizer, 130), text_of_tokens(tokenizer, 40)]
    assert max_seq_length_from_tokens(texts, tokenizer) == (
        256,
        "longest review has 130 tokens; next power of two is 256",
    )


def test_max_seq_length_equals_the_longest_review_when_it_is_already_a_power_of_two(tokenizer):
    assert max_seq_length_from_tokens([text_of_tokens(tokenizer, 128)], tokenizer)[0] == 128


def test_max_seq_length_is_capped_at_512_and_says_so(tokenizer):
    length, reason = max_seq_length_from_tokens(iter([text_of_tokens(tokenizer, 600)]), tokenizer)
    assert length == 512
    assert reason == "longest review has 600 tokens; next power of two is 1024, capped at 512"


def test_streaming_in_process_gives_exactly_what_tokenize_gives(tokenizer, texts):
    expected_ids, expected_mask = tokenize(texts, tokenizer, MAX_LEN)
    batches = list(tokenize_stream(texts, tokenizer, MAX_LEN, chunk_rows=50, workers=1))
    table = pa.Table.from_batches(batches)
    assert table.schema.field("input_ids").type == pa.list_(pa.int32())
    assert table.schema.field("attention_mask").type == pa.list_(pa.int8())
    assert table.column("input_ids").to_pylist() == [ids.tolist() for ids in expected_ids]
    assert table.column("attention_mask").to_pylist() == [mask.tolist() for mask in expected_mask]
    as_pandas = table.to_pandas()  # what a caller gets back: numpy arrays, as from tokenize()
    assert as_pandas["input_ids"].iloc[0].dtype == np.int32
    assert as_pandas["attention_mask"].iloc[0].dtype == np.int8


def test_two_worker_processes_give_the_same_rows_in_input_order_with_their_review_ids(tokenizer, texts):
    frame = pd.DataFrame({"review_id": [f"r{i:04d}" for i in range(len(texts))], "review_body": texts})
    chunks = [frame.iloc[start : start + 40] for start in range(0, len(frame), 40)]
    batches = list(tokenize_stream(chunks, None, MAX_LEN, chunk_rows=7, workers=2))
    table = pa.Table.from_batches(batches)
    assert table.column_names == ["review_id", "input_ids", "attention_mask"]
    assert table.column("review_id").to_pylist() == frame["review_id"].tolist()
    assert table.column("input_ids").to_pylist() == [ids.tolist() for ids in tokenize(texts, tokenizer, MAX_LEN)[0]]


def test_truncation_keeps_cls_first_and_sep_last(tokenizer):
    long_review = "This dress runs small and the fabric is thin. " * 30
    (batch,) = tokenize_stream([long_review, "fine"], tokenizer, 16, workers=1)
    long_ids, short_ids = batch.column("input_ids").to_pylist()
    assert len(long_ids) == 16
    assert long_ids[0] == tokenizer.cls_token_id and long_ids[-1] == tokenizer.sep_token_id
    assert short_ids[-1] == tokenizer.sep_token_id and len(short_ids) < 16


def test_chunk_boundaries_do_not_change_the_result(tokenizer, texts):
    small = list(tokenize_stream(texts, tokenizer, MAX_LEN, chunk_rows=7, workers=1))
    large = list(tokenize_stream(texts, tokenizer, MAX_LEN, chunk_rows=1000, workers=1))
    assert len(small) == -(-len(texts) // 7) and len(large) == 1
    assert pa.Table.from_batches(small).equals(pa.Table.from_batches(large))


def test_a_chunk_longer_than_chunk_rows_is_sliced_and_keeps_its_other_columns(tokenizer):
    batch = pa.record_batch({"review_id": [10, 11, 12, 13, 14], "review_body": ["a", "b", "c", "d", "e"]})
    out = list(tokenize_stream(batch, tokenizer, MAX_LEN, chunk_rows=2, workers=1))
    assert [b.num_rows for b in out] == [2, 2, 1]
    assert pa.Table.from_batches(out).column("review_id").to_pylist() == [10, 11, 12, 13, 14]


def test_any_saved_hugging_face_tokenizer_directory_works(tokenizer, texts, tmp_path: Path):
    tokenizer.save_pretrained(tmp_path)
    from_directory = list(tokenize_stream(texts, tmp_path, MAX_LEN, workers=1))
    bundled = list(tokenize_stream(texts, "bundled", MAX_LEN, workers=1))
    assert ids_of(from_directory) == ids_of(bundled)


def test_blank_reviews_are_rejected_with_the_row_named(tokenizer):
    with pytest.raises(TypeError, match="row 1 of the chunk is None"):
        list(tokenize_stream(["fine", None], tokenizer, MAX_LEN, workers=1))
    with pytest.raises(KeyError, match="review_body"):
        list(tokenize_stream(pd.DataFrame({"text": ["fine"]}), tokenizer, MAX_LEN, workers=1))


def test_the_stream_lands_in_duckdb_as_integer_lists_chunk_by_chunk(tokenizer, texts):
    frame = pd.DataFrame({"review_id": range(len(texts)), "review_body": texts})
    reader = as_record_batch_reader(tokenize_stream(frame, tokenizer, MAX_LEN, chunk_rows=100, workers=1))
    con = duckdb.connect()
    con.register("reader", reader)
    con.execute("CREATE TABLE review_tokens AS SELECT * FROM reader")
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns").fetchall())
    assert types["input_ids"] == "INTEGER[]" and types["attention_mask"] == "TINYINT[]"
    stored = con.execute("SELECT input_ids FROM review_tokens ORDER BY review_id").fetchall()
    assert [row[0] for row in stored] == [ids.tolist() for ids in tokenize(texts, tokenizer, MAX_LEN)[0]]
