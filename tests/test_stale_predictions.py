"""A prediction lasts only as long as the text it was made from: re-ingesting a changed file
re-scores its changed reviews and drops the predictions of reviews it no longer holds."""

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from landed_reviews import clothing_csv, ingest

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions
from sentiment_assets.scoring.batch import score_partition

# --- 3. predictions of the text as it is -------------------------------------------------------


def keyword_model(frame: pd.DataFrame) -> np.ndarray:
    """Negative for "awful", positive otherwise: a model whose answer shows which text it read."""
    awful = frame["review_body"].str.contains("awful", case=False).to_numpy()[:, None]
    return np.where(awful, [0.8, 0.1, 0.1], [0.1, 0.1, 0.8])


def score(warehouse, key: str = "shop.csv", version: int = 1):
    return score_partition(
        warehouse,
        partition_key=key,
        predict_proba=keyword_model,
        model_name="review-sentiment",
        model_version=version,
        chunk_size=2,
    )


def coverage(warehouse, key: str = "shop.csv", version: int = 1):
    from sentiment_assets.scoring.batch import partition_coverage

    return partition_coverage(warehouse, key, version)


def labels(warehouse) -> dict[str, int]:
    rows = warehouse.query("SELECT review_id, predicted_label FROM batch_predictions ORDER BY review_id")
    return dict(zip(rows["review_id"], rows["predicted_label"].astype(int), strict=False))


@pytest.fixture()
def reingested(tmp_path):
    """shop.csv ingested and scored, then changed (review 0 now awful, review 2 gone) and re-ingested."""
    source = tmp_path / "shop.csv"
    source.write_text(clothing_csv({0: "Lovely soft knit", 1: "Great fit", 2: "Nice colour"}))
    resources = resources_for(Profile.LOCAL, home=tmp_path / "home")
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, ["shop.csv"])
    assert ingest(resources, instance, "shop.csv", str(source)).success
    warehouse = resources["warehouse"]
    assert score(warehouse).scored_now == 3 and labels(warehouse) == {"0": 1, "1": 1, "2": 1}
    source.write_text(clothing_csv({0: "Absolutely awful", 1: "Great fit"}))
    assert ingest(resources, instance, "shop.csv", str(source)).success
    return warehouse


def test_after_a_changed_file_is_re_ingested_the_coverage_check_fails_on_stale_and_orphaned_predictions(reingested):
    found = coverage(reingested)

    assert (found.reviews, found.scored, found.stale, found.orphaned) == (2, 1, 1, 1)
    assert not found.complete


def test_scoring_again_rescoring_the_changed_review_and_dropping_the_removed_one_passes_the_check(reingested):
    summary = score(reingested)

    assert labels(reingested) == {"0": -1, "1": 1}
    assert (summary.removed_outdated, summary.already_scored, summary.scored_now) == (2, 1, 1)
    assert summary.coverage is not None and summary.coverage.complete and coverage(reingested).complete


def test_a_stale_prediction_of_an_older_model_version_is_removed_too(reingested):
    # Version 2 scored the new texts; version 1's row for review 0 still describes the old text.
    score(reingested, version=2)

    rows = reingested.query("SELECT review_id, model_version, predicted_label FROM batch_predictions ORDER BY 1, 2")
    assert rows.values.tolist() == [["0", 2, -1], ["1", 1, 1], ["1", 2, 1]]
    assert coverage(reingested, version=2).complete


def test_predictions_stored_before_text_fingerprints_are_scored_again_once(tmp_path):
    from resources.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"))
    warehouse.write_table(
        "raw_reviews",
        pd.DataFrame(
            {
                "review_id": ["a", "b"],
                "review_body": ["Absolutely awful", "Fine"],
                "review_body_normalised": ["Absolutely awful", "Fine"],
                "source_partition": "shop.csv",
            }
        ),
    )
    # The layout before: no text_sha256, a positive label kept by id.
    with warehouse.connect() as connection:
        connection.execute("""CREATE TABLE batch_predictions (review_id VARCHAR NOT NULL,
            source_partition VARCHAR NOT NULL, predicted_label INTEGER NOT NULL, probability DOUBLE NOT NULL,
            probability_negative DOUBLE NOT NULL, probability_neutral DOUBLE NOT NULL,
            probability_positive DOUBLE NOT NULL, model_name VARCHAR NOT NULL, model_version INTEGER NOT NULL,
            scored_at TIMESTAMP NOT NULL, PRIMARY KEY (review_id, model_version))""").fetchall()
        connection.execute(
            "INSERT INTO batch_predictions VALUES ('a', 'shop.csv', 1, 0.8, 0.1, 0.1, 0.8, 'm', 1, now()),"
            " ('b', 'shop.csv', 1, 0.8, 0.1, 0.1, 0.8, 'm', 1, now())"
        ).fetchall()
    assert not coverage(warehouse).complete

    first, second = score(warehouse), score(warehouse)

    assert (first.removed_outdated, first.scored_now) == (2, 2) and labels(warehouse) == {"a": -1, "b": 1}
    assert (second.removed_outdated, second.scored_now) == (0, 0)
    assert second.coverage is not None and second.coverage.complete
