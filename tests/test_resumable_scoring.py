"""Partition scoring that survives being stopped: in-process interruptions and a real SIGKILL."""

import signal
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from labelled_reviews import labelled_reviews

from resources.warehouse import DuckDBWarehouse
from sentiment_assets.models.families import load_model, save_model
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.scoring.batch import score_partition

REPO_ROOT = Path(__file__).resolve().parents[1]
PREDICTION_COLUMNS = [
    "review_id",
    "predicted_label",
    "probability",
    "probability_negative",
    "probability_neutral",
    "probability_positive",
]


class Stop(Exception):
    """Raised from on_chunk to stop a run part-way, as a crash would."""


@pytest.fixture(scope="module")
def texts() -> pd.DataFrame:
    return labelled_reviews(1200, seed=7)


@pytest.fixture(scope="module")
def model(texts) -> TfidfLogisticRegression:
    model = TfidfLogisticRegression(TfidfConfig(max_ngram=1, max_features=20_000))
    model.fit(texts)
    return model


def write_reviews(db: Path, texts: pd.DataFrame, partitions: dict[str, int]) -> None:
    """raw_reviews with `n` reviews per partition; texts are reused, review ids are not."""
    frames = []
    for key, n in partitions.items():
        rows = texts["review_body"].to_numpy()[np.arange(n) % len(texts)]
        frames.append(
            pd.DataFrame(
                {"review_id": [f"{key}-{i:06d}" for i in range(n)], "review_body": rows, "source_partition": key}
            )
        )
    reviews = pd.concat(frames, ignore_index=True)
    with closing(duckdb.connect(str(db))) as connection:
        connection.register("reviews", reviews)
        connection.execute(
            "CREATE TABLE raw_reviews AS SELECT *, review_body AS review_body_normalised FROM reviews"
        ).fetchall()


def predictions(db: Path, where: str = "true") -> pd.DataFrame:
    with closing(duckdb.connect(str(db))) as connection:
        return connection.execute(
            f"SELECT * FROM batch_predictions WHERE {where} ORDER BY review_id, model_version"
        ).df()


def score(db: Path, model, partition: str = "a", version: int = 1, **kwargs):
    return score_partition(
        DuckDBWarehouse(path=str(db)),
        partition_key=partition,
        predict_proba=model.predict_proba,
        model_name="review-sentiment",
        model_version=version,
        **kwargs,
    )


def stop_after(chunks: int):
    seen = []

    def on_chunk(done: int, total: int) -> None:
        seen.append((done, total))
        if len(seen) == chunks:
            raise Stop

    return on_chunk


def test_a_run_stopped_part_way_then_rerun_scores_each_review_once_as_one_run_would(tmp_path, texts, model):
    resumed, one_shot = tmp_path / "resumed.duckdb", tmp_path / "one_shot.duckdb"
    for db in (resumed, one_shot):
        write_reviews(db, texts, {"a": 1000})

    with pytest.raises(Stop):
        score(resumed, model, chunk_size=150, on_chunk=stop_after(2))
    assert len(predictions(resumed)) == 300
    progress = []
    summary = score(resumed, model, chunk_size=150, on_chunk=lambda done, total: progress.append((done, total)))
    score(one_shot, model, chunk_size=1000)

    assert (summary.total_reviews, summary.already_scored, summary.scored_now) == (1000, 300, 700)
    assert summary.complete and summary.reviews_per_second > 0
    assert progress[0] == (450, 1000) and progress[-1] == (1000, 1000)
    got, expected = predictions(resumed), predictions(one_shot)
    assert got["review_id"].is_unique and len(got) == 1000
    pd.testing.assert_frame_equal(got[PREDICTION_COLUMNS], expected[PREDICTION_COLUMNS])


def test_rerunning_a_fully_scored_partition_adds_nothing(tmp_path, texts, model):
    db = tmp_path / "w.duckdb"
    write_reviews(db, texts, {"a": 300})
    score(db, model)
    first = predictions(db)

    again = score(db, model)

    assert (again.already_scored, again.scored_now) == (300, 0)
    pd.testing.assert_frame_equal(predictions(db), first)


def test_a_second_model_version_adds_its_own_rows_and_leaves_the_first_versions_alone(tmp_path, texts, model):
    db = tmp_path / "w.duckdb"
    write_reviews(db, texts, {"a": 400})
    score(db, model, version=1)
    version_1 = predictions(db, "model_version = 1")
    other_model = TfidfLogisticRegression(TfidfConfig(C=0.05, max_ngram=1)).fit(texts)

    summary = score(db, other_model, version=2, chunk_size=128)

    assert (summary.already_scored, summary.scored_now) == (0, 400)
    pd.testing.assert_frame_equal(predictions(db, "model_version = 1"), version_1)
    version_2 = predictions(db, "model_version = 2")
    assert version_2["review_id"].tolist() == version_1["review_id"].tolist()
    assert not np.allclose(version_2["probability"], version_1["probability"])


def test_scoring_one_partition_leaves_the_other_partitions_untouched(tmp_path, texts, model):
    db = tmp_path / "w.duckdb"
    write_reviews(db, texts, {"a": 200, "b": 300, "c": 100})
    score(db, model, partition="b")
    b_rows = predictions(db)

    summary = score(db, model, partition="a")

    assert set(b_rows["source_partition"]) == {"b"} and len(b_rows) == 300
    pd.testing.assert_frame_equal(predictions(db, "source_partition = 'b'"), b_rows)
    assert summary.total_reviews == 200 and len(predictions(db, "source_partition = 'a'")) == 200
    assert predictions(db, "source_partition = 'c'").empty


def run_entry_point(db: Path, model_dir: Path, chunk_size: int) -> subprocess.Popen[str]:
    command = [
        str(Path(sys.executable).parent / "sentiment-assets"),
        "score",
        "--db",
        str(db),
        "--model-dir",
        str(model_dir),
        "--partition",
        "a",
        "--model-name",
        "review-sentiment",
        "--model-version",
        "1",
        "--chunk-size",
        str(chunk_size),
    ]
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_a_process_killed_mid_partition_keeps_whole_chunks_and_a_rerun_completes_it_exactly(tmp_path, texts, model):
    n, chunk = 8_000, 250
    killed, uninterrupted = tmp_path / "killed.duckdb", tmp_path / "uninterrupted.duckdb"
    for db in (killed, uninterrupted):
        write_reviews(db, texts, {"a": n, "b": 50})
    model_dir = save_model(model, tmp_path / "model")

    process = run_entry_point(killed, model_dir, chunk)
    assert process.stdout is not None
    reported = 0
    # Kill as soon as two chunks are reported committed: some, but far from all, are in.
    for line in process.stdout:
        if line.startswith("scored "):
            reported = int(line.split()[1].split("/")[0])
            if reported >= 2 * chunk:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"

    after_kill = predictions(killed)
    assert reported <= len(after_kill) < n and len(after_kill) % chunk == 0
    # Whole chunks in review_id order: exactly the first len(after_kill) ids, nothing else.
    assert after_kill["review_id"].tolist() == [f"a-{i:06d}" for i in range(len(after_kill))]

    rerun = run_entry_point(killed, model_dir, chunk)
    output = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, output[-2000:]
    score(uninterrupted, load_model(model_dir), chunk_size=4096)

    got, expected = predictions(killed), predictions(uninterrupted)
    assert len(got) == n and got["review_id"].is_unique
    assert got["review_id"].tolist() == [f"a-{i:06d}" for i in range(n)]
    pd.testing.assert_frame_equal(got[PREDICTION_COLUMNS], expected[PREDICTION_COLUMNS])
    assert f"already_scored={len(after_kill)}" in output


def test_a_predictions_table_without_partitions_is_refused_rather_than_mixed_into(tmp_path, texts, model):
    db = tmp_path / "w.duckdb"
    write_reviews(db, texts, {"a": 10})
    with closing(duckdb.connect(str(db))) as connection:
        connection.execute("CREATE TABLE batch_predictions (review_id VARCHAR, model_version INTEGER)").fetchall()

    with pytest.raises(ValueError, match="without source_partition"):
        score(db, model)
