"""Materialize every asset in-process on a small synthetic sample and check what each one left."""

import json

import dagster as dg
import duckdb
import optuna
import pytest
from mlflow import MlflowClient

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.definitions import ALL_ASSETS
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions

SAMPLE_ROWS = 1500
RUN_CONFIG = {
    "ops": {
        "raw_reviews": {"config": {"synthetic_rows": SAMPLE_ROWS}},
        "finetuned_minilm": {
            "config": {"max_train_samples": 64, "max_seq_length": 32, "batch_size": 16, "checkpoint_every_steps": 2}
        },
        "candidate_models": {"config": {"time_budget_s": {"minilm_embeddings_linear": 120.0}}},
        "tuned_model": {"config": {"n_trials": 3, "transformer_n_trials": 1}},
    }
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    home = tmp_path_factory.mktemp("sentiment_home")
    resources = resources_for(Profile.LOCAL, home=home)
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, [BUNDLED_PARTITION])
    result = dg.materialize(
        ALL_ASSETS, resources=resources, run_config=RUN_CONFIG, instance=instance, partition_key=BUNDLED_PARTITION
    )
    assert result.success
    return home, resources, result


def query(home, sql):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# The 1,500-row sample leaves fewer than 30 test reviews of a sentiment: the split-size warning is right.
WARNING_CHECKS = {
    "pretraining_bias_within_limits",
    "posttraining_bias_within_limits",
    "evaluation_splits_have_enough_reviews_per_class",
}
DEBUGGER_RULES = {"loss_not_decreasing", "overfitting", "vanishing_gradients", "exploding_gradients"}
DRIFT_CHECKS = {"review_length_psi", "review_length_ks", "category_mix_psi", "oov_rate", "prediction_class_psi"}
FAMILIES = {"tfidf_logreg", "tfidf_linear_svm", "tfidf_gbm", "minilm_embeddings_linear", "minilm_finetuned"}


def test_every_asset_materializes_and_every_error_check_passes(pipeline):
    _, _, result = pipeline
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {a.to_user_string() for asset in ALL_ASSETS for a in asset.keys}
    evaluations = result.get_asset_check_evaluations()
    failed_errors = [
        (c.asset_key.to_user_string(), c.check_name)
        for c in evaluations
        if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed_errors == []
    assert {c.check_name for c in evaluations if not c.passed} <= WARNING_CHECKS | DEBUGGER_RULES | DRIFT_CHECKS
    # The synthetic data carries a planted category bias: the warning check must find it.
    pretraining = next(c for c in evaluations if c.check_name == "pretraining_bias_within_limits")
    assert not pretraining.passed and pretraining.severity == dg.AssetCheckSeverity.WARN
    assert any(b["metric"] == "DPL" for b in pretraining.metadata["breaches"].value)


def test_no_review_is_lost_between_raw_cleaned_and_excluded(pipeline):
    home, _, _ = pipeline
    [(raw, rejected, cleaned, excluded)] = query(
        home,
        "SELECT (SELECT count(*) FROM raw_reviews), (SELECT count(*) FROM rejected_reviews), "
        "(SELECT count(*) FROM cleaned_reviews), (SELECT count(*) FROM excluded_reviews)",
    )
    assert raw + rejected == SAMPLE_ROWS
    assert cleaned + excluded == raw and excluded > 0


def test_training_data_is_balanced_and_the_feature_store_holds_integer_token_lists(pipeline):
    home, _, _ = pipeline
    per_class = query(home, "SELECT sentiment, count(*) FROM balanced_reviews GROUP BY 1")
    assert len(per_class) == 3 and len({n for _, n in per_class}) == 1
    [(rows, id_type, splits)] = query(
        home, "SELECT count(*), any_value(typeof(input_ids)), count(DISTINCT split_type) FROM fg_reviews_v2"
    )
    assert rows == 3 * per_class[0][1] and id_type == "INTEGER[]" and splits == 3
    [(longest, max_len)] = query(home, "SELECT max(len(input_ids)), 256 FROM review_features")
    assert 128 < longest <= max_len  # max_seq_length comes from the longest review in tokens: 256 here


def test_rerunning_the_feature_store_on_unchanged_features_appends_nothing(pipeline):
    home, resources, _ = pipeline
    [(before,)] = query(home, "SELECT count(*) FROM fg_reviews_v2")
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("feature_store") in asset.keys]
    metadata = (
        dg.materialize(selection, resources=resources).get_asset_materialization_events()[0].materialization.metadata
    )
    assert metadata["records_appended"].value == 0 and metadata["online_lookup_ms"].value["p99"] < 5.0
    assert query(home, "SELECT count(*) FROM fg_reviews_v2") == [(before,)]


def test_bias_report_shows_zero_dpl_after_category_sentiment_balancing(pipeline):
    home, _, _ = pipeline
    [(max_dpl_after, max_dpl_before, stages)] = query(
        home,
        "SELECT max(abs(DPL)) FILTER (stage = 'balanced_by_facet_and_sentiment'), "
        "max(abs(DPL)) FILTER (stage = 'before_balancing'), count(DISTINCT stage) FROM bias_report",
    )
    assert max_dpl_after == pytest.approx(0.0) and max_dpl_before > 0.05 and stages == 3
    analysis = json.loads((home / "artifacts" / "bias" / "analysis_before_balancing.json").read_text())
    facet = analysis["pre_training_bias_metrics"]["facets"]["product_category"]
    assert {m["name"] for m in facet[0]["metrics"]} >= {"CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"}


def test_bias_report_takes_a_continuous_facet_by_threshold(pipeline):
    home, resources, _ = pipeline
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("bias_report") in asset.keys]
    result = dg.materialize(
        selection,
        resources=resources,
        run_config={"ops": {"bias_report": {"config": {"facet": "age", "threshold": 40, "bootstrap_resamples": 100}}}},
    )
    assert result.success
    values = query(home, "SELECT DISTINCT value_or_threshold FROM bias_report WHERE stage = 'before_balancing'")
    assert len(values) == 1 and values[0][0].startswith("(40")


def test_post_training_bias_report_scores_the_champion_on_the_test_split(pipeline):
    home, _, result = pipeline
    metadata = next(
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("post_training_bias_report")
    )
    [(rows, metrics_present)] = query(
        home, "SELECT count(*), bool_and(DPPL IS NOT NULL OR n_d = 0) FROM post_training_bias_report"
    )
    assert rows > 0 and metrics_present
    assert 0.0 <= metadata["demographic_parity_difference"].value <= 1.0
    analysis = json.loads((home / "artifacts" / "bias" / "analysis_post_training.json").read_text())
    names = {m["name"] for m in analysis["post_training_bias_metrics"]["facets"]["product_category"][0]["metrics"]}
    assert names >= {"DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "TE"}


def test_the_leaderboard_ranks_five_families_each_an_mlflow_run_with_a_logged_model(pipeline):
    home, resources, _ = pipeline
    leaderboard = query(
        home,
        "SELECT family, run_id, val_macro_f1, train_seconds, inference_reviews_per_s, rank "
        "FROM model_leaderboard ORDER BY rank",
    )
    assert {row[0] for row in leaderboard} == FAMILIES
    assert [row[5] for row in leaderboard] == [1, 2, 3, 4, 5]
    assert [row[2] for row in leaderboard] == sorted((row[2] for row in leaderboard), reverse=True)
    assert all(row[3] > 0 and row[4] > 0 for row in leaderboard)
    client = MlflowClient(tracking_uri=resources["mlflow_tracking"].tracking_uri)
    for family, run_id, *_ in leaderboard:
        run = client.get_run(run_id)
        assert run.data.params["family"] == family
        assert client.search_logged_models(
            experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id = '{run_id}'"
        )
    svm_run = next(run_id for family, run_id, *_ in leaderboard if family == "tfidf_linear_svm")
    assert "mlflow.parentRunId" in client.get_run(svm_run).data.tags


def test_fine_tuning_runs_through_pipes_with_debugger_checks_a_profile_and_per_step_metrics(pipeline):
    home, resources, result = pipeline
    metadata = next(
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("finetuned_minilm")
    )
    steps = metadata["steps"].value
    assert steps == 4  # 64 samples, batch 16, one epoch
    assert 0.0 <= metadata["profile_data_share"].value <= 1.0 and metadata["profile_samples_per_second"].value > 0
    assert "data:image/png;base64," in metadata["training_curves"].value
    rules = {
        c.check_name for c in result.get_asset_check_evaluations() if c.asset_key == dg.AssetKey("finetuned_minilm")
    }
    assert rules == DEBUGGER_RULES
    card = json.loads((home / "artifacts" / "models" / "finetuned_minilm.json").read_text())
    client = MlflowClient(tracking_uri=resources["mlflow_tracking"].tracking_uri)
    assert [m.step for m in client.get_metric_history(card["run_id"], "loss")] == [1, 2, 3, 4]
    assert not any(
        (home / "artifacts" / "checkpoints" / "finetuned_minilm").glob("*/checkpoint-*")
    )  # removed after success


def test_tuning_keeps_an_optuna_study_and_logs_each_trial_as_a_nested_run(pipeline):
    home, resources, _ = pipeline
    card = json.loads((home / "artifacts" / "models" / "tuned_model.json").read_text())
    study = optuna.load_study(study_name=card["study"]["name"], storage=card["study"]["storage"])
    expected_trials = 1 if card["family"] == "minilm_finetuned" else 3
    assert len(study.trials) == expected_trials
    client = MlflowClient(tracking_uri=resources["mlflow_tracking"].tracking_uri)
    children = client.search_runs(
        [client.get_run(card["run_id"]).info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{card['run_id']}'",
    )
    assert len(children) == expected_trials


def test_the_evaluated_model_is_registered_as_champion_and_scores_every_accepted_review(pipeline):
    home, resources, _ = pipeline
    tracking = resources["mlflow_tracking"]
    client = MlflowClient(tracking_uri=tracking.tracking_uri, registry_uri=tracking.tracking_uri)
    champion = client.get_model_version_by_alias(tracking.registered_model_name, "champion")
    evaluation = json.loads((home / "artifacts" / "evaluation" / "evaluation.json").read_text())
    assert float(champion.tags["test_accuracy"]) == pytest.approx(evaluation["accuracy"], abs=1e-6)
    assert sum(map(sum, evaluation["confusion_matrix"])) == evaluation["n_reviews"] > 0
    [(scored, distinct, cleaned, versions, bad_probability)] = query(
        home,
        """
        SELECT count(*), count(DISTINCT review_id), (SELECT count(*) FROM raw_reviews),
               list(DISTINCT model_version),
               count(*) FILTER (probability < 1/3 OR probability > 1 OR predicted_label NOT IN (-1, 0, 1))
        FROM batch_predictions""",
    )
    # Every accepted review, also those of the small categories training leaves out.
    assert scored == distinct == cleaned
    assert versions == [int(champion.version)] and bad_probability == 0


def test_batch_predictions_check_drift_per_partition_and_queue_the_unsure_ones(pipeline):
    home, _, result = pipeline
    drift = {c.check_name: c for c in result.get_asset_check_evaluations() if c.check_name in DRIFT_CHECKS}
    assert set(drift) == DRIFT_CHECKS and all(c.severity == dg.AssetCheckSeverity.WARN for c in drift.values())
    # The partition is the training data itself: its inputs cannot have drifted.
    assert all(drift[name].passed for name in ("review_length_psi", "review_length_ks", "category_mix_psi", "oov_rate"))
    [(queued, unsure)] = query(
        home,
        "SELECT (SELECT count(*) FROM review_queue), (SELECT count(*) FROM batch_predictions WHERE probability < 0.90)",
    )
    assert queued == unsure > 0


def test_a_label_recorded_in_the_review_queue_reaches_the_next_training_data(pipeline):
    from sentiment_assets.scoring.review_commands import main as review_cli

    home, resources, _ = pipeline
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


def test_a_model_below_the_gate_is_registered_but_does_not_become_champion(pipeline):
    home, resources, _ = pipeline
    tracking = resources["mlflow_tracking"]
    client = MlflowClient(tracking_uri=tracking.tracking_uri, registry_uri=tracking.tracking_uri)
    before = client.get_model_version_by_alias(tracking.registered_model_name, "champion").version
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("registered_model") in asset.keys]
    result = dg.materialize(
        selection, resources=resources, run_config={"ops": {"registered_model": {"config": {"min_accuracy": 1.01}}}}
    )
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["promoted"].value is False and "below min_accuracy" in metadata["promotion_reason"].value
    assert int(metadata["version"].value) == int(before) + 1
    assert client.get_model_version_by_alias(tracking.registered_model_name, "champion").version == before


def test_dbt_models_report_column_lineage_and_the_profile_shows_its_plots(pipeline):
    _, _, result = pipeline
    metadata = {
        e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    staged_from = metadata["stg_reviews"]["dagster/column_lineage"].value.deps_by_column["review_body"]
    # The models read the normalised text, falling back to the text as read for older rows.
    assert {(d.asset_key, d.column_name) for d in staged_from} == {
        (dg.AssetKey("raw_reviews"), "review_body_normalised"),
        (dg.AssetKey("raw_reviews"), "review_body"),
    }
    cleaned_from = metadata["cleaned_reviews"]["dagster/column_lineage"].value.deps_by_column["sentiment"]
    assert [(d.asset_key, d.column_name) for d in cleaned_from] == [(dg.AssetKey("stg_reviews"), "sentiment")]
    raw_columns = {c.name: c.description for c in metadata["raw_reviews"]["dagster/column_schema"].value.columns}
    assert (
        raw_columns["review_id"] and raw_columns["source_partition"] and "bias facet" in raw_columns["product_category"]
    )
    assert "train" in raw_columns["source_role"] and "as models read it" in raw_columns["review_body_normalised"]
    profile = metadata["review_profile"]
    for plot in ("plot_words_per_review", "plot_sentiment_by_category", "plot_star_ratings"):
        assert profile[plot].value.startswith("**") and "data:image/png;base64," in profile[plot].value
    assert profile["words_limit"].value == 128


def test_dbt_docs_generate_works_offline_against_the_built_warehouse(pipeline):
    import os
    import subprocess
    import sys
    from pathlib import Path

    home, _, _ = pipeline
    project = Path(__file__).resolve().parents[1] / "dbt_project"
    env = {
        **os.environ,
        "SENTIMENT_DUCKDB_PATH": str(home / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    target = home / "dbt_docs"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "docs",
            "generate",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    catalog = json.loads((target / "catalog.json").read_text())
    assert "model.sentiment_reviews.training_reviews" in catalog["nodes"]
    assert (target / "index.html").exists()


def test_a_version_waiting_for_approval_becomes_champion_only_when_a_person_approves_it(pipeline, monkeypatch):
    from sentiment_assets.defs.deploy_manage.approval_job import model_approval_job
    from sentiment_assets.registry.approval import APPROVAL_TAG, PENDING, pending_versions
    from sentiment_assets.registry.approval_commands import main as approve_cli

    home, resources, _ = pipeline
    monkeypatch.setenv("SENTIMENT_HOME", str(home))  # the CLI finds the store through the profile
    tracking = resources["mlflow_tracking"]
    client = MlflowClient(tracking_uri=tracking.tracking_uri, registry_uri=tracking.tracking_uri)
    champion_before = client.get_model_version_by_alias(tracking.registered_model_name, "champion").version
    selection = [asset for asset in ALL_ASSETS if dg.AssetKey("registered_model") in asset.keys]
    result = dg.materialize(
        selection, resources=resources, run_config={"ops": {"registered_model": {"config": {"auto_approve": False}}}}
    )
    waiting = int(result.get_asset_materialization_events()[0].materialization.metadata["version"].value)
    reason = result.get_asset_materialization_events()[0].materialization.metadata["promotion_reason"].value
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
