"""The aws profile's warehouse: Parquet on S3 and the Glue catalog, against moto's server on
loopback, with the real boto3 client code (its Athena path: tests/test_aws_athena_query.py)."""

import io
import uuid

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from aws_tables import glue, keys, record_calls, reviews, s3

from resources.s3_table_layout import PARQUET_INPUT_FORMAT, PARQUET_OUTPUT_FORMAT, PARQUET_SERDE
from resources.s3_tables import MissingTableError, WarehouseError
from resources.s3_warehouse import S3ParquetWarehouse

# --- tables on S3 and in Glue ---------------------------------------------------------------


def test_a_written_table_reads_back_with_ints_floats_strings_timestamps_and_token_id_lists(aws_warehouse):
    frame = pd.DataFrame(
        {
            "review_id": ["a", "b"],
            "label_id": np.array([0, 2], dtype=np.int64),
            "probability": [0.25, 0.75],
            "date": pd.to_datetime(["2024-01-02 03:04:05", "2025-06-07 08:09:10"]).astype("datetime64[us]"),
            "input_ids": [np.array([101, 7, 102], dtype=np.int32), np.array([101, 102], dtype=np.int32)],
        }
    )
    assert aws_warehouse.write_table("review_features", frame) == 2
    back = aws_warehouse.read_table("review_features")
    assert back.dtypes.astype(str).tolist() == ["object", "int64", "float64", "datetime64[us]", "object"]
    assert back.drop(columns="input_ids").equals(frame.drop(columns="input_ids"))
    assert [list(ids) for ids in back["input_ids"]] == [[101, 7, 102], [101, 102]]
    types = aws_warehouse.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'review_features'"
    )
    assert dict(zip(types["column_name"], types["data_type"], strict=False))["input_ids"] == "INTEGER[]"
    assert aws_warehouse.row_count("review_features") == 2 and aws_warehouse.table_exists("review_features")


def test_the_glue_table_points_at_its_parquet_with_hive_columns_and_the_parquet_serde(aws_warehouse):
    aws_warehouse.write_table(
        "review_features",
        pd.DataFrame(
            {
                "review_id": ["a"],
                "date": pd.to_datetime(["2024-01-02"]),
                "input_ids": [np.array([1, 2], dtype=np.int32)],
                "attention_mask": [np.array([1, 1], dtype=np.int8)],
                "probability": [0.5],
                "label_id": [2],
            }
        ),
    )
    table = glue(aws_warehouse).get_table(DatabaseName=aws_warehouse.glue_database, Name="review_features")["Table"]
    storage = table["StorageDescriptor"]
    assert table["TableType"] == "EXTERNAL_TABLE" and table.get("PartitionKeys", []) == []
    assert storage["Location"] == f"s3://{aws_warehouse.bucket}/warehouse/review_features/"
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [
        ("review_id", "string"),
        ("date", "timestamp"),
        ("input_ids", "array<int>"),
        ("attention_mask", "array<tinyint>"),
        ("probability", "double"),
        ("label_id", "bigint"),
    ]
    assert storage["SerdeInfo"]["SerializationLibrary"] == PARQUET_SERDE
    assert (storage["InputFormat"], storage["OutputFormat"]) == (PARQUET_INPUT_FORMAT, PARQUET_OUTPUT_FORMAT)
    assert keys(aws_warehouse, "review_features") == ["warehouse/review_features/data.parquet"]


def test_a_partitioned_table_is_one_parquet_object_and_one_glue_partition_per_value(aws_warehouse):
    aws_warehouse.write_table("raw_reviews", pd.concat([reviews("a.csv", 2), reviews("b/c.csv", 3)]))
    assert keys(aws_warehouse, "raw_reviews") == [
        "warehouse/raw_reviews/source_partition=a.csv/data.parquet",
        "warehouse/raw_reviews/source_partition=b%2Fc.csv/data.parquet",
    ]
    body = (
        s3(aws_warehouse)
        .get_object(Bucket=aws_warehouse.bucket, Key=keys(aws_warehouse, "raw_reviews")[1])["Body"]
        .read()
    )
    in_file = pq.read_table(io.BytesIO(body))
    assert (
        in_file.column_names == ["review_id", "review_body"] and in_file.num_rows == 3
    )  # Hive keeps the key in the path
    table = glue(aws_warehouse).get_table(DatabaseName=aws_warehouse.glue_database, Name="raw_reviews")["Table"]
    assert table["PartitionKeys"] == [{"Name": "source_partition", "Type": "string"}]
    partitions = glue(aws_warehouse).get_partitions(DatabaseName=aws_warehouse.glue_database, TableName="raw_reviews")[
        "Partitions"
    ]
    assert sorted((p["Values"][0], p["StorageDescriptor"]["Location"]) for p in partitions) == [
        ("a.csv", f"s3://{aws_warehouse.bucket}/warehouse/raw_reviews/source_partition=a.csv/"),
        ("b/c.csv", f"s3://{aws_warehouse.bucket}/warehouse/raw_reviews/source_partition=b%2Fc.csv/"),
    ]
    back = aws_warehouse.read_table("raw_reviews").sort_values("review_id", ignore_index=True)
    assert back.columns.tolist() == ["review_id", "review_body", "source_partition"]
    assert back["source_partition"].tolist() == ["a.csv"] * 2 + ["b/c.csv"] * 3


def test_two_writers_of_different_partitions_in_overlapping_blocks_leave_both_partitions_intact(aws_warehouse):
    aws_warehouse.write_table("raw_reviews", pd.concat([reviews("a", 2), reviews("b", 2)]))
    with aws_warehouse.connect() as first, aws_warehouse.connect() as second:
        assert first.execute("SELECT count(*) FROM raw_reviews").fetchone()[0] == 4
        assert second.execute("SELECT count(*) FROM raw_reviews").fetchone()[0] == 4
        first.execute("UPDATE raw_reviews SET review_body = 'first was here' WHERE source_partition = 'a'").fetchall()
        second.execute("INSERT INTO raw_reviews VALUES ('b-9', 'second was here', 'b')").fetchall()
    # `second` exits last; it uploads only partition b, so `first`'s partition a survives.
    back = aws_warehouse.read_table("raw_reviews").sort_values("review_id", ignore_index=True)
    assert back["review_body"].tolist() == [
        "first was here",
        "first was here",
        "text b 0",
        "text b 1",
        "second was here",
    ]


def test_only_the_partitions_a_block_changed_are_uploaded(aws_warehouse):
    aws_warehouse.write_table("raw_reviews", pd.concat([reviews("a", 2), reviews("b", 2), reviews("c", 1)]))
    puts, deletes = record_calls(s3(aws_warehouse), "PutObject"), record_calls(s3(aws_warehouse), "DeleteObjects")
    with aws_warehouse.connect() as connection:
        connection.execute("DELETE FROM raw_reviews WHERE review_id = 'b-0' OR source_partition = 'c'").fetchall()
    assert puts == ["warehouse/raw_reviews/source_partition=b/data.parquet"]
    assert deletes == ["warehouse/raw_reviews/source_partition=c/data.parquet"]
    assert keys(aws_warehouse, "raw_reviews") == [
        "warehouse/raw_reviews/source_partition=a/data.parquet",
        "warehouse/raw_reviews/source_partition=b/data.parquet",
    ]
    partitions = glue(aws_warehouse).get_partitions(DatabaseName=aws_warehouse.glue_database, TableName="raw_reviews")[
        "Partitions"
    ]
    assert sorted(p["Values"][0] for p in partitions) == ["a", "b"]


def test_a_statement_downloads_only_the_tables_it_names(aws_warehouse):
    aws_warehouse.write_table("cleaned_reviews", reviews("a", 3))
    aws_warehouse.write_table("review_features", pd.DataFrame({"review_id": ["a-0"], "label_id": [1]}))
    gets = record_calls(s3(aws_warehouse), "GetObject")
    with aws_warehouse.connect() as connection:
        # information_schema sees every table without a download.
        assert {
            row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()
        } == {"cleaned_reviews", "review_features"}
        assert gets == []
        # A table named only in a string literal is not read either.
        connection.execute("SELECT 'review_features' AS name, count(*) FROM cleaned_reviews").fetchall()
        assert gets == ["warehouse/cleaned_reviews/data.parquet"]
        # A cursor (review_features streams through one) loads what it names too.
        assert connection.cursor().sql("SELECT label_id FROM review_features").fetchall() == [(1,)]
    assert gets == ["warehouse/cleaned_reviews/data.parquet", "warehouse/review_features/data.parquet"]


def test_a_changed_table_is_uploaded_and_an_unchanged_one_is_not(aws_warehouse):
    aws_warehouse.write_table("cleaned_reviews", reviews("a", 3))
    aws_warehouse.write_table("review_features", pd.DataFrame({"review_id": ["a-0"], "label_id": [1]}))
    etag = s3(aws_warehouse).head_object(Bucket=aws_warehouse.bucket, Key="warehouse/cleaned_reviews/data.parquet")[
        "ETag"
    ]
    puts = record_calls(s3(aws_warehouse), "PutObject")
    with aws_warehouse.connect() as connection:
        connection.execute("SELECT * FROM cleaned_reviews JOIN review_features USING (review_id)").fetchall()
        connection.execute("UPDATE review_features SET label_id = 2").fetchall()
        connection.execute("CREATE TABLE human_labels AS SELECT review_id FROM cleaned_reviews LIMIT 1").fetchall()
    assert sorted(puts) == ["warehouse/human_labels/data.parquet", "warehouse/review_features/data.parquet"]
    assert (
        s3(aws_warehouse).head_object(Bucket=aws_warehouse.bucket, Key="warehouse/cleaned_reviews/data.parquet")["ETag"]
        == etag
    )
    assert aws_warehouse.read_table("review_features")["label_id"].tolist() == [2]
    assert aws_warehouse.table_exists("human_labels")


def test_a_block_that_raises_uploads_nothing(aws_warehouse):
    aws_warehouse.write_table("review_features", pd.DataFrame({"review_id": ["a-0"], "label_id": [1]}))
    puts = record_calls(s3(aws_warehouse), "PutObject")
    with pytest.raises(RuntimeError, match="crashed"), aws_warehouse.connect() as connection:
        connection.execute("UPDATE review_features SET label_id = 2").fetchall()
        connection.execute("CREATE TABLE half_done AS SELECT 1 AS x").fetchall()
        raise RuntimeError("crashed")
    assert puts == [] and not aws_warehouse.table_exists("half_done")
    assert aws_warehouse.read_table("review_features")["label_id"].tolist() == [1]


def test_a_table_loaded_in_a_rolled_back_transaction_is_not_uploaded_empty(aws_warehouse):
    aws_warehouse.write_table("review_features", pd.DataFrame({"review_id": ["a-0", "a-1"], "label_id": [1, 0]}))
    puts = record_calls(s3(aws_warehouse), "PutObject")
    with aws_warehouse.connect() as connection:
        connection.execute("BEGIN TRANSACTION").fetchall()
        connection.execute("DELETE FROM review_features WHERE label_id = 0").fetchall()
        connection.execute("ROLLBACK").fetchall()
    assert puts == [] and aws_warehouse.row_count("review_features") == 2


def test_a_dropped_table_leaves_s3_and_glue(aws_warehouse):
    aws_warehouse.write_table("batch_predictions", pd.DataFrame({"review_id": ["a"], "source_partition": ["p"]}))
    with aws_warehouse.connect() as connection:
        connection.execute("DROP TABLE batch_predictions").fetchall()
    assert keys(aws_warehouse, "batch_predictions") == [] and not aws_warehouse.table_exists("batch_predictions")


# --- staged tables --------------------------------------------------------------------------


def test_staged_tables_swap_in_new_rows_and_carry_over_other_partitions(aws_warehouse):
    aws_warehouse.write_table("raw_reviews", pd.concat([reviews("a", 2), reviews("b", 3)]))
    with aws_warehouse.staged_tables() as stage:
        stage.append("raw_reviews", reviews("a", 3, start=10))
        stage.append("raw_reviews", reviews("a", 1, start=20))
        assert stage.keep_existing_rows("raw_reviews", "source_partition", "a") == 3
        stage.delete("raw_reviews", "review_id", "a-20")
        assert stage.rows("raw_reviews") == 6 and stage.written == {"raw_reviews": 6}
        assert aws_warehouse.row_count("raw_reviews") == 5  # nothing swapped in yet
    back = aws_warehouse.read_table("raw_reviews").sort_values("review_id", ignore_index=True)
    assert back["review_id"].tolist() == ["a-10", "a-11", "a-12", "b-0", "b-1", "b-2"]
    assert not aws_warehouse.table_exists("raw_reviews__staging") and keys(aws_warehouse, "raw_reviews__staging") == []


def test_a_failed_staged_write_leaves_the_previous_table_on_s3(aws_warehouse):
    aws_warehouse.write_table("scores", pd.DataFrame({"review_id": ["kept"]}))

    def failing_chunks():
        yield pd.DataFrame({"review_id": ["r0"]})
        raise RuntimeError("scoring crashed")

    with pytest.raises(RuntimeError, match="scoring crashed"):
        aws_warehouse.write_table_in_chunks("scores", failing_chunks())
    assert aws_warehouse.read_table("scores")["review_id"].tolist() == ["kept"]
    chunks = (pd.DataFrame({"review_id": [f"r{i}" for i in range(s, s + 2)]}) for s in (0, 2))
    assert aws_warehouse.write_table_in_chunks("scores", chunks) == 4
    assert aws_warehouse.read_table("scores")["review_id"].tolist() == ["r0", "r1", "r2", "r3"]


# --- the repo's scoring against S3 ------------------------------------------------------------


# --- clear errors ---------------------------------------------------------------------------


def test_reading_a_missing_table_names_the_table_and_its_s3_location(aws_warehouse):
    with pytest.raises(MissingTableError, match=rf"no table 'nope'.*s3://{aws_warehouse.bucket}/warehouse/nope/"):
        aws_warehouse.read_table("nope")


def test_a_missing_bucket_is_named_in_the_error(aws):
    missing = S3ParquetWarehouse(
        bucket="no-such-bucket-b7e2",
        glue_database=f"db_{uuid.uuid4().hex[:8]}",
        endpoint_url=aws,
        region_name="us-east-1",
    )
    with pytest.raises(WarehouseError, match="'no-such-bucket-b7e2'.*NoSuchBucket"):
        missing.write_table("scores", pd.DataFrame({"review_id": ["a"]}))
