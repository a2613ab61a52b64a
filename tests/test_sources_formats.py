"""Formats by suffix (CSV, TSV, gzip, Parquet, JSON Lines) read alike, in chunks of any size."""

import gzip
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from source_files import json_cell

from sentiment_assets.sources import ColumnMapping, SourceError, SourceSpec, gather, read_reviews

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SPEC = SourceSpec(
    preset="generic",
    mapping=ColumnMapping(
        review_id="id", review_body="text", product_category="cat", star_rating="stars", date="when", extra=("shop",)
    ),
)
REVIEWS = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "text": ['Fits, "mostly"\nwould buy', "Zu groß — schade", "", "fine"],
        "cat": ["Dresses", "Knits", "Knits", "Tops"],
        "stars": [5, 2, 4, 3],
        "when": ["2024-01-02T03:04:05", "2024-02-03T00:00:00", "2024-03-04T00:00:00", "2024-04-05T06:07:08"],
        "shop": ["web", "app", "web", "store"],
    }
)


def read_one(path, spec=SPEC, **kwargs):
    [result] = gather(read_reviews(str(path), spec, NOW, **kwargs)).values()
    return result


def write_every_format(tmp_path):
    paths = {}
    for name, sep in (("reviews.csv", ","), ("reviews.tsv", "\t")):
        paths[name] = tmp_path / name
        REVIEWS.to_csv(paths[name], sep=sep, index=False)
        paths[name + ".gz"] = tmp_path / (name + ".gz")
        paths[name + ".gz"].write_bytes(gzip.compress(paths[name].read_bytes()))
    typed = REVIEWS.assign(when=pd.to_datetime(REVIEWS["when"]), stars=REVIEWS["stars"].astype("float64"))
    paths["reviews.parquet"] = tmp_path / "reviews.parquet"
    typed.to_parquet(paths["reviews.parquet"], index=False, row_group_size=2)
    for name in ("reviews.jsonl", "reviews.json"):
        paths[name] = tmp_path / name
        REVIEWS.to_json(paths[name], orient="records", lines=True, force_ascii=False)
    return paths


def test_every_format_gives_the_same_accepted_and_rejected_rows(tmp_path):
    results = {name: read_one(path, chunk_rows=3) for name, path in write_every_format(tmp_path).items()}
    expected = results["reviews.csv"]
    assert expected.accepted["review_id"].tolist() == ["a", "b", "d"]
    assert expected.accepted["review_body"][0] == 'Fits, "mostly"\nwould buy'
    assert expected.accepted["date"][3 - 1] == pd.Timestamp("2024-04-05 06:07:08")
    assert json_cell(expected.accepted, "extra", 1) == {"shop": "app"}
    for name, result in results.items():
        assert result.summary.ok, (name, result.summary.error)
        pd.testing.assert_frame_equal(
            result.accepted.drop(columns="source_file"), expected.accepted.drop(columns="source_file")
        )
        assert result.rejected[["source_row", "reason"]].values.tolist() == [[3, "blank review text"]], name


def test_reading_in_chunks_of_any_size_gives_the_same_result_as_one_chunk(tmp_path):
    rows = ["a,one,X,5", "b,,X,5", "a,again,X,4", "c,three,X,0", "c,three,X,3", "d,four,,2", "c,dup,X,1", "e,five,X,4"]
    path = tmp_path / "mixed.csv"
    path.write_text("id,text,cat,stars\n" + "\n".join(rows) + "\n")
    spec = SourceSpec(
        preset="generic",
        mapping=ColumnMapping(review_id="id", review_body="text", product_category="cat", star_rating="stars"),
    )
    whole = read_one(path, spec, chunk_rows=10_000)
    assert whole.accepted["source_row"].tolist() == [1, 5, 6, 8]  # a blank category is "unknown", not a rejection
    assert whole.accepted["product_category"].tolist() == ["X", "X", "unknown", "X"]
    for size in (1, 2, 3):
        chunked = read_one(path, spec, chunk_rows=size)
        pd.testing.assert_frame_equal(chunked.accepted, whole.accepted)
        pd.testing.assert_frame_equal(chunked.rejected, whole.rejected)


def test_chunks_stream_into_duckdb_with_stable_column_types_even_when_a_chunk_is_all_null(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text("id,title,text,cat,stars\na,,x,C,5\nb,,y,C,4\nc,Great,z,C,3\n")
    spec = SourceSpec(
        preset="generic",
        mapping=ColumnMapping(
            review_id="id", title="title", review_body="text", product_category="cat", star_rating="stars"
        ),
    )
    batches = [b for b in read_reviews(str(path), spec, NOW, chunk_rows=2) if len(b.accepted)]
    assert len(batches) == 2 and bool(batches[0].accepted["title"].isna().all())
    with duckdb.connect() as connection:  # as the warehouse streams them: first chunk creates the table
        for i, batch in enumerate(batches):
            connection.register("chunk", pa.Table.from_pandas(batch.accepted, preserve_index=False))
            connection.execute(("INSERT INTO t " if i else "CREATE TABLE t AS ") + "SELECT * FROM chunk")
        types = dict(
            connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 't'"
            ).fetchall()
        )
        titles = connection.execute("SELECT title FROM t ORDER BY source_row").fetchall()
    assert (types["title"], types["star_rating"], types["date"], types["extra"]) == (
        "VARCHAR",
        "BIGINT",
        "TIMESTAMP_NS",
        "VARCHAR",
    )
    assert titles == [(None,), (None,), ("Great",)]


def test_parquet_typed_values_are_read_as_their_text(tmp_path):
    path = tmp_path / "typed.parquet"
    pd.DataFrame({"text": ["ok", None], "cat": ["C", "C"], "stars": [4.0, 5.0], "gift": [True, False]}).to_parquet(path)
    spec = SourceSpec(
        preset="generic",
        mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars", extra=("gift",)),
    )
    result = read_one(path, spec)
    assert result.accepted["star_rating"].tolist() == [4] and json_cell(result.accepted, "extra", 0) == {"gift": "true"}
    assert result.rejected["reason"].tolist() == ["blank review text"]


def test_quoting_can_be_turned_off_for_a_csv_whose_texts_start_with_a_lone_quote(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text('id,text,cat,stars\na,"so-called quality,C,1\nb,fine,C,5\n')
    spec = SourceSpec(
        preset="generic",
        quoting="none",
        mapping=ColumnMapping(review_id="id", review_body="text", product_category="cat", star_rating="stars"),
    )
    assert read_one(path, spec).accepted["review_body"].tolist() == ['"so-called quality', "fine"]


def test_an_explicitly_named_file_of_an_unknown_type_is_an_error_listing_the_supported_suffixes(tmp_path):
    path = tmp_path / "reviews.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(SourceError, match=r"reviews.xlsx: unsupported file type; supported suffixes: \['.csv.gz'"):
        read_one(path, on_file_error="raise")


def test_a_corrupt_parquet_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(SourceError, match="broken.parquet: not a readable Parquet file"):
        read_one(path, on_file_error="raise")
