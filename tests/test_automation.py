"""Declarative automation, evaluated the way the automation sensor evaluates it: materializations
in an instance, then ticks of `dg.evaluate_automation_conditions` at chosen times. The conditions
are the only thing that starts assets downstream of raw_reviews (no schedule competes with them)."""

import datetime as dt

import dagster as dg
import pytest

from sentiment_assets.definitions import defs
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions

GRAPH = defs.resolve_asset_graph()
ALL_KEYS = GRAPH.get_all_asset_keys()
DBT_MODELS = {
    "stg_reviews",
    "cleaned_reviews",
    "reviews_by_category",
    "excluded_reviews",
    "training_reviews",
    "holdout_reviews",
}
FOLLOW_A_NEW_FILE = DBT_MODELS | {
    "review_profile",
    "bias_report",
    "balanced_reviews",
    "review_features",
    "feature_store",
}
RETRAINING = {
    "finetuned_minilm",
    "candidate_models",
    "tuned_model",
    "model_evaluation",
    "registered_model",
    "post_training_bias_report",
    "drift_baseline",
}
NIGHT = dt.datetime(2030, 1, 1, 1, 0, tzinfo=dt.UTC)  # 01:00 UTC, an hour before the cron


def materialize(instance: dg.DagsterInstance, asset: str | dg.AssetKey, partition: str | None = None) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, partition=partition))


class Ticks:
    """Successive evaluations of every asset's condition, each at a given time, with the cursor
    carried over as the sensor carries it."""

    def __init__(self, instance: dg.DagsterInstance):
        self.instance, self.cursor = instance, None

    def at(self, when: dt.datetime) -> dict[str, set[str | None]]:
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=self.instance, evaluation_time=when, cursor=self.cursor
        )
        self.cursor = result.cursor
        return {
            key.to_user_string(): set(result.get_requested_partitions(key))
            for key in ALL_KEYS
            if result.get_num_requested(key)
        }


@pytest.fixture()
def pipeline_ran_once():
    """An instance in which every asset was materialized once, for the bundled data, and the
    automation sensor has had its first tick."""
    with dg.instance_for_test() as instance:
        register_partitions(instance, [BUNDLED_PARTITION])
        for key in ALL_KEYS:
            materialize(instance, key, BUNDLED_PARTITION if GRAPH.get(key).partitions_def else None)
        ticks = Ticks(instance)
        assert ticks.at(NIGHT) == {}
        yield instance, ticks


def test_every_asset_has_the_designed_condition_and_no_training_asset_follows_new_data():
    labels = {
        key.to_user_string(): (condition.get_label() if (condition := GRAPH.get(key).automation_condition) else None)
        for key in ALL_KEYS
    }
    assert labels["raw_reviews"] is None and labels["human_labels"] is None
    assert {name for name, label in labels.items() if label == "follow_upstream"} == (
        FOLLOW_A_NEW_FILE
        | {"tuned_model", "model_evaluation", "registered_model", "post_training_bias_report", "review_queue"}
    )
    nightly = {name for name, label in labels.items() if label and label.startswith("nightly_retraining")}
    assert nightly == {"finetuned_minilm", "candidate_models", "drift_baseline"}
    assert labels["batch_predictions"] == "score_landed_files_and_new_champions"


@pytest.mark.parametrize("landed", ["new_file.csv", "score/new_file.csv", "holdout/kept.csv"])
def test_a_landed_file_flows_through_dbt_and_the_features_and_is_scored_but_starts_no_training(
    pipeline_ran_once, landed
):
    instance, ticks = pipeline_ran_once
    register_partitions(instance, [landed])
    assert ticks.at(NIGHT + dt.timedelta(minutes=1)) == {}  # registered, not ingested yet: nothing to do
    materialize(instance, "raw_reviews", landed)
    requested = ticks.at(NIGHT + dt.timedelta(minutes=2))
    # Scoring reads the file's accepted rows, so it needs no dbt rebuild: it starts at once.
    assert set(requested) == FOLLOW_A_NEW_FILE | {"batch_predictions", "review_queue"}
    assert requested["batch_predictions"] == requested["review_queue"] == {landed}
    assert not set(requested) & RETRAINING


def test_once_a_landed_file_is_scored_and_queued_nothing_else_is_requested(pipeline_ran_once):
    instance, ticks = pipeline_ran_once
    register_partitions(instance, ["new_file.csv"])
    materialize(instance, "raw_reviews", "new_file.csv")
    for name, partitions in ticks.at(NIGHT + dt.timedelta(minutes=1)).items():
        for partition in partitions:
            materialize(instance, name, partition)  # the warehouse, features and scoring runs finished
    assert ticks.at(NIGHT + dt.timedelta(minutes=2)) == {}  # no other file is re-scored


def test_training_starts_at_two_in_the_night_only_when_the_features_changed(pipeline_ran_once):
    instance, ticks = pipeline_ran_once
    materialize(instance, "feature_store")  # new data reached the feature store at 01:00
    assert ticks.at(NIGHT + dt.timedelta(minutes=30)) == {}  # 01:30: not yet
    requested = ticks.at(NIGHT + dt.timedelta(hours=1, minutes=1))  # 02:01
    # The drift baseline describes training_reviews, which did not change: it stays.
    assert set(requested) == RETRAINING - {"drift_baseline"}
    for name in requested:
        materialize(instance, name)
    # The next night, with no new data, nothing is retrained.
    after = ticks.at(NIGHT + dt.timedelta(hours=1, minutes=5))
    assert not set(after) & RETRAINING
    assert ticks.at(NIGHT + dt.timedelta(days=1, hours=1, minutes=1)) == {}


def test_the_night_after_a_landed_file_retrains_and_rebaselines_drift(pipeline_ran_once):
    instance, ticks = pipeline_ran_once
    register_partitions(instance, ["new_file.csv"])
    materialize(instance, "raw_reviews", "new_file.csv")
    for name, partitions in ticks.at(NIGHT + dt.timedelta(minutes=1)).items():
        for partition in partitions:
            materialize(instance, name, partition)
    requested = ticks.at(NIGHT + dt.timedelta(hours=1, minutes=1))  # 02:01
    assert set(requested) == RETRAINING  # the file was scored when it landed


def test_a_new_registered_model_rescores_every_ingested_file(pipeline_ran_once):
    instance, ticks = pipeline_ran_once
    register_partitions(instance, ["second.csv", "never_ingested.csv"])
    materialize(instance, "raw_reviews", "second.csv")
    materialize(instance, "cleaned_reviews")
    materialize(instance, "batch_predictions", "second.csv")
    ticks.at(NIGHT + dt.timedelta(minutes=1))
    materialize(instance, "registered_model")
    requested = ticks.at(NIGHT + dt.timedelta(minutes=2))
    assert requested["batch_predictions"] == {BUNDLED_PARTITION, "second.csv"}
    assert "post_training_bias_report" in requested
    assert not set(requested) & {"finetuned_minilm", "candidate_models", "tuned_model"}


def test_a_file_whose_scoring_never_finished_is_scored_again_at_the_top_of_the_hour(pipeline_ran_once):
    instance, ticks = pipeline_ran_once
    register_partitions(instance, ["new_file.csv"])
    materialize(instance, "raw_reviews", "new_file.csv")
    requested = ticks.at(NIGHT + dt.timedelta(minutes=1))
    assert requested["batch_predictions"] == {"new_file.csv"}
    for name, partitions in requested.items():
        for partition in partitions:
            if name != "batch_predictions":  # its run failed: no predictions for the file
                materialize(instance, name, partition)
    assert "batch_predictions" not in ticks.at(NIGHT + dt.timedelta(minutes=30))  # asked once, not every tick
    # 02:01: the hourly catch-up asks again, for that file only (the others are scored).
    assert ticks.at(NIGHT + dt.timedelta(hours=1, minutes=1))["batch_predictions"] == {"new_file.csv"}


def test_no_file_is_scored_before_a_model_is_registered():
    with dg.instance_for_test() as instance:
        register_partitions(instance, ["first.csv"])
        materialize(instance, "raw_reviews", "first.csv")
        materialize(instance, "drift_baseline")
        ticks = Ticks(instance)
        assert "batch_predictions" not in ticks.at(NIGHT)
        assert "batch_predictions" not in ticks.at(NIGHT + dt.timedelta(hours=1, minutes=1))  # nor at the catch-up
        materialize(instance, "registered_model")
        assert ticks.at(NIGHT + dt.timedelta(hours=1, minutes=2))["batch_predictions"] == {"first.csv"}


def test_the_automation_sensor_runs_by_default_locally_and_covers_every_asset():
    sensor = defs.resolve_sensor_def("sentiment_automation")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.asset_selection.resolve(GRAPH) == set(ALL_KEYS)
