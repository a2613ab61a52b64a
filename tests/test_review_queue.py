import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from resources.warehouse import DuckDBWarehouse
from sentiment_assets.scoring import review_commands as review
from sentiment_assets.scoring.review_queue import (
    QUEUE_SCHEMA,
    ReviewQueueError,
    checked_items,
    enqueue_low_confidence,
    human_labels,
    items_by_status,
    list_items,
    record_label,
    refresh_human_labels,
    skip_item,
)

# pyiceberg warns when an overwrite's filter matches no rows: a table written for the first time.
pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")

REPO_ROOT = Path(__file__).resolve().parents[1]

REVIEWS = pd.DataFrame(
    {
        "review_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "review_body": ["Love it", "Fits oddly but nice", "Meh", "Returned it, or kept it?", "Fine", "Great"],
        "product_category": ["Dresses", "Tops", "Tops", "Pants", "Dresses", "Tops"],
        "sentiment": [1, 1, 0, -1, 0, 1],
        "label_id": [2, 2, 1, 0, 1, 2],
        "source_partition": ["2024-01", "2024-01", "2024-01", "2024-02", "2024-02", "2024-02"],
    }
)

PARTITIONS = dict(zip(REVIEWS["review_id"], REVIEWS["source_partition"], strict=False))


def predictions(version, probabilities, labels=None):
    ids = list(probabilities)
    labels = labels or {review_id: 1 for review_id in ids}
    return pd.DataFrame(
        {
            "review_id": ids,
            "source_partition": [PARTITIONS[i] for i in ids],
            "predicted_label": [labels[i] for i in ids],
            "probability": [probabilities[i] for i in ids],
            "model_name": "review-sentiment",
            "model_version": version,
            "scored_at": pd.Timestamp("2024-03-01"),
        }
    )


# Below 0.9: r2, r3, r4. Exactly 0.90 (r5) is confident enough.
VERSION_1 = predictions(
    1,
    {"r1": 0.95, "r2": 0.55, "r3": 0.89, "r4": 0.40, "r5": 0.90, "r6": 0.99},
    {"r1": 1, "r2": 0, "r3": 0, "r4": 1, "r5": 0, "r6": 1},
)


# The table as the local profile used to create it, with constraints: files made then must keep working.
OLD_QUEUE_DDL = """
    CREATE TABLE review_queue (
        review_id VARCHAR NOT NULL,
        review_body VARCHAR,
        predicted_label INTEGER,
        probability DOUBLE,
        model_name VARCHAR,
        model_version INTEGER NOT NULL,
        source_partition VARCHAR,
        queued_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('pending', 'labelled', 'skipped')),
        human_label INTEGER CHECK (human_label IN (-1, 0, 1)),
        reviewer VARCHAR,
        labelled_at TIMESTAMP,
        note VARCHAR,
        PRIMARY KEY (review_id, model_version)
    )
"""


def raw_reviews() -> pd.DataFrame:
    return REVIEWS.assign(review_body_normalised=REVIEWS["review_body"])


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.register("reviews", raw_reviews())
        conn.execute("CREATE TABLE raw_reviews AS SELECT * FROM reviews").fetchall()
        conn.execute("CREATE TABLE batch_predictions AS SELECT * FROM VERSION_1").fetchall()
    return path


@pytest.fixture
def warehouse(any_warehouse):
    """The local DuckDB file, then the aws profile's Iceberg tables, with the reviews and the
    first model's predictions."""
    any_warehouse.write_table("raw_reviews", raw_reviews())
    any_warehouse.write_table("batch_predictions", VERSION_1)
    return any_warehouse


def add_predictions(warehouse, frame):
    warehouse.append_new_keys("batch_predictions", frame, key=["review_id", "model_version"])


def queue_rows(warehouse) -> int:
    return warehouse.row_count("review_queue")


def status_of(warehouse, review_id):
    [status] = warehouse.read_table("review_queue", ["status"], where={"review_id": review_id})["status"]
    return status


def test_enqueue_takes_exactly_the_predictions_below_the_threshold_with_their_text(warehouse):
    assert enqueue_low_confidence(warehouse, threshold=0.9) == 3
    queued = list_items(warehouse, limit=100).set_index("review_id")
    assert set(queued.index) == {"r2", "r3", "r4"}
    assert queued.loc["r4", "review_body"] == "Returned it, or kept it?"
    assert queued.loc["r4", "source_partition"] == "2024-02"
    assert bool((queued["status"] == "pending").all()) and bool(queued["human_label"].isna().all())


def test_enqueue_reads_the_normalised_text_and_else_the_raw_text_trimmed(any_warehouse):
    any_warehouse.write_table(
        "raw_reviews",
        raw_reviews().assign(
            review_body=["  Love it  ", "  Fits oddly  ", "Meh", "x", "Fine", "Great"],
            review_body_normalised=[None, "Fits oddly (normalised)", "Meh", "x", "Fine", "Great"],
        ),
    )
    any_warehouse.write_table("batch_predictions", predictions(1, {"r1": 0.5, "r2": 0.5}))
    enqueue_low_confidence(any_warehouse)
    texts = list_items(any_warehouse).set_index("review_id")["review_body"].to_dict()
    assert texts == {"r1": "Love it", "r2": "Fits oddly (normalised)"}


def test_enqueue_is_idempotent_and_never_resets_a_decided_item(warehouse):
    enqueue_low_confidence(warehouse)
    record_label(warehouse, "r2", "positive", "alice")
    assert enqueue_low_confidence(warehouse) == 0
    assert queue_rows(warehouse) == 3
    assert status_of(warehouse, "r2") == "labelled"


def test_a_higher_threshold_later_adds_only_the_new_items(warehouse):
    assert enqueue_low_confidence(warehouse, threshold=0.5) == 1
    assert enqueue_low_confidence(warehouse, threshold=0.96) == 4
    assert queue_rows(warehouse) == 5


def test_a_review_scored_twice_by_one_version_is_queued_once_with_the_latest_scoring(any_warehouse):
    any_warehouse.write_table("raw_reviews", raw_reviews())
    first = predictions(1, {"r2": 0.55})
    again = first.assign(probability=0.45, scored_at=pd.Timestamp("2024-03-02"))
    any_warehouse.write_table("batch_predictions", pd.concat([first, again], ignore_index=True))
    assert enqueue_low_confidence(any_warehouse) == 1
    assert list_items(any_warehouse)["probability"].tolist() == [pytest.approx(0.45)]


def test_enqueue_can_be_limited_to_a_model_version_and_a_partition(warehouse):
    add_predictions(warehouse, predictions(2, {"r4": 0.60, "r1": 0.70}))
    assert enqueue_low_confidence(warehouse, model_version=2, partition="2024-02") == 1
    assert list_items(warehouse)[["review_id", "model_version"]].values.tolist() == [["r4", 2]]


def test_enqueue_explains_what_is_missing(any_warehouse):
    with pytest.raises(ReviewQueueError, match="batch_predictions and raw_reviews"):
        enqueue_low_confidence(any_warehouse)
    with pytest.raises(ReviewQueueError, match="threshold"):
        enqueue_low_confidence(any_warehouse, threshold=1.5)


def test_reading_a_warehouse_without_a_queue_finds_it_empty_and_creates_nothing(any_warehouse):
    assert items_by_status(any_warehouse) == {}
    assert list_items(any_warehouse, status=None).empty
    assert human_labels(any_warehouse).empty
    assert not any_warehouse.table_exists("review_queue")


def test_list_shows_the_least_confident_first_filtered_by_status(warehouse):
    enqueue_low_confidence(warehouse)
    assert list_items(warehouse)["review_id"].tolist() == ["r4", "r2", "r3"]
    assert list_items(warehouse, limit=2)["review_id"].tolist() == ["r4", "r2"]
    skip_item(warehouse, "r4", "alice", note="unclear")
    assert list_items(warehouse)["review_id"].tolist() == ["r2", "r3"]
    assert list_items(warehouse, status="skipped")["review_id"].tolist() == ["r4"]
    assert len(list_items(warehouse, status=None)) == 3
    with pytest.raises(ReviewQueueError, match="status must be one of"):
        list_items(warehouse, status="done")


def test_a_label_records_who_decided_when_and_why(warehouse):
    enqueue_low_confidence(warehouse)
    item = record_label(warehouse, "r2", "Positive", " alice ", note="fits oddly is about size, not quality")
    assert item["status"] == "labelled" and item["human_label"] == 1
    assert item["reviewer"] == "alice" and item["note"].startswith("fits oddly")
    labelled_at, queued_at = pd.Timestamp(item["labelled_at"]), pd.Timestamp(item["queued_at"])
    assert isinstance(labelled_at, pd.Timestamp) and isinstance(queued_at, pd.Timestamp)  # neither is NaT
    assert labelled_at >= queued_at
    assert record_label(warehouse, "r3", -1, "bob")["human_label"] == -1
    assert record_label(warehouse, "r4", "0", "bob")["human_label"] == 0


def test_items_by_status_counts_the_queue_per_status(warehouse):
    assert items_by_status(warehouse) == {}
    enqueue_low_confidence(warehouse, threshold=0.9)
    record_label(warehouse, "r2", "positive", "alice")
    skip_item(warehouse, "r3", "bob")

    assert items_by_status(warehouse) == {"labelled": 1, "pending": 1, "skipped": 1}


@pytest.mark.parametrize("label", ["great", 2, "", True])
def test_a_label_outside_negative_neutral_positive_is_refused(warehouse, label):
    enqueue_low_confidence(warehouse)
    with pytest.raises(ReviewQueueError, match="label must be"):
        record_label(warehouse, "r2", label, "alice")
    assert list_items(warehouse, status="labelled").empty


def test_a_queue_row_with_an_unknown_status_or_label_or_no_key_is_refused_before_any_write(warehouse):
    enqueue_low_confidence(warehouse)
    item = list_items(warehouse, limit=1)
    with pytest.raises(ReviewQueueError, match="status must be one of pending, labelled, skipped; review_id 'r4'"):
        checked_items(item.assign(status="done"))
    with pytest.raises(ReviewQueueError, match="human_label must be -1, 0, 1 or empty; review_id 'r4' has 2"):
        checked_items(item.assign(status="labelled", human_label=2))
    with pytest.raises(ReviewQueueError, match="needs a model_version"):
        checked_items(item.assign(model_version=None))
    assert checked_items(item.assign(status="labelled", human_label=-1)).num_rows == 1
    assert status_of(warehouse, "r4") == "pending"


def test_a_label_needs_a_reviewer(warehouse):
    enqueue_low_confidence(warehouse)
    with pytest.raises(ReviewQueueError, match="reviewer"):
        record_label(warehouse, "r2", "positive", "  ")


def test_an_unknown_review_id_is_named_in_the_error(warehouse):
    enqueue_low_confidence(warehouse)
    with pytest.raises(ReviewQueueError, match="'r1' is not in the review queue"):
        record_label(warehouse, "r1", "positive", "alice")
    with pytest.raises(ReviewQueueError, match="'r2' is not in the review queue for model version 7"):
        record_label(warehouse, "r2", "positive", "alice", model_version=7)


def test_a_review_queued_for_two_versions_needs_the_version_named(warehouse):
    add_predictions(warehouse, predictions(2, {"r4": 0.60}))
    enqueue_low_confidence(warehouse)
    with pytest.raises(ReviewQueueError, match="model versions 1, 2"):
        record_label(warehouse, "r4", "negative", "alice")
    assert record_label(warehouse, "r4", "negative", "alice", model_version=2)["model_version"] == 2


def test_human_labels_have_the_training_shape_and_the_latest_label_wins(warehouse):
    add_predictions(warehouse, predictions(2, {"r4": 0.60}))
    enqueue_low_confidence(warehouse)
    record_label(warehouse, "r2", "neutral", "alice")
    record_label(warehouse, "r2", "positive", "alice", note="second look")  # relabel overwrites
    record_label(warehouse, "r4", "positive", "alice", model_version=1)
    record_label(warehouse, "r4", "negative", "bob", model_version=2)  # later, for the newer model
    skip_item(warehouse, "r3", "bob")

    labels = human_labels(warehouse)
    assert labels.columns.tolist()[:6] == [
        "review_id",
        "sentiment",
        "label_id",
        "label_source",
        "reviewer",
        "labelled_at",
    ]
    assert labels[["review_id", "sentiment", "label_id", "reviewer", "model_version"]].values.tolist() == [
        ["r2", 1, 2, "alice", 1],
        ["r4", -1, 0, "bob", 2],
    ]
    assert (labels["label_source"] == "human").all()
    assert labels.set_index("review_id").loc["r4", "model_probability"] == pytest.approx(0.60)


def test_the_human_labels_table_follows_every_decision(warehouse):
    assert refresh_human_labels(warehouse) == 0  # exists, empty, for dbt to find
    assert warehouse.table_columns("human_labels")[:3] == ["review_id", "sentiment", "label_id"]
    enqueue_low_confidence(warehouse)
    record_label(warehouse, "r3", "neutral", "alice")
    assert warehouse.read_table("human_labels", ["review_id", "sentiment"]).values.tolist() == [["r3", 0]]
    skip_item(warehouse, "r3", "alice", note="actually unreadable")
    assert warehouse.row_count("human_labels") == 0
    [label] = warehouse.read_table("review_queue", ["human_label"], where={"review_id": "r3"})["human_label"]
    assert pd.isna(label)


def test_a_queue_table_made_with_the_old_constraints_takes_new_items_and_decisions(db_path):
    with duckdb.connect(str(db_path)) as conn:
        conn.execute(OLD_QUEUE_DDL).fetchall()
    warehouse = DuckDBWarehouse(path=str(db_path))
    assert enqueue_low_confidence(warehouse, threshold=0.9) == 3
    record_label(warehouse, "r2", "positive", "alice")
    record_label(warehouse, "r2", "negative", "alice")  # the same primary key, replaced
    skip_item(warehouse, "r3", "bob")
    assert items_by_status(warehouse) == {"labelled": 1, "pending": 1, "skipped": 1}
    with duckdb.connect(str(db_path)) as conn:
        assert conn.execute(
            "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'review_queue' "
            "AND constraint_type = 'PRIMARY KEY'"
        ).fetchall() == [("PRIMARY KEY",)]
        assert conn.execute("SELECT review_id, sentiment FROM human_labels").fetchall() == [("r2", -1)]


def test_the_queue_works_end_to_end_on_iceberg_tables(iceberg_warehouse):
    warehouse = iceberg_warehouse
    warehouse.write_table("raw_reviews", raw_reviews())
    warehouse.write_table("batch_predictions", VERSION_1)

    assert enqueue_low_confidence(warehouse, threshold=0.9, partition="2024-01") == 2
    assert enqueue_low_confidence(warehouse, threshold=0.9) == 1  # r4, of 2024-02; r2 and r3 stay
    assert list_items(warehouse)["review_id"].tolist() == ["r4", "r2", "r3"]
    assert record_label(warehouse, "r4", "negative", "alice", note="returned")["status"] == "labelled"
    assert skip_item(warehouse, "r3", "bob", note="unclear")["status"] == "skipped"
    assert list_items(warehouse)["review_id"].tolist() == ["r2"]
    assert items_by_status(warehouse) == {"labelled": 1, "pending": 1, "skipped": 1}

    stored = warehouse.read_table("human_labels")
    assert stored[["review_id", "sentiment", "label_id", "label_source", "reviewer", "note"]].values.tolist() == [
        ["r4", -1, 0, "human", "alice", "returned"]
    ]
    assert human_labels(warehouse)[["review_id", "sentiment"]].values.tolist() == [["r4", -1]]
    assert warehouse.table_columns("review_queue") == list(QUEUE_SCHEMA.names)


def review_cli(*args):
    return subprocess.run(
        [str(Path(sys.executable).parent / "sentiment-assets"), "review", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def test_the_cli_queues_lists_and_labels_into_the_human_labels_table(db_path):
    db = ["--db", str(db_path)]
    enqueued = review_cli(*db, "enqueue", "--threshold", "0.9")
    assert enqueued.returncode == 0, enqueued.stderr
    assert "queued 3" in enqueued.stdout

    listed = review_cli(*db, "list", "--limit", "2")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert "review_id" in lines[0] and lines[1].split()[0] == "r4" and lines[2].split()[0] == "r2"

    labelled = review_cli(*db, "label", "r4", "--label", "negative", "--reviewer", "alice", "--note", "returned")
    assert labelled.returncode == 0, labelled.stderr
    assert "labelled r4 as negative" in labelled.stdout and "probability 0.400" in labelled.stdout

    with duckdb.connect(str(db_path)) as conn:
        assert conn.execute(
            "SELECT review_id, sentiment, label_id, label_source, reviewer FROM human_labels"
        ).fetchall() == [("r4", -1, 0, "human", "alice")]


# Bad input is checked in-process: each subprocess pays the full import of the resource stack.
def test_the_cli_answers_bad_input_with_exit_code_2_and_the_reason(db_path, capsys):
    db = ["--db", str(db_path)]
    assert review.main([*db, "enqueue"]) == 0
    assert review.main([*db, "label", "r9", "--label", "positive", "--reviewer", "alice"]) == 2
    assert "'r9' is not in the review queue" in capsys.readouterr().err
    assert review.main([*db, "label", "r2", "--label", "great", "--reviewer", "alice"]) == 2
    assert "label must be" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage_error:
        review.main([*db, "label", "r2", "--label", "positive"])  # argparse: --reviewer is required
    assert usage_error.value.code == 2


def test_the_cli_refuses_a_warehouse_that_does_not_exist(tmp_path, capsys):
    assert review.main(["--db", str(tmp_path / "nowhere.duckdb"), "list"]) == 2
    assert "no warehouse at" in capsys.readouterr().err
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_the_cli_lists_labels_and_says_when_there_is_nothing(db_path, capsys):
    db = ["--db", str(db_path)]
    assert review.main([*db, "labels"]) == 0
    assert "no human labels yet" in capsys.readouterr().out
    review.main([*db, "enqueue"])
    review.main([*db, "skip", "r2", "--reviewer", "bob"])
    assert "skipped r2" in capsys.readouterr().out
    assert review.main([*db, "list", "--status", "labelled"]) == 0
    assert "no labelled items" in capsys.readouterr().out


def test_a_target_share_becomes_the_threshold_that_queues_that_share():
    from sentiment_assets.scoring.review_queue import threshold_for_share

    probabilities = np.random.default_rng(0).uniform(0.34, 1.0, 5000)
    for share in (0.05, 0.1, 0.5):
        threshold = threshold_for_share(probabilities, share)
        assert (probabilities < threshold).mean() == pytest.approx(share, abs=0.001)
    assert (probabilities < threshold_for_share(probabilities, 1.0)).all() and threshold_for_share([], 0.1) == 0.0
    with pytest.raises(ReviewQueueError, match="target_share must be in"):
        threshold_for_share(probabilities, 0.0)
