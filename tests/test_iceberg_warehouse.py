"""The Iceberg warehouse resource (resources/iceberg_warehouse.py): the Warehouse contract on
Iceberg tables in the Glue catalog, the real pyiceberg against moto's S3 and Glue on loopback."""

import logging

import boto3
import duckdb
import numpy as np
import pandas as pd
import pytest
from loopback_aws import REGION
from test_aws_athena_query import seed_athena_results  # moto's canned Athena results, shared

from resources.iceberg_warehouse import IcebergWarehouse
from resources.warehouse import Warehouse

# pyiceberg warns when an overwrite's filter matches no rows: a partition written for the first time.
pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")


@pytest.fixture()
def warehouse(iceberg_warehouse) -> IcebergWarehouse:
    return iceberg_warehouse


def _reviews(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=pd.Index(["review_id", "source_partition", "sentiment"]))


def _sorted(frame: pd.DataFrame) -> list[tuple]:
    return sorted(frame.itertuples(index=False, name=None))


def test_the_iceberg_warehouse_is_a_warehouse_resource(warehouse):
    assert isinstance(warehouse, Warehouse)
    with pytest.raises(NotImplementedError, match="narrow contract"):
        warehouse.connect()


def test_a_pandas_frame_round_trips_with_strings_ints_floats_timestamps_and_token_id_lists(warehouse):
    frame = pd.DataFrame(
        {
            "review_id": ["a", "b"],
            "label_id": np.array([0, 2], dtype=np.int64),
            "probability": [0.25, 0.75],
            "date": pd.to_datetime(["2024-01-02 03:04:05.123456", "2025-06-07 08:09:10.000000"]).astype(
                "datetime64[us]"
            ),
            "input_ids": [np.array([101, 7, 102], dtype=np.int32), np.array([101, 102], dtype=np.int32)],
        }
    )

    assert warehouse.write_table("review_features", frame) == 2
    back = warehouse.read_table("review_features")

    assert back.dtypes.astype(str).tolist() == ["object", "int64", "float64", "datetime64[us]", "object"]
    assert back.drop(columns="input_ids").equals(frame.drop(columns="input_ids"))
    assert [ids.dtype for ids in back["input_ids"]] == [np.dtype(np.int32)] * 2
    assert [list(ids) for ids in back["input_ids"]] == [[101, 7, 102], [101, 102]]
    assert warehouse.row_count("review_features") == 2 and warehouse.table_exists("review_features")


def test_raw_reviews_are_partitioned_by_source_partition_and_a_read_of_one_prunes_the_others(warehouse):
    warehouse.write_table("raw_reviews", _reviews(("a", "p1", 1), ("b", "p2", 0), ("c", "p2", -1)))

    store = warehouse.table_store()
    assert len(store.data_files_read("raw_reviews")) == 2
    assert len(store.data_files_read("raw_reviews", where={"source_partition": "p2"})) == 1
    assert _sorted(warehouse.read_table("raw_reviews", ["review_id"], where={"source_partition": "p2"})) == [
        ("b",),
        ("c",),
    ]


def test_read_table_with_where_and_columns_and_table_columns_follow_the_contract(warehouse):
    warehouse.write_table("reviews", _reviews(("a", "p1", 1), ("b", "p2", 0), ("c", "p3", -1)))

    assert _sorted(warehouse.read_table("reviews", ["review_id"], where={"sentiment": [1, -1]})) == [("a",), ("c",)]
    assert warehouse.read_table("reviews", where={"sentiment": []}).empty
    assert list(warehouse.read_table("reviews", ["sentiment", "review_id"]).columns) == ["sentiment", "review_id"]
    assert warehouse.table_columns("reviews") == ["review_id", "source_partition", "sentiment"]


def test_a_missing_table_is_a_catalog_error_naming_it_as_in_the_other_warehouses(warehouse):
    assert not warehouse.table_exists("reviews")
    for read in (warehouse.read_table, warehouse.table_columns, warehouse.row_count):
        with pytest.raises(duckdb.CatalogException, match="no Iceberg table 'reviews'"):
            read("reviews")


def test_partition_and_keyed_writes_return_the_rows_written(warehouse):
    assert warehouse.replace_partition("raw_reviews", "source_partition", "p1", _reviews(("a", "p1", 1))) == 1
    assert warehouse.replace_partition("raw_reviews", "source_partition", "p2", _reviews(("b", "p2", 0))) == 1
    assert warehouse.replace_partition("raw_reviews", "source_partition", "p1", _reviews(("c", "p1", 1))) == 1
    assert _sorted(warehouse.read_table("raw_reviews", ["review_id"])) == [("b",), ("c",)]

    assert warehouse.append_new_keys("raw_reviews", _reviews(("b", "p2", 5), ("d", "p2", 1)), ["review_id"]) == 1
    assert warehouse.merge_by_key("raw_reviews", _reviews(("b", "p2", -1)), ["review_id"]) == 1
    assert _sorted(warehouse.read_table("raw_reviews")) == [("b", "p2", -1), ("c", "p1", 1), ("d", "p2", 1)]
    with pytest.raises(ValueError, match="have source_partition other than 'p3'"):
        warehouse.replace_partition("raw_reviews", "source_partition", "p3", _reviews(("e", "p1", 1)))


def test_query_runs_in_athena_in_the_glue_database_with_parameters_and_returns_typed_rows(warehouse, aws, caplog):
    seed_athena_results(aws, [["review_id", "n"], ["a", "2"]], [("review_id", "varchar"), ("n", "bigint")])
    sql = "SELECT review_id, count(*) AS n FROM raw_reviews WHERE source_partition = ? GROUP BY 1"
    caplog.set_level(logging.INFO)

    frame = warehouse.query(sql, ["p1"])

    [query_id] = [r.args[0] for r in caplog.records if r.name == "resources.athena_query"]
    client = boto3.client("athena", endpoint_url=aws, region_name=REGION)
    execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution.get("Query") == sql and execution.get("ExecutionParameters") == ["'p1'"]
    assert execution.get("QueryExecutionContext") == {"Database": warehouse.glue_database}
    output = execution.get("ResultConfiguration", {}).get("OutputLocation", "")
    assert output.startswith(f"s3://{warehouse.bucket}/athena-results/")
    assert frame["review_id"].tolist() == ["a"] and frame["n"].tolist() == [2]
