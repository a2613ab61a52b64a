"""The feature store: append-only offline table, point-in-time reads, online lookups."""

from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP as GROUP
from sentiment_assets.features.online_store import OnlineFeatureStore
from sentiment_assets.features.store import OfflineFeatureStore
from sentiment_assets.features.store_schema import FeatureStoreError

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
def store():
    """One in-memory DuckDB connection shared by every operation (a file costs ~0.1 s a write)."""
    connection = duckdb.connect()

    @contextmanager
    def connect():
        yield connection

    yield OfflineFeatureStore(connect)
    connection.close()


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
    with store._connect() as connection:
        types = dict(
            connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fg_reviews_v2'"
            ).fetchall()
        )
    assert types["input_ids"] == "INTEGER[]" and types["date"] == "TIMESTAMP" and types["ingested_at"] == "TIMESTAMP"


def test_reingesting_a_record_appends_a_row_and_keeps_the_old_one(store):
    store.ingest(GROUP, frame(review("r1", T1, body="first")), ingested_at=T1)
    store.ingest(GROUP, frame(review("r1", T1, body="second")), ingested_at=T2)
    assert store.row_count(GROUP) == 2
    with store._connect() as connection:
        kept = connection.execute("SELECT review_body, ingested_at FROM fg_reviews_v2 ORDER BY ingested_at").fetchall()
    assert kept == [("first", T1), ("second", T2)]


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
    with store._connect() as connection:
        connection.execute(
            "CREATE TABLE fg_reviews_v2 AS SELECT 'r1' AS review_id, '2024-01-01T00:00:00Z' AS date, "
            "1 AS sentiment, 2 AS label_id, [1, 2] AS input_ids, 'x' AS review_body, "
            "'train' AS split_type, now()::TIMESTAMP AS ingested_at"
        )
    with pytest.raises(FeatureStoreError, match=r"has \['date'\] as \['VARCHAR'\], not TIMESTAMP"):
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


def test_as_of_rejects_an_unknown_read_mode(history):
    with pytest.raises(FeatureStoreError, match="by must be"):
        history.as_of(GROUP, T3, by="write_time")


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


def test_a_frame_missing_a_group_column_is_rejected_naming_group_and_column(store):
    with pytest.raises(FeatureStoreError, match=r"reviews v2.*missing columns \['input_ids'\]"):
        store.ingest(GROUP, frame(review("r1", T1)).drop(columns="input_ids"))


def test_a_null_record_id_or_event_time_is_rejected(store):
    with pytest.raises(FeatureStoreError, match=r"reviews v2: 1 rows have a null review_id \(first at row 1\)"):
        store.ingest(GROUP, frame(review("r1", T1), review(None, T1)))
    with pytest.raises(FeatureStoreError, match="null date"):
        store.ingest(GROUP, frame(review("r1", None)))
    with pytest.raises(FeatureStoreError, match="event time date is not a timestamp"):
        store.ingest(GROUP, frame(review("r1", "last tuesday")))


def test_one_write_may_not_hold_a_record_twice_at_the_same_event_time(store):
    with pytest.raises(FeatureStoreError, match="repeat a .*'r1'"):
        store.ingest(GROUP, frame(review("r1", T1, body="x"), review("r1", T1, body="y")))


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


def test_online_store_must_be_refreshed_before_use(store):
    with pytest.raises(RuntimeError, match="call refresh"):
        OnlineFeatureStore(store, GROUP).get("r1")
