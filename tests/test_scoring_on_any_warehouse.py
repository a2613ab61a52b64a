"""Partition scoring (scoring/batch.py) through the warehouse contract alone: the same results on
the local DuckDB file and on the aws profile's Iceberg tables (moto's S3 and Glue on loopback),
and on Iceberg a run reads only its own partition's data files."""

import numpy as np
import pandas as pd
import pytest
from pyiceberg.table import DataScan

from sentiment_assets.scoring.batch import partition_coverage, score_partition

pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")


def raw_reviews(partition: str, texts: list[str], first_id: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": [f"{partition}-{first_id + i}" for i in range(len(texts))],
            "review_body": texts,
            "review_body_normalised": texts,
            "product_category": "Tops",
            "source_partition": partition,
        }
    )


def keyword_model(frame: pd.DataFrame) -> np.ndarray:
    """Negative for "awful", positive otherwise: a model whose answer shows which text it read."""
    awful = frame["review_body"].str.contains("awful", case=False).to_numpy()[:, None]
    return np.where(awful, [0.8, 0.1, 0.1], [0.1, 0.1, 0.8])


def score(warehouse, partition: str, version: int = 1, chunk_size: int = 2):
    return score_partition(
        warehouse,
        partition_key=partition,
        predict_proba=keyword_model,
        model_name="review-sentiment",
        model_version=version,
        chunk_size=chunk_size,
    )


def labels(warehouse, partition: str) -> dict[str, int]:
    rows = warehouse.read_table(
        "batch_predictions", ["review_id", "predicted_label"], where={"source_partition": partition}
    )
    return dict(zip(rows["review_id"], rows["predicted_label"].astype(int), strict=True))


def test_scoring_a_partition_scores_each_review_once_and_a_rerun_adds_nothing(any_warehouse):
    any_warehouse.replace_partition(
        "raw_reviews", "source_partition", "p1", raw_reviews("p1", ["Lovely", "Awful seams", "Fine"])
    )
    any_warehouse.replace_partition("raw_reviews", "source_partition", "p2", raw_reviews("p2", ["Great"]))

    first, again = score(any_warehouse, "p1"), score(any_warehouse, "p1")

    assert (first.total_reviews, first.already_scored, first.scored_now) == (3, 0, 3)
    assert (again.already_scored, again.scored_now) == (3, 0)
    assert again.coverage is not None and again.coverage.complete
    assert labels(any_warehouse, "p1") == {"p1-0": 1, "p1-1": -1, "p1-2": 1}
    assert labels(any_warehouse, "p2") == {}  # another partition is not scored along


def test_a_changed_text_is_scored_again_and_a_removed_review_loses_its_prediction(any_warehouse):
    any_warehouse.replace_partition(
        "raw_reviews", "source_partition", "p1", raw_reviews("p1", ["Lovely", "Great", "Nice"])
    )
    score(any_warehouse, "p1")
    any_warehouse.replace_partition(
        "raw_reviews", "source_partition", "p1", raw_reviews("p1", ["Absolutely awful", "Great"])
    )

    found = partition_coverage(any_warehouse, "p1", 1)
    rescored = score(any_warehouse, "p1")

    assert (found.reviews, found.scored, found.stale, found.orphaned) == (2, 1, 1, 1)
    assert (rescored.removed_outdated, rescored.scored_now) == (2, 1)
    assert labels(any_warehouse, "p1") == {"p1-0": -1, "p1-1": 1}
    assert rescored.coverage is not None and rescored.coverage.complete


def test_a_new_model_version_scores_the_partition_again_beside_the_old_versions_rows(any_warehouse):
    any_warehouse.replace_partition("raw_reviews", "source_partition", "p1", raw_reviews("p1", ["Lovely", "Fine"]))
    score(any_warehouse, "p1", version=1)

    second = score(any_warehouse, "p1", version=2)

    stored = any_warehouse.read_table("batch_predictions", ["model_version"], where={"source_partition": "p1"})
    assert second.scored_now == 2 and sorted(stored["model_version"].tolist()) == [1, 1, 2, 2]


def test_scoring_one_partition_on_iceberg_plans_only_that_partitions_data_files(iceberg_warehouse, monkeypatch):
    for partition in ("p1", "p2", "p3"):
        iceberg_warehouse.replace_partition(
            "raw_reviews", "source_partition", partition, raw_reviews(partition, ["Lovely", "Awful", "Fine"])
        )
        score(iceberg_warehouse, partition, chunk_size=2)
    iceberg_warehouse.replace_partition(
        "raw_reviews", "source_partition", "p2", raw_reviews("p2", ["Awful now", "Fine"])
    )
    planned: list[str] = []
    plan_files = DataScan.plan_files

    def recording(scan):
        tasks = list(plan_files(scan))
        planned.extend(task.file.file_path for task in tasks)
        return tasks

    monkeypatch.setattr(DataScan, "plan_files", recording)

    rescored = score(iceberg_warehouse, "p2", version=2, chunk_size=1)

    assert rescored.removed_outdated == 3 and rescored.scored_now == 2
    assert planned and all("/source_partition=p2/" in path for path in planned), planned
    assert labels(iceberg_warehouse, "p1") == {"p1-0": 1, "p1-1": -1, "p1-2": 1}


def test_on_a_duckdb_table_keyed_by_review_and_version_a_review_that_moved_files_is_skipped_not_an_error(tmp_path):
    from resources.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"))
    warehouse.replace_partition("raw_reviews", "source_partition", "p1", raw_reviews("p1", ["Lovely"]))
    with warehouse.connect() as connection:  # the table as scoring created it before the contract
        connection.execute(
            "CREATE TABLE batch_predictions (review_id VARCHAR NOT NULL, source_partition VARCHAR NOT NULL, "
            "predicted_label INTEGER NOT NULL, probability DOUBLE NOT NULL, probability_negative DOUBLE NOT NULL, "
            "probability_neutral DOUBLE NOT NULL, probability_positive DOUBLE NOT NULL, model_name VARCHAR NOT NULL, "
            "model_version INTEGER NOT NULL, scored_at TIMESTAMP NOT NULL, text_sha256 VARCHAR NOT NULL, "
            "PRIMARY KEY (review_id, model_version))"
        ).fetchall()
    score(warehouse, "p1")
    # The review moves to p2's file; p1's prediction of it stays until p1 is scored again.
    warehouse.replace_partition("raw_reviews", "source_partition", "p1", raw_reviews("p1", [])[:0])
    moved = raw_reviews("p2", ["Lovely"]).assign(review_id="p1-0")
    warehouse.replace_partition("raw_reviews", "source_partition", "p2", moved)

    blocked = score(warehouse, "p2")
    score(warehouse, "p1")  # drops p1's orphaned prediction
    unblocked = score(warehouse, "p2")

    assert (blocked.scored_now, blocked.coverage is not None and blocked.coverage.complete) == (0, False)
    assert unblocked.scored_now == 1 and unblocked.coverage is not None and unblocked.coverage.complete
