"""post_training_bias_report on a source without categories: the champion's bias is not
measurable (one facet value), which the report says instead of failing the run."""

import dagster as dg
import duckdb
import mlflow
import pandas as pd
import pytest

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.defs.deploy_manage.post_training_bias_report import WITHIN_LIMITS_CHECK, post_training_bias_report
from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
from sentiment_assets.features.store import OfflineFeatureStore
from sentiment_assets.models.mlflow_model import log_sentiment_model
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.registry.approval import CHAMPION_ALIAS


@pytest.fixture(scope="module")
def champion_and_test_split(tmp_path_factory):
    home = tmp_path_factory.mktemp("post_training_home")
    every = resources_for(Profile.LOCAL, home=home)
    resources = {name: every[name] for name in ("warehouse", "artifacts", "mlflow_tracking")}
    sentiment = [1, 1, 0, -1, 1, -1, 0, 1, -1, 1, 1, 0]
    bodies = ["good fit" if s == 1 else "bad seams" for s in sentiment]
    ids = [f"r{i}" for i in range(len(sentiment))]
    warehouse = resources["warehouse"]
    warehouse.write_table(
        "cleaned_reviews",
        pd.DataFrame(
            {
                "review_id": ids,
                "review_body": bodies,
                "sentiment": sentiment,
                "product_category": ["unknown"] * len(ids),
                "department_name": pd.array([None] * len(ids), dtype="string"),
                "source_partition": ["mine.csv"] * len(ids),
                "source_role": ["train"] * len(ids),
            }
        ),
    )
    OfflineFeatureStore(warehouse).ingest(
        REVIEWS_FEATURE_GROUP,
        pd.DataFrame(
            {
                "review_id": ids,
                "date": pd.Timestamp("2024-05-01"),
                "sentiment": sentiment,
                "label_id": [s + 1 for s in sentiment],
                "input_ids": [[101, 7, 102]] * len(ids),
                "review_body": bodies,
                "split_type": "test",
            }
        ),
    )
    tracking = resources["mlflow_tracking"]
    # A real (tiny) model of a family: the report loads the champion's files, never a pickle.
    says_positive_when_it_sees_good = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(
        pd.DataFrame({"review_body": bodies, "label_id": [s + 1 for s in sentiment]})
    )
    with tracking.activated(), mlflow.start_run():
        mlflow.register_model(
            log_sentiment_model(says_positive_when_it_sees_good).model_uri, tracking.registered_model_name
        )
    client = tracking.client()
    client.set_registered_model_alias(tracking.registered_model_name, CHAMPION_ALIAS, "1")
    return home, resources


def test_a_single_facet_value_reports_post_training_bias_as_not_measurable(champion_and_test_split):
    home, resources = champion_and_test_split
    result = dg.materialize([post_training_bias_report], resources=resources)
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert metadata["test_reviews"] == 12 and metadata["facet_values"] == 1 and metadata["bias_measurable"] is False
    note = metadata["note"]
    assert isinstance(note, str) and "there is no a" in note
    assert "demographic_parity_difference" not in metadata  # a difference between groups needs two groups
    [check] = result.get_asset_check_evaluations()
    check_note = check.metadata["note"].value
    assert isinstance(check_note, str)
    assert check.check_name == WITHIN_LIMITS_CHECK and check.passed and "there is no a" in check_note
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.execute(
            "SELECT value_or_threshold, n_d, n_a, DPPL FROM post_training_bias_report"
        ).fetchall() == [("unknown", 12, 0, None)]
    assert "Not enough facet values" in (home / "artifacts" / "bias" / "post_training_bias_report.md").read_text()


def test_a_post_training_facet_that_is_not_a_column_fails_naming_it(champion_and_test_split):
    _, resources = champion_and_test_split
    with pytest.raises(dg.Failure, match="'colour' is not a column of cleaned_reviews; available columns: review_id"):
        dg.materialize(
            [post_training_bias_report],
            resources=resources,
            run_config={"ops": {"post_training_bias_report": {"config": {"facet": "colour"}}}},
        )
