"""Runs of slices of the pipeline on top of conftest.py's end-to-end run (pipeline_run.py): the
feature store and the bias report again, a human label reaching the training data, the promotion
gate and a person's approval. Each changes the warehouse or the registry, so this module runs
after test_pipeline_end_to_end.py (pytest runs files in name order), and its tests in this order."""

import dagster as dg
import pytest
from mlflow import MlflowClient
from pipeline_run import query

from sentiment_assets.definitions import ALL_ASSETS


def test_rerunning_the_feature_store_on_unchanged_features_appends_nothing(end_to_end_run):
    home, resources, _ = end_to_end_run
    [(before,)] = query(home, "SELECT count(*) FROM fg_reviews_v2")
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("feature_store") in asset.keys]
    metadata = (
        dg.materialize(selection, resources=resources).get_asset_materialization_events()[0].materialization.metadata
    )
    lookup_ms = metadata["online_lookup_ms"].value
    assert isinstance(lookup_ms, dict) and isinstance(lookup_ms["p99"], int | float), lookup_ms
    assert metadata["records_appended"].value == 0 and lookup_ms["p99"] < 5.0
    assert query(home, "SELECT count(*) FROM fg_reviews_v2") == [(before,)]


def test_bias_report_takes_a_continuous_facet_by_threshold(end_to_end_run):
    home, resources, _ = end_to_end_run
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("bias_report") in asset.keys]
    result = dg.materialize(
        selection,
        resources=resources,
        run_config={"ops": {"bias_report": {"config": {"facet": "age", "threshold": 40, "bootstrap_resamples": 100}}}},
    )
    assert result.success
    values = query(home, "SELECT DISTINCT value_or_threshold FROM bias_report WHERE stage = 'before_balancing'")
    assert len(values) == 1 and values[0][0].startswith("(40")


def test_a_label_recorded_in_the_review_queue_reaches_the_next_training_data(end_to_end_run):
    from sentiment_assets.scoring.review_commands import main as review_cli

    home, resources, _ = end_to_end_run
    [(review_id, predicted)] = query(
        home, "SELECT review_id, predicted_label FROM review_queue ORDER BY probability LIMIT 1"
    )
    label = {-1: "positive", 0: "negative", 1: "neutral"}[predicted]  # anything but what the model said
    assert (
        review_cli(
            ["--db", str(home / "warehouse.duckdb"), "label", review_id, "--label", label, "--reviewer", "alice"]
        )
        == 0
    )
    selection = [
        a
        for a in ALL_ASSETS
        if a.keys & {dg.AssetKey("human_labels"), dg.AssetKey("training_reviews"), dg.AssetKey("balanced_reviews")}
    ]
    result = dg.materialize(
        selection, resources=resources, selection=["human_labels", "training_reviews", "balanced_reviews"]
    )
    assert result.success
    expected = {"positive": 1, "negative": -1, "neutral": 0}[label]
    assert query(
        home, f"SELECT sentiment, label_source, labelled_by FROM training_reviews WHERE review_id = '{review_id}'"
    ) == [(expected, "human", "alice")]
    assert query(home, f"SELECT sentiment FROM balanced_reviews WHERE review_id = '{review_id}'") == [(expected,)]


def test_a_model_below_the_gate_is_registered_but_does_not_become_champion(end_to_end_run):
    home, resources, _ = end_to_end_run
    tracking = resources["mlflow_tracking"]
    client = MlflowClient(tracking_uri=tracking.tracking_uri, registry_uri=tracking.tracking_uri)
    before = client.get_model_version_by_alias(tracking.registered_model_name, "champion").version
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("registered_model") in asset.keys]
    result = dg.materialize(
        selection, resources=resources, run_config={"ops": {"registered_model": {"config": {"min_accuracy": 1.01}}}}
    )
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    reason, version = metadata["promotion_reason"].value, metadata["version"].value
    assert isinstance(reason, str) and isinstance(version, int), (reason, version)
    assert metadata["promoted"].value is False and "below min_accuracy" in reason
    assert version == int(before) + 1
    assert client.get_model_version_by_alias(tracking.registered_model_name, "champion").version == before


def test_a_version_waiting_for_approval_becomes_champion_only_when_a_person_approves_it(end_to_end_run, monkeypatch):
    from sentiment_assets.defs.deploy_manage.approval_job import model_approval_job
    from sentiment_assets.registry.approval import APPROVAL_TAG, PENDING, pending_versions
    from sentiment_assets.registry.approval_commands import main as approve_cli

    home, resources, _ = end_to_end_run
    monkeypatch.setenv("SENTIMENT_HOME", str(home))  # the CLI finds the store through the profile
    tracking = resources["mlflow_tracking"]
    client = MlflowClient(tracking_uri=tracking.tracking_uri, registry_uri=tracking.tracking_uri)
    champion_before = client.get_model_version_by_alias(tracking.registered_model_name, "champion").version
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("registered_model") in asset.keys]
    result = dg.materialize(
        selection, resources=resources, run_config={"ops": {"registered_model": {"config": {"auto_approve": False}}}}
    )
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    waiting, reason = metadata["version"].value, metadata["promotion_reason"].value
    assert isinstance(waiting, int), waiting
    assert client.get_model_version(tracking.registered_model_name, str(waiting)).tags[APPROVAL_TAG] == PENDING, reason
    assert client.get_model_version_by_alias(tracking.registered_model_name, "champion").version == champion_before
    assert [int(v["version"]) for v in pending_versions(client, tracking.registered_model_name)][0] == waiting

    approval = model_approval_job.execute_in_process(
        resources={"mlflow_tracking": tracking},
        run_config={
            "ops": {"record_model_approval": {"config": {"version": waiting, "approve": True, "reason": "looked fine"}}}
        },
    )
    assert approval.success
    assert int(client.get_model_version_by_alias(tracking.registered_model_name, "champion").version) == waiting
    with pytest.raises(ValueError, match="current 'champion'"):
        approve_cli(["reject", str(waiting)])  # would leave nothing to serve
