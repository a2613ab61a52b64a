"""The feature store: append-only offline table, point-in-time reads, online lookups, on each
warehouse the profiles use (the local DuckDB file and the aws profile's Iceberg tables)."""

from dataclasses import replace
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from resources.warehouse import DuckDBWarehouse
from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP as GROUP
from sentiment_assets.features.online_store import OnlineFeatureStore
from sentiment_assets.features.store import OfflineFeatureStore
from sentiment_assets.features.store_schema import FeatureStoreError

# pyiceberg warns when an overwrite's filter matches no rows: a table written for the first time.
pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")

T1, T2, T3 = datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1)


def review(review_id, date, sentiment=1, split_type="train", input_ids=(101, 2307, 102), body="fine"):
    return {
        "review_id": review_id,
        "date": date,
        "sentiment": sentiment,
        "label_id": sentiment + 1,
        "input_ids": list(input_ids),
        "review_body": body,
        "split_type": split_type,
    }


def frame(*rows):
    return pd.DataFrame(list(rows))


@pytest.fixture
def store(any_warehouse):
    """A store on each warehouse in turn: what it does must not depend on the profile."""
    return OfflineFeatureStore(any_warehouse)


@pytest.fixture
def local_store(tmp_path):
    """A store in a DuckDB file, for the checks made before anything is written."""
    return OfflineFeatureStore.at_path(tmp_path / "features.duckdb")


@pytest.fixture
def history(store):
    """r1 changes over time: v1 (event T1) ingested on T1+1d, v2 (event T2) ingested on T2+1d,
    and v3 (event T3) ingested on T3+1d; a late correction of the T1 state (event T1, body
    'corrected') arrives on T3+2d. r2 first exists at T2 (ingested T2+1d)."""
    day = pd.Timedelta(days=1)
    store.ingest(GROUP, frame(review("r1", T1, sentiment=-1, body="v1")), ingested_at=T1 + day)
    store.ingest(
        GROUP, frame(review("r1", T2, sentiment=0, body="v2"), review("r2", T2, body="r2 v1")), ingested_at=T2 + day
    )
    store.ingest(GROUP, frame(review("r1", T3, sentiment=1, body="v3")), ingested_at=T3 + day)
    store.ingest(
        GROUP, frame(review("r1", T1, sentiment=-1, body="v1 corrected")), ingested_at=T3 + pd.Timedelta(days=2)
    )
    return store


def bodies(rows: pd.DataFrame) -> dict:
    return dict(zip(rows["review_id"], rows["review_body"], strict=False))


def test_ingest_creates_the_group_table_with_typed_columns_and_ingestion_time(tmp_path):
    store = OfflineFeatureStore.at_path(tmp_path / "features.duckdb")
    assert store.ingest(GROUP, frame(review("r1", "2024-01-01T00:00:00Z"))) == 1
    row = store.latest(GROUP).iloc[0]
    assert row["date"] == pd.Timestamp("2024-01-01")
    assert list(row["input_ids"]) == [101, 2307, 102]
    assert isinstance(row["ingested_at"], pd.Timestamp)
    with duckdb.connect(str(tmp_path / "features.duckdb"), read_only=True) as connection:
        types = dict(
            connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fg_reviews_v2'"
            ).fetchall()
        )
    assert types == {
        "review_id": "VARCHAR",
        "date": "TIMESTAMP",
        "sentiment": "INTEGER",
        "label_id": "INTEGER",
        "input_ids": "INTEGER[]",
        "review_body": "VARCHAR",
        "split_type": "VARCHAR",
        "ingested_at": "TIMESTAMP",
    }


def test_reingesting_a_record_appends_a_row_and_keeps_the_old_one(store):
    store.ingest(GROUP, frame(review("r1", T1, body="first")), ingested_at=T1)
    store.ingest(GROUP, frame(review("r1", T1, body="second")), ingested_at=T2)
    assert store.row_count(GROUP) == 2
    kept = store.warehouse.read_table("fg_reviews_v2", ["review_body", "ingested_at"]).sort_values("ingested_at")
    assert list(kept.itertuples(index=False, name=None)) == [("first", T1), ("second", T2)]


def test_ingesting_the_same_rows_with_the_same_stamp_again_appends_nothing(store):
    rows = frame(review("r1", T1), review("r2", T1))
    assert store.ingest(GROUP, rows, ingested_at=T1) == 2
    assert store.ingest(GROUP, rows, ingested_at=T1) == 0
    assert store.ingest(GROUP, rows, ingested_at=T2) == 2
    assert store.row_count(GROUP) == 4


def test_creating_an_existing_group_again_keeps_its_rows(store):
    store.ingest(GROUP, frame(review("r1", T1)), ingested_at=T1)
    store.create_group(GROUP)
    assert store.row_count(GROUP) == 1


def test_a_group_with_an_unknown_column_needs_its_sql_type(store):
    group = replace(GROUP, name="custom", columns=(*GROUP.columns, "stars"))
    with pytest.raises(FeatureStoreError, match=r"custom v2: no SQL type for columns \['stars'\]"):
        store.create_group(group)
    store.create_group(group, column_types={"stars": "SMALLINT"})
    assert store.ingest(group, frame({**review("r1", T1), "stars": 5}), ingested_at=T1) == 1


def test_a_changed_schema_under_the_same_version_is_refused(store):
    store.ingest(GROUP, frame(review("r1", T1)), ingested_at=T1)
    changed = replace(GROUP, columns=tuple(c for c in GROUP.columns if c != "review_body"))
    with pytest.raises(FeatureStoreError, match="schema change needs a new group version"):
        store.create_group(changed)


def test_a_table_with_string_event_times_is_refused(store):
    written_before_the_store = frame(review("r1", "2024-01-01T00:00:00Z")).assign(ingested_at=T1)
    store.warehouse.write_table("fg_reviews_v2", written_before_the_store)
    with pytest.raises(FeatureStoreError, match=r"has \['date'\] as \['object'\], not timestamps"):
        store.ingest(GROUP, frame(review("r2", T1)))


def test_as_of_by_ingestion_returns_what_was_known_at_that_time(history):
    # Between T2+1d and T3+1d: r1's T2 version is the latest one written; r2 exists.
    assert bodies(history.as_of(GROUP, datetime(2024, 2, 15))) == {"r1": "v2", "r2": "r2 v1"}
    # Before r2's first write, and before r1's T2 version was written.
    assert bodies(history.as_of(GROUP, datetime(2024, 1, 15))) == {"r1": "v1"}
    # Exactly at an ingestion time counts as known.
    assert bodies(history.as_of(GROUP, T2 + pd.Timedelta(days=1))) == {"r1": "v2", "r2": "r2 v1"}


def test_as_of_by_ingestion_ignores_a_version_whose_event_time_passed_but_was_not_yet_written(history):
    # At T2 + 12h r1's T2 version exists in event time but is only written at T2+1d.
    assert bodies(history.as_of(GROUP, T2 + pd.Timedelta(hours=12), record_ids=["r1"])) == {"r1": "v1"}


def test_as_of_by_event_time_uses_late_writes_for_the_state_at_that_time(history):
    # The correction of r1's T1 state, written at T3+2d, is the best knowledge of r1 at T1..T2.
    assert bodies(history.as_of(GROUP, datetime(2024, 1, 15), by="event_time")) == {"r1": "v1 corrected"}
    assert bodies(history.as_of(GROUP, T2 + pd.Timedelta(hours=12), by="event_time")) == {"r1": "v2", "r2": "r2 v1"}


def test_as_of_leaves_out_records_with_no_version_before_that_time(history):
    result = history.as_of(GROUP, datetime(2023, 12, 31), by="event_time")
    assert result.empty and list(result.columns) == [*GROUP.columns, "ingested_at"]
    assert bodies(history.as_of(GROUP, datetime(2024, 1, 15), record_ids=["r2"], by="event_time")) == {}


def test_as_of_rejects_an_unknown_read_mode(local_store):
    with pytest.raises(FeatureStoreError, match="by must be"):
        local_store.as_of(GROUP, T3, by="write_time")


def test_latest_takes_the_newest_event_time_per_record(history):
    latest = history.latest(GROUP)
    assert bodies(latest) == {"r1": "v3", "r2": "r2 v1"}
    assert list(latest["review_id"]) == ["r1", "r2"]


def test_latest_breaks_event_time_ties_by_the_latest_ingestion(store):
    store.ingest(GROUP, frame(review("r1", T1, body="later write")), ingested_at=T3)
    store.ingest(GROUP, frame(review("r1", T1, body="earlier write")), ingested_at=T2)
    assert bodies(store.latest(GROUP)) == {"r1": "later write"}


def test_latest_filters_by_record_ids_and_selects_columns(history):
    result = history.latest(GROUP, record_ids=["r2", "missing"], columns=["sentiment"])
    assert list(result.columns) == ["review_id", "sentiment"]
    assert result.to_dict("records") == [{"review_id": "r2", "sentiment": 1}]


def test_a_split_as_of_a_moment_is_the_split_a_reader_saw_then_whatever_landed_later(store):
    store.ingest(GROUP, frame(review("a", T1), review("c", T1, body="c old")), ingested_at=T1)
    store.ingest(
        GROUP, frame(review("c", T2, body="c new"), review("d", T2), review("a", T2, split_type="test")), ingested_at=T2
    )
    columns = ["review_body", "label_id"]

    seen_at_t1 = store.split(GROUP, "train", columns=columns, as_of=T1)
    now = store.split(GROUP, "train", columns=columns)

    assert bodies(seen_at_t1) == {"a": "fine", "c": "c old"}
    assert bodies(now) == {"c": "c new", "d": "fine"}  # a moved to test, c changed, d landed


def test_split_reads_the_latest_rows_of_one_split(store):
    store.ingest(
        GROUP,
        frame(
            review("a", T1, split_type="train"),
            review("b", T1, split_type="test"),
            review("c", T1, split_type="train", body="c old"),
        ),
        ingested_at=T1,
    )
    store.ingest(GROUP, frame(review("c", T2, split_type="train", body="c new")), ingested_at=T2)
    train = store.split(GROUP, "train", columns=["review_body", "input_ids", "label_id"])
    assert bodies(train) == {"a": "fine", "c": "c new"}
    assert list(train.columns) == ["review_id", "review_body", "input_ids", "label_id"]
    assert list(store.split(GROUP, "test")["review_id"]) == ["b"]
    assert store.split(GROUP, "validation").empty


class RecordedReads:
    """A warehouse that notes the columns and filter of every read."""

    def __init__(self, warehouse: DuckDBWarehouse):
        self.inner, self.reads = warehouse, []

    def read_table(self, table, columns=None, *, where=None):
        self.reads.append((columns, where))
        return self.inner.read_table(table, columns, where=where)

    def table_exists(self, table):
        return self.inner.table_exists(table)

    def table_columns(self, table):
        return self.inner.table_columns(table)

    def row_count(self, table):
        return self.inner.row_count(table)

    def append_new_keys(self, table, frame, key):
        return self.inner.append_new_keys(table, frame, key)


def test_a_split_or_a_set_of_records_reads_token_ids_only_of_those_rows(tmp_path):
    warehouse = RecordedReads(DuckDBWarehouse(path=str(tmp_path / "features.duckdb")))
    store = OfflineFeatureStore(warehouse)
    store.ingest(GROUP, frame(review("a", T1), review("b", T1, split_type="test")), ingested_at=T1)
    warehouse.reads.clear()
    assert list(store.split(GROUP, "test", columns=["input_ids"])["review_id"]) == ["b"]
    assert list(store.latest(GROUP, record_ids=["a"], columns=["input_ids"])["review_id"]) == ["a"]
    wide = [where for columns, where in warehouse.reads if columns is None or "input_ids" in columns]
    assert wide == [{"split_type": "test"}, {"review_id": ["a"]}]


def test_a_frame_missing_a_group_column_is_rejected_naming_group_and_column(local_store):
    with pytest.raises(FeatureStoreError, match=r"reviews v2.*missing columns \['input_ids'\]"):
        local_store.ingest(GROUP, frame(review("r1", T1)).drop(columns="input_ids"))


def test_a_null_record_id_or_event_time_is_rejected(local_store):
    with pytest.raises(FeatureStoreError, match=r"reviews v2: 1 rows have a null review_id \(first at row 1\)"):
        local_store.ingest(GROUP, frame(review("r1", T1), review(None, T1)))
    with pytest.raises(FeatureStoreError, match="null date"):
        local_store.ingest(GROUP, frame(review("r1", None)))
    with pytest.raises(FeatureStoreError, match="event time date is not a timestamp"):
        local_store.ingest(GROUP, frame(review("r1", "last tuesday")))


def test_one_write_may_not_hold_a_record_twice_at_the_same_event_time(local_store):
    with pytest.raises(FeatureStoreError, match="repeat a .*'r1'"):
        local_store.ingest(GROUP, frame(review("r1", T1, body="x"), review("r1", T1, body="y")))


def test_reading_a_group_never_ingested_names_the_missing_table(store):
    with pytest.raises(FeatureStoreError, match="no offline table fg_reviews_v2"):
        store.latest(GROUP)


def test_online_store_serves_the_latest_row_per_record(history):
    online = OnlineFeatureStore.load(history, GROUP)
    r1 = online.get("r1")
    assert r1 is not None
    assert r1["review_body"] == "v3" and r1["sentiment"] == 1 and r1["input_ids"] == [101, 2307, 102]
    assert r1["date"] == T3
    assert online.get("nobody") is None
    assert [r and r["review_body"] for r in online.get_many(["r2", "nobody", "r1"])] == ["r2 v1", None, "v3"]
    assert len(online) == 2 and "r2" in online


def test_online_store_sees_new_ingestion_only_after_refresh(store):
    store.ingest(GROUP, frame(review("r1", T1, body="old", input_ids=[1, 2])), ingested_at=T1)
    online = OnlineFeatureStore.load(store, GROUP)
    store.ingest(GROUP, frame(review("r1", T2, body="new", input_ids=[3, 4, 5]), review("r2", T2)), ingested_at=T2)
    before = online.get("r1")
    assert before is not None and before["review_body"] == "old" and online.get("r2") is None
    assert online.refresh() == 2
    r1, r2 = online.get("r1"), online.get("r2")
    assert r1 is not None and r1["input_ids"] == [3, 4, 5]
    assert r2 is not None and r2["review_body"] == "fine"


def test_online_store_must_be_refreshed_before_use(local_store):
    with pytest.raises(RuntimeError, match="call refresh"):
        OnlineFeatureStore(local_store, GROUP).get("r1")
