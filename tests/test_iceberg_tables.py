"""Iceberg tables in the Glue catalog (resources/iceberg_tables.py): the real pyiceberg against
moto's S3 and Glue on loopback."""

import multiprocessing
import time

import boto3
import pyarrow as pa
import pytest
from iceberg_stand_ins import (
    new_place,
    replace_partition_when_both_are_ready,
    reviews,
    stage_partition_when_both_are_ready,
    update_table_checking_version,
)
from loopback_aws import REGION
from moto.glue.responses import GlueResponse

from resources.iceberg_tables import IcebergTableStore, InvalidTableName, MissingIcebergTable, row_filter

# pyiceberg warns when an overwrite's filter matches no rows: a partition written for the first time.
pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")


@pytest.fixture()
def place(aws, monkeypatch):
    # moto's server runs in this process: Glue's version check, which moto lacks, applies to it.
    monkeypatch.setattr(GlueResponse, "update_table", update_table_checking_version(GlueResponse.update_table))
    return new_place(aws)


@pytest.fixture()
def store(place) -> IcebergTableStore:
    return place.open()


def _ids(arrow: pa.Table) -> list[str]:
    return sorted(arrow["review_id"].to_pylist())


def _three_reviews_in_two_partitions() -> pa.Table:
    return pa.concat_tables([reviews("p1", ["a", "b"]), reviews("p2", ["c"])])


def _by_id(arrow: pa.Table) -> dict[str, dict]:
    return {row["review_id"]: row for row in arrow.to_pylist()}


def test_a_written_table_is_registered_in_glue_as_an_iceberg_table_under_the_prefix(store, place):
    assert store.write_table("reviews", reviews("p1", ["a", "b"]), partition_column="source_partition") == 2

    glue = boto3.client("glue", endpoint_url=place.endpoint, region_name=REGION)
    parameters = glue.get_table(DatabaseName=place.database, Name="reviews")["Table"].get("Parameters", {})
    assert parameters["table_type"] == "ICEBERG"
    assert parameters["metadata_location"].startswith(f"s3://{place.bucket}/{place.prefix}/")
    assert store.table_exists("reviews") and not store.table_exists("other")
    assert store.columns("reviews") == ["review_id", "source_partition", "sentiment"]
    assert store.row_count("reviews") == 2


def test_reading_one_partition_plans_only_that_partitions_data_files(store):
    store.write_table(
        "reviews", pa.concat_tables([reviews("p1", ["a"]), reviews("p2", ["b", "c"])]), "source_partition"
    )

    every_file = store.data_files_read("reviews")
    p2_files = store.data_files_read("reviews", where={"source_partition": "p2"})

    assert len(every_file) == 2
    assert len(p2_files) == 1 and "/source_partition=p2/" in p2_files[0]
    assert _ids(store.read("reviews", where={"source_partition": "p2"})) == ["b", "c"]
    assert store.data_files_read("reviews", where={"source_partition": []}) == []


def test_read_keeps_the_columns_asked_for_in_that_order_and_filters_by_lists_and_nulls(store):
    rows = pa.table({"review_id": ["a", "b", "c"], "sentiment": pa.array([1, None, -1], pa.int64())})
    store.write_table("reviews", rows)

    assert store.read("reviews", ["sentiment", "review_id"]).column_names == ["sentiment", "review_id"]
    assert _ids(store.read("reviews", where={"sentiment": [1, -1]})) == ["a", "c"]
    assert _ids(store.read("reviews", where={"sentiment": None})) == ["b"]


def test_replacing_a_partition_keeps_the_other_partitions_rows(store):
    store.write_table(
        "reviews", pa.concat_tables([reviews("p1", ["a", "b"]), reviews("p2", ["c"])]), "source_partition"
    )

    assert store.replace_partition("reviews", "source_partition", "p1", reviews("p1", ["d"], sentiment=0)) == 1

    assert _ids(store.read("reviews")) == ["c", "d"]
    assert _by_id(store.read("reviews"))["d"]["sentiment"] == 0
    assert store.replace_partition("reviews", "source_partition", "p2", reviews("p2", [])) == 0
    assert _ids(store.read("reviews")) == ["d"]


def test_replace_partition_creates_a_missing_table_partitioned_by_the_column(store):
    store.replace_partition("reviews", "source_partition", "p1", reviews("p1", ["a"]))
    store.replace_partition("reviews", "source_partition", "p2", reviews("p2", ["b"]))

    assert _ids(store.read("reviews")) == ["a", "b"]
    assert len(store.data_files_read("reviews", where={"source_partition": "p1"})) == 1


def test_replace_partition_refuses_rows_of_another_value_naming_table_column_and_value(store):
    rows = pa.concat_tables([reviews("p1", ["a"]), reviews("p2", ["b"])])

    with pytest.raises(ValueError, match=r"replace_partition\('reviews'\): 1 row\(s\) have source_partition .*'p1'"):
        store.replace_partition("reviews", "source_partition", "p1", rows)
    assert not store.table_exists("reviews")


def rows_per_partition_after_two_writers(store, place, write, rows: int) -> dict[str, int]:
    """Seed partition p0, then run `write(place, partition, rows, barrier)` for p1 and p2 in two
    spawned processes that commit at the same moment; the rows each partition then holds."""
    store.write_table("reviews", reviews("p0", ["seed"]), "source_partition")
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    writers = [spawn.Process(target=write, args=(place, partition, rows, barrier)) for partition in ("p1", "p2")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=180)
    assert [writer.exitcode for writer in writers] == [0, 0]
    counts = store.read("reviews", ["source_partition"]).group_by("source_partition").aggregate([([], "count_all")])
    return dict(zip(counts["source_partition"].to_pylist(), counts["count_all"].to_pylist(), strict=True))


def test_two_processes_replacing_different_partitions_of_one_table_both_land(store, place):
    counts = rows_per_partition_after_two_writers(store, place, replace_partition_when_both_are_ready, 2000)

    assert counts == {"p0": 1, "p1": 2000, "p2": 2000}


def test_two_processes_committing_staged_partitions_of_one_table_at_once_both_land(store, place):
    counts = rows_per_partition_after_two_writers(store, place, stage_partition_when_both_are_ready, 1000)

    assert counts == {"p0": 1, "p1": 1000, "p2": 1000}
    assert [name for (_, name) in store.catalog.list_tables(store.database)] == ["reviews"]  # staging dropped


def test_a_writer_that_lost_the_race_commits_again_on_a_fresh_read(store, place):
    store.write_table("reviews", reviews("p1", ["a"]), "source_partition")
    other_writer = place.open()
    seen_snapshots = []

    def replace_p1(current):
        seen_snapshots.append(current.metadata.current_snapshot_id)
        if len(seen_snapshots) == 1:  # the other writer commits between our read and our commit
            other_writer.replace_partition("reviews", "source_partition", "p2", reviews("p2", ["b"]))
        current.overwrite(reviews("p1", ["c"]), overwrite_filter=row_filter({"source_partition": "p1"}))

    store.commit("reviews", replace_p1)

    assert len(seen_snapshots) == 2 and seen_snapshots[0] != seen_snapshots[1]
    assert _ids(store.read("reviews")) == ["b", "c"]


def test_a_point_in_time_read_returns_an_earlier_snapshots_rows_after_a_later_write(store):
    store.write_table("reviews", reviews("p1", ["a", "b"]), "source_partition")
    first = store.snapshots("reviews")[-1]
    time.sleep(0.01)  # the next commit gets a later timestamp
    store.replace_partition("reviews", "source_partition", "p1", reviews("p1", ["c"]))

    assert _ids(store.read("reviews")) == ["c"]
    assert _ids(store.read_at("reviews", snapshot_id=first.snapshot_id)) == ["a", "b"]
    assert _ids(store.read_at("reviews", as_of_ms=first.timestamp_ms, columns=["review_id"])) == ["a", "b"]
    assert len(store.snapshots("reviews")) > 1
    with pytest.raises(LookupError, match="'reviews' has no a snapshot at or before"):
        store.read_at("reviews", as_of_ms=first.timestamp_ms - 60_000)


def test_append_new_keys_adds_only_rows_whose_key_is_new(store):
    store.write_table("reviews", reviews("p1", ["a", "b"], sentiment=1))

    added = store.append_new_keys("reviews", reviews("p1", ["b", "c"], sentiment=-1), key=["review_id"])

    assert added == 1
    assert {k: row["sentiment"] for k, row in _by_id(store.read("reviews")).items()} == {"a": 1, "b": 1, "c": -1}
    assert store.append_new_keys("reviews", reviews("p1", ["a"]), key=["review_id"]) == 0


def test_append_new_keys_keeps_list_columns_and_matches_compound_keys(store):
    rows = pa.table({"review_id": ["a", "a"], "split": ["train", "test"], "input_ids": [[101, 7, 102], [101, 102]]})
    store.write_table("features", rows.slice(0, 1))

    assert store.append_new_keys("features", rows, key=["review_id", "split"]) == 1

    back = store.read("features")
    assert sorted(zip(back["split"].to_pylist(), back["input_ids"].to_pylist(), strict=True)) == [
        ("test", [101, 102]),
        ("train", [101, 7, 102]),
    ]


def test_merge_by_key_replaces_matched_rows_whole_and_adds_new_ones(store):
    store.write_table(
        "reviews", pa.concat_tables([reviews("p1", ["a", "b"]), reviews("p2", ["c"])]), "source_partition"
    )

    written = store.merge_by_key("reviews", reviews("p2", ["b", "d"], sentiment=0), key=["review_id"])

    assert written == 2
    merged = {k: (row["source_partition"], row["sentiment"]) for k, row in _by_id(store.read("reviews")).items()}
    assert merged == {"a": ("p1", 1), "b": ("p2", 0), "c": ("p2", 1), "d": ("p2", 0)}


def test_merge_by_key_on_a_compound_key_replaces_only_rows_with_both_values_equal(store):
    def rows(*keyed: tuple[str, str, int]) -> pa.Table:
        ids, splits, labels = zip(*keyed, strict=True)
        return pa.table({"review_id": ids, "split": splits, "input_ids": [[101, label, 102] for label in labels]})

    store.write_table("features", rows(("a", "train", 1), ("b", "test", 2), ("a", "test", 3)))

    assert store.merge_by_key("features", rows(("a", "test", 9), ("b", "train", 8)), ["review_id", "split"]) == 2

    back = store.read("features")
    merged = zip(back["review_id"].to_pylist(), back["split"].to_pylist(), back["input_ids"].to_pylist(), strict=True)
    assert sorted(merged) == [
        ("a", "test", [101, 9, 102]),
        ("a", "train", [101, 1, 102]),
        ("b", "test", [101, 2, 102]),
        ("b", "train", [101, 8, 102]),
    ]


def test_keyed_writes_refuse_a_key_twice_in_the_rows_naming_it(store):
    store.write_table("reviews", reviews("p1", ["a"]))
    twice = reviews("p1", ["b", "b"])

    for write in (store.append_new_keys, store.merge_by_key):
        with pytest.raises(ValueError, match=r"the key \{'review_id': 'b'\} is 2 times"):
            write("reviews", twice, ["review_id"])
    with pytest.raises(ValueError, match=r"need the column\(s\) \['missing'\]"):
        store.merge_by_key("reviews", twice, ["missing"])
    assert _ids(store.read("reviews")) == ["a"]


def test_rewriting_a_table_with_other_columns_replaces_its_schema(store):
    store.write_table("reviews", reviews("p1", ["a"]), "source_partition")
    store.write_table("reviews", reviews("p1", ["b"]).drop_columns(["sentiment"]))

    assert store.columns("reviews") == ["review_id", "source_partition"]
    assert _ids(store.read("reviews")) == ["b"]


@pytest.mark.parametrize("name", ["../reviews", "Reviews", "a-b", "1st", "", "reviews;drop"])
def test_table_names_that_are_not_lower_case_identifiers_are_refused(store, name):
    with pytest.raises(InvalidTableName, match="is not a table name"):
        store.write_table(name, reviews("p1", ["a"]))
    with pytest.raises(InvalidTableName):
        store.table_exists(name)


def test_reading_a_missing_table_names_it_and_the_database(store, place):
    with pytest.raises(MissingIcebergTable, match=f"no Iceberg table 'reviews' in Glue database '{place.database}'"):
        store.read("reviews")
