import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sentiment_assets.scoring import review_commands as review
from sentiment_assets.scoring.review_queue import (
    ReviewQueueError,
    enqueue_low_confidence,
    human_labels,
    items_by_status,
    list_items,
    record_label,
    refresh_human_labels,
    skip_item,
)

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


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "CREATE TABLE raw_reviews AS SELECT *, review_body AS review_body_normalised FROM REVIEWS"
        ).fetchall()
        conn.execute("CREATE TABLE batch_predictions AS SELECT * FROM VERSION_1").fetchall()
    return path


@pytest.fixture
def conn(db_path):
    with duckdb.connect(str(db_path)) as connection:
        yield connection


def add_predictions(conn, frame):
    conn.execute("INSERT INTO batch_predictions BY NAME SELECT * FROM frame").fetchall()


def test_enqueue_takes_exactly_the_predictions_below_the_threshold_with_their_text(conn):
    assert enqueue_low_confidence(conn, threshold=0.9) == 3
    queued = list_items(conn, limit=100).set_index("review_id")
    assert set(queued.index) == {"r2", "r3", "r4"}
    assert queued.loc["r4", "review_body"] == "Returned it, or kept it?"
    assert queued.loc["r4", "source_partition"] == "2024-02"
    assert bool((queued["status"] == "pending").all()) and bool(queued["human_label"].isna().all())


def test_enqueue_is_idempotent_and_never_resets_a_decided_item(conn):
    enqueue_low_confidence(conn)
    record_label(conn, "r2", "positive", "alice")
    assert enqueue_low_confidence(conn) == 0
    assert conn.execute("SELECT count(*) FROM review_queue").fetchone()[0] == 3
    assert conn.execute("SELECT status FROM review_queue WHERE review_id = 'r2'").fetchone()[0] == "labelled"


def test_a_higher_threshold_later_adds_only_the_new_items(conn):
    assert enqueue_low_confidence(conn, threshold=0.5) == 1
    assert enqueue_low_confidence(conn, threshold=0.96) == 4
    assert conn.execute("SELECT count(*) FROM review_queue").fetchone()[0] == 5


def test_enqueue_can_be_limited_to_a_model_version_and_a_partition(conn):
    add_predictions(conn, predictions(2, {"r4": 0.60, "r1": 0.70}))
    assert enqueue_low_confidence(conn, model_version=2, partition="2024-02") == 1
    assert list_items(conn)[["review_id", "model_version"]].values.tolist() == [["r4", 2]]


def test_enqueue_explains_what_is_missing(tmp_path):
    with (
        duckdb.connect(str(tmp_path / "empty.duckdb")) as empty,
        pytest.raises(ReviewQueueError, match="batch_predictions and raw_reviews"),
    ):
        enqueue_low_confidence(empty)
    with duckdb.connect() as memory, pytest.raises(ReviewQueueError, match="threshold"):
        enqueue_low_confidence(memory, threshold=1.5)


def test_list_shows_the_least_confident_first_filtered_by_status(conn):
    enqueue_low_confidence(conn)
    assert list_items(conn)["review_id"].tolist() == ["r4", "r2", "r3"]
    assert list_items(conn, limit=2)["review_id"].tolist() == ["r4", "r2"]
    skip_item(conn, "r4", "alice", note="unclear")
    assert list_items(conn)["review_id"].tolist() == ["r2", "r3"]
    assert list_items(conn, status="skipped")["review_id"].tolist() == ["r4"]
    assert len(list_items(conn, status=None)) == 3
    with pytest.raises(ReviewQueueError, match="status must be one of"):
        list_items(conn, status="done")


def test_a_label_records_who_decided_when_and_why(conn):
    enqueue_low_confidence(conn)
    item = record_label(conn, "r2", "Positive", " alice ", note="fits oddly is about size, not quality")
    assert item["status"] == "labelled" and item["human_label"] == 1
    assert item["reviewer"] == "alice" and item["note"].startswith("fits oddly")
    labelled_at, queued_at = pd.Timestamp(item["labelled_at"]), pd.Timestamp(item["queued_at"])
    assert isinstance(labelled_at, pd.Timestamp) and isinstance(queued_at, pd.Timestamp)  # neither is NaT
    assert labelled_at >= queued_at
    assert record_label(conn, "r3", -1, "bob")["human_label"] == -1
    assert record_label(conn, "r4", "0", "bob")["human_label"] == 0


def test_items_by_status_counts_the_queue_per_status(conn):
    assert items_by_status(conn) == {}
    enqueue_low_confidence(conn, threshold=0.9)
    record_label(conn, "r2", "positive", "alice")
    skip_item(conn, "r3", "bob")

    assert items_by_status(conn) == {"labelled": 1, "pending": 1, "skipped": 1}


@pytest.mark.parametrize("label", ["great", 2, "", True])
def test_a_label_outside_negative_neutral_positive_is_refused(conn, label):
    enqueue_low_confidence(conn)
    with pytest.raises(ReviewQueueError, match="label must be"):
        record_label(conn, "r2", label, "alice")
    assert list_items(conn, status="labelled").empty


def test_a_label_needs_a_reviewer(conn):
    enqueue_low_confidence(conn)
    with pytest.raises(ReviewQueueError, match="reviewer"):
        record_label(conn, "r2", "positive", "  ")


def test_an_unknown_review_id_is_named_in_the_error(conn):
    enqueue_low_confidence(conn)
    with pytest.raises(ReviewQueueError, match="'r1' is not in the review queue"):
        record_label(conn, "r1", "positive", "alice")
    with pytest.raises(ReviewQueueError, match="'r2' is not in the review queue for model version 7"):
        record_label(conn, "r2", "positive", "alice", model_version=7)


def test_a_review_queued_for_two_versions_needs_the_version_named(conn):
    add_predictions(conn, predictions(2, {"r4": 0.60}))
    enqueue_low_confidence(conn)
    with pytest.raises(ReviewQueueError, match="model versions 1, 2"):
        record_label(conn, "r4", "negative", "alice")
    assert record_label(conn, "r4", "negative", "alice", model_version=2)["model_version"] == 2


def test_human_labels_have_the_training_shape_and_the_latest_label_wins(conn):
    add_predictions(conn, predictions(2, {"r4": 0.60}))
    enqueue_low_confidence(conn)
    record_label(conn, "r2", "neutral", "alice")
    record_label(conn, "r2", "positive", "alice", note="second look")  # relabel overwrites
    record_label(conn, "r4", "positive", "alice", model_version=1)
    record_label(conn, "r4", "negative", "bob", model_version=2)  # later, for the newer model
    skip_item(conn, "r3", "bob")

    labels = human_labels(conn)
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


def test_the_human_labels_table_follows_every_decision(conn):
    assert refresh_human_labels(conn) == 0  # exists, empty, for dbt to find
    enqueue_low_confidence(conn)
    record_label(conn, "r3", "neutral", "alice")
    assert conn.execute("SELECT review_id, sentiment FROM human_labels").fetchall() == [("r3", 0)]
    skip_item(conn, "r3", "alice", note="actually unreadable")
    assert conn.execute("SELECT count(*) FROM human_labels").fetchone()[0] == 0
    assert conn.execute("SELECT human_label FROM review_queue WHERE review_id = 'r3'").fetchone()[0] is None


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
