"""The code that reads and writes through the warehouse (partition scoring, the feature store,
the review queue) runs unchanged on the aws profile's warehouse: Parquet on S3 and the Glue
catalog, against moto's server on loopback."""

import numpy as np
import pandas as pd
from aws_tables import glue, keys, reviews, scorable


def test_score_partition_puts_each_partitions_predictions_in_its_own_s3_object(aws_warehouse):
    from sentiment_assets.scoring.batch import score_partition

    aws_warehouse.write_table("raw_reviews", scorable(pd.concat([reviews("p1", 5), reviews("p2", 3)])))

    def predict_proba(frame: pd.DataFrame) -> np.ndarray:
        return np.tile([0.1, 0.2, 0.7], (len(frame), 1))

    def score(partition: str):
        return score_partition(
            aws_warehouse,
            partition_key=partition,
            predict_proba=predict_proba,
            model_name="review-sentiment",
            model_version=1,
            chunk_size=2,
        )

    assert score("p1").scored_now == 5 and score("p2").scored_now == 3
    assert keys(aws_warehouse, "batch_predictions") == [
        "warehouse/batch_predictions/source_partition=p1/data.parquet",
        "warehouse/batch_predictions/source_partition=p2/data.parquet",
    ]
    predictions = aws_warehouse.read_table("batch_predictions")
    assert predictions.groupby("source_partition")["review_id"].nunique().to_dict() == {"p1": 5, "p2": 3}
    assert set(predictions["predicted_label"]) == {1} and set(predictions["model_version"]) == {1}
    # A re-run finds everything scored.
    again = score("p1")
    assert (again.already_scored, again.scored_now) == (5, 0)


def test_the_feature_store_and_the_review_queue_run_unchanged_through_connect(aws_warehouse):
    from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP as group
    from sentiment_assets.features.store import OfflineFeatureStore
    from sentiment_assets.scoring.batch import score_partition
    from sentiment_assets.scoring.review_queue import enqueue_low_confidence, record_label, refresh_human_labels

    offline = OfflineFeatureStore(aws_warehouse)
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

    aws_warehouse.write_table("raw_reviews", scorable(reviews("p1", 3)))
    score_partition(
        aws_warehouse,
        partition_key="p1",
        predict_proba=lambda frame: np.tile([0.3, 0.3, 0.4], (len(frame), 1)),
        model_name="review-sentiment",
        model_version=1,
    )
    assert enqueue_low_confidence(aws_warehouse, threshold=0.9, partition="p1") == 3
    assert enqueue_low_confidence(aws_warehouse, threshold=0.9, partition="p1") == 0  # the queue came back from S3
    record_label(aws_warehouse, "p1-1", "positive", reviewer="ann")
    assert refresh_human_labels(aws_warehouse) == 1
    assert aws_warehouse.read_table("human_labels")[["review_id", "sentiment", "reviewer"]].values.tolist() == [
        ["p1-1", 1, "ann"]
    ]
