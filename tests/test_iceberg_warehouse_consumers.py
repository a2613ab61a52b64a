"""The code that reads and writes through the warehouse (partition scoring, the feature store,
the review queue) runs unchanged on the aws profile's warehouse: Iceberg tables in the Glue
catalog, against moto's server on loopback."""

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")


def reviews(partition: str, n: int, start: int = 0) -> pd.DataFrame:
    """Reviews as raw_reviews holds them for scoring: with the normalised text beside the text as read."""
    texts = [f"text {partition} {i}" for i in range(start, start + n)]
    return pd.DataFrame(
        {
            "review_id": [f"{partition}-{i}" for i in range(start, start + n)],
            "review_body": texts,
            "review_body_normalised": texts,
            "source_partition": partition,
        }
    )


def test_score_partition_puts_each_partitions_predictions_in_an_iceberg_partition_of_its_own(iceberg_warehouse):
    warehouse = iceberg_warehouse
    from sentiment_assets.scoring.batch import score_partition

    warehouse.write_table("raw_reviews", pd.concat([reviews("p1", 5), reviews("p2", 3)]))

    def predict_proba(frame: pd.DataFrame) -> np.ndarray:
        return np.tile([0.1, 0.2, 0.7], (len(frame), 1))

    def score(partition: str):
        return score_partition(
            warehouse,
            partition_key=partition,
            predict_proba=predict_proba,
            model_name="review-sentiment",
            model_version=1,
            chunk_size=2,
        )

    assert score("p1").scored_now == 5 and score("p2").scored_now == 3
    store = warehouse.table_store()
    for partition in ("p1", "p2"):
        files = store.data_files_read("batch_predictions", {"source_partition": partition})
        assert files and all(f"/source_partition={partition}/" in path for path in files)
    predictions = warehouse.read_table("batch_predictions")
    assert predictions.groupby("source_partition")["review_id"].nunique().to_dict() == {"p1": 5, "p2": 3}
    assert set(predictions["predicted_label"]) == {1} and set(predictions["model_version"]) == {1}
    # A re-run finds everything scored.
    again = score("p1")
    assert (again.already_scored, again.scored_now) == (5, 0)


def test_the_feature_store_and_the_review_queue_run_on_the_iceberg_warehouse(iceberg_warehouse):
    warehouse = iceberg_warehouse
    from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP as group
    from sentiment_assets.features.store import OfflineFeatureStore
    from sentiment_assets.scoring.batch import score_partition
    from sentiment_assets.scoring.review_queue import enqueue_low_confidence, record_label, refresh_human_labels

    offline = OfflineFeatureStore(warehouse)
    offline.create_group(group)
    features = pd.DataFrame(
        {
            "review_id": ["r1", "r2"],
            "date": ["2024-01-01", "2024-01-02"],
            "sentiment": [1, -1],
            "label_id": [2, 0],
            "input_ids": [[101, 5, 102], [101, 102]],
            "review_body": ["good", "bad"],
            "split_type": ["train", "test"],
        }
    )
    assert offline.ingest(group, features) == 2
    assert offline.ingest(group, features.assign(date=["2024-02-01", "2024-02-02"], sentiment=[0, 0])) == 2
    assert offline.row_count(group) == 4
    latest = offline.latest(group)
    assert latest["sentiment"].tolist() == [0, 0] and str(latest["date"].dtype).startswith("datetime64")
    assert offline.split(group, "train", columns=["input_ids"])["input_ids"].map(list).tolist() == [[101, 5, 102]]

    warehouse.write_table("raw_reviews", reviews("p1", 3))
    score_partition(
        warehouse,
        partition_key="p1",
        predict_proba=lambda frame: np.tile([0.3, 0.3, 0.4], (len(frame), 1)),
        model_name="review-sentiment",
        model_version=1,
    )
    assert enqueue_low_confidence(warehouse, threshold=0.9, partition="p1") == 3
    assert enqueue_low_confidence(warehouse, threshold=0.9, partition="p1") == 0  # the queue came back from the table
    record_label(warehouse, "p1-1", "positive", reviewer="ann")
    assert refresh_human_labels(warehouse) == 1
    assert warehouse.read_table("human_labels")[["review_id", "sentiment", "reviewer"]].values.tolist() == [
        ["p1-1", 1, "ann"]
    ]
