"""The warehouse contract every asset relies on (read_table with `where`, table_columns,
replace_partition, append_new_keys, merge_by_key, streamed reads and writes, staged
partitions), held by both warehouses: a DuckDB file, and Iceberg tables in the Glue catalog
(moto's server on loopback)."""

import duckdb
import pandas as pd
import pytest

from resources.warehouse import Warehouse


@pytest.fixture()
def warehouse(any_warehouse) -> Warehouse:
    return any_warehouse


def _reviews(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=pd.Index(["review_id", "source_partition", "sentiment"]))


def _sorted(frame: pd.DataFrame) -> list[tuple]:
    return sorted(frame.itertuples(index=False, name=None))


def test_read_table_with_where_keeps_rows_equal_to_a_value_or_in_a_list(warehouse):
    warehouse.write_table("reviews", _reviews(("a", "p1", 1), ("b", "p2", 0), ("c", "p3", -1)))

    assert _sorted(warehouse.read_table("reviews", ["review_id"], where={"source_partition": "p2"})) == [("b",)]
    assert _sorted(warehouse.read_table("reviews", ["review_id"], where={"sentiment": [1, -1]})) == [("a",), ("c",)]
    assert warehouse.read_table("reviews", where={"sentiment": []}).empty
    assert list(warehouse.read_table("reviews", ["sentiment", "review_id"]).columns) == ["sentiment", "review_id"]


def test_table_columns_lists_the_columns_in_table_order(warehouse):
    warehouse.write_table("reviews", _reviews(("a", "p1", 1))[["sentiment", "review_id", "source_partition"]])

    assert warehouse.table_columns("reviews") == ["sentiment", "review_id", "source_partition"]


def test_table_columns_of_a_missing_table_is_an_error_naming_it(warehouse):
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        warehouse.table_columns("no_such_table")


def test_replace_partition_swaps_one_partitions_rows_and_keeps_the_others(warehouse):
    assert warehouse.replace_partition("reviews", "source_partition", "p1", _reviews(("a", "p1", 1))) == 1
    warehouse.replace_partition("reviews", "source_partition", "p2", _reviews(("b", "p2", 0)))

    written = warehouse.replace_partition(
        "reviews", "source_partition", "p1", _reviews(("c", "p1", -1), ("d", "p1", 1))
    )

    assert written == 2
    assert _sorted(warehouse.read_table("reviews")) == [("b", "p2", 0), ("c", "p1", -1), ("d", "p1", 1)]


def test_replace_partition_refuses_a_row_of_another_partition_naming_table_column_and_value(warehouse):
    warehouse.replace_partition("reviews", "source_partition", "p1", _reviews(("a", "p1", 1)))

    with pytest.raises(ValueError, match=r"'reviews'.*source_partition.*'p1'"):
        warehouse.replace_partition("reviews", "source_partition", "p1", _reviews(("b", "p1", 0), ("c", "p2", 0)))

    assert _sorted(warehouse.read_table("reviews")) == [("a", "p1", 1)]


def test_append_new_keys_inserts_only_rows_whose_key_is_new_and_counts_them(warehouse):
    assert warehouse.append_new_keys("reviews", _reviews(("a", "p1", 1)), key=["review_id"]) == 1

    inserted = warehouse.append_new_keys("reviews", _reviews(("a", "p1", -1), ("b", "p1", 0)), key=["review_id"])

    assert inserted == 1
    assert _sorted(warehouse.read_table("reviews")) == [("a", "p1", 1), ("b", "p1", 0)]


@pytest.mark.parametrize("method", ["append_new_keys", "merge_by_key"])
def test_a_key_twice_in_the_frame_is_refused_naming_the_key(warehouse, method):
    warehouse.write_table("reviews", _reviews(("z", "p1", 1)))

    with pytest.raises(ValueError, match=r"review_id.*'a'"):
        getattr(warehouse, method)("reviews", _reviews(("a", "p1", 1), ("a", "p1", 0)), key=["review_id"])

    assert _sorted(warehouse.read_table("reviews")) == [("z", "p1", 1)]


def test_merge_by_key_updates_rows_with_known_keys_and_inserts_new_ones(warehouse):
    warehouse.write_table("reviews", _reviews(("a", "p1", 1), ("b", "p1", 0)))

    written = warehouse.merge_by_key(
        "reviews", _reviews(("b", "p2", -1), ("c", "p2", 1)), key=["review_id", "source_partition"]
    )

    assert written == 2
    assert _sorted(warehouse.read_table("reviews")) == [("a", "p1", 1), ("b", "p1", 0), ("b", "p2", -1), ("c", "p2", 1)]
    warehouse.merge_by_key("reviews", _reviews(("a", "p1", -1)), key=["review_id"])
    assert _sorted(warehouse.read_table("reviews", where={"review_id": "a"})) == [("a", "p1", -1)]


def test_the_write_methods_create_a_missing_table(warehouse):
    warehouse.merge_by_key("merged", _reviews(("a", "p1", 1)), key=["review_id"])
    warehouse.append_new_keys("appended", _reviews(("b", "p1", 0)), key=["review_id"])

    assert _sorted(warehouse.read_table("merged")) == [("a", "p1", 1)]
    assert warehouse.table_columns("appended") == ["review_id", "source_partition", "sentiment"]


def test_read_batches_streams_the_filtered_rows_in_frames_of_at_most_the_batch_size(warehouse):
    rows = [(f"r{i:02d}", "p1" if i % 3 else "p2", i % 3 - 1) for i in range(20)]
    warehouse.write_table("reviews", _reviews(*rows))

    batches = list(warehouse.read_batches("reviews", ["review_id"], where={"source_partition": "p1"}, batch_rows=4))

    assert all(0 < len(batch) <= 4 for batch in batches)
    assert sorted(pd.concat(batches)["review_id"]) == [r[0] for r in rows if r[1] == "p1"]
    assert list(warehouse.read_batches("reviews", where={"source_partition": "none"}, batch_rows=4)) == []


def test_drop_table_removes_the_table_and_a_missing_one_is_no_error(warehouse):
    warehouse.write_table("reviews", _reviews(("a", "p1", 1)))

    warehouse.drop_table("reviews")
    warehouse.drop_table("reviews")

    assert not warehouse.table_exists("reviews")


def test_write_table_in_chunks_replaces_the_table_and_a_failing_stream_leaves_the_old_rows(warehouse):
    warehouse.write_table("reviews", _reviews(("old", "p1", 1)))

    def failing():
        yield _reviews(("a", "p1", 1))
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        warehouse.write_table_in_chunks("reviews", failing())
    assert _sorted(warehouse.read_table("reviews")) == [("old", "p1", 1)]

    written = warehouse.write_table_in_chunks("reviews", iter([_reviews(("a", "p1", 1)), _reviews(("b", "p2", 0))]))

    assert written == 2
    assert _sorted(warehouse.read_table("reviews")) == [("a", "p1", 1), ("b", "p2", 0)]


def test_a_staged_partition_replaces_that_partition_in_each_table_and_keeps_the_others(warehouse):
    warehouse.replace_partition("raw_reviews", "source_partition", "p1", _reviews(("a", "p1", 1)))
    warehouse.replace_partition("raw_reviews", "source_partition", "p2", _reviews(("b", "p2", 0)))
    rejected = pd.DataFrame({"source_partition": ["p1"], "source_file": ["f1"], "reason": ["blank"]}, dtype="string")

    with warehouse.staged_partition("source_partition", "p1") as stage:
        typed = {"review_id": "string", "source_partition": "string", "sentiment": "int64"}
        stage.append("raw_reviews", _reviews().astype(typed).assign(source_file=pd.Series(dtype="string")))
        stage.append("rejected_reviews", rejected.iloc[:0])
        elsewhere = stage.rows_elsewhere("raw_reviews")
        stage.append("raw_reviews", _reviews(("c", "p1", -1), ("d", "p1", 1)).assign(source_file="f1"))
        stage.append("raw_reviews", _reviews(("e", "p1", 1)).assign(source_file="broken"))
        stage.append("rejected_reviews", rejected)
        stage.delete("raw_reviews", "source_file", "broken")
        assert stage.written == {"raw_reviews": 2, "rejected_reviews": 1}

    assert elsewhere == 1
    rows = warehouse.read_table("raw_reviews", ["review_id", "source_partition"])
    assert _sorted(rows) == [("b", "p2"), ("c", "p1"), ("d", "p1")]
    assert warehouse.read_table("rejected_reviews")["reason"].tolist() == ["blank"]


def test_a_staged_partition_whose_block_raises_changes_nothing(warehouse):
    warehouse.replace_partition("raw_reviews", "source_partition", "p1", _reviews(("a", "p1", 1)))

    with pytest.raises(RuntimeError, match="stopped"), warehouse.staged_partition("source_partition", "p1") as stage:
        stage.append("raw_reviews", _reviews(("z", "p1", 0)))
        raise RuntimeError("stopped")

    assert _sorted(warehouse.read_table("raw_reviews")) == [("a", "p1", 1)]
