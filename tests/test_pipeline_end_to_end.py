"""Materialize every asset in-process on a small synthetic sample and check what each one left.

The run is conftest.py's session-scoped `end_to_end_run` (pipeline_run.py), which
test_pipeline_follow_up_runs.py then runs slices of again: these checks read the run as it
left things, so this module comes first (pytest runs files in name order)."""

import json

import dagster as dg
import optuna
import pytest
from mlflow import MlflowClient
from pipeline_run import SAMPLE_ROWS, query

from sentiment_assets.definitions import ALL_ASSETS

# The 1,500-row sample leaves fewer than 30 test reviews of a sentiment: the split-size warning is right.
WARNING_CHECKS = {
    "pretraining_bias_within_limits",
    "posttraining_bias_within_limits",
    "evaluation_splits_have_enough_reviews_per_class",
}
DEBUGGER_RULES = {"loss_not_decreasing", "overfitting", "vanishing_gradients", "exploding_gradients"}
DRIFT_CHECKS = {"review_length_psi", "review_length_ks", "category_mix_psi", "oov_rate", "prediction_class_psi"}
FAMILIES = {"tfidf_logreg", "tfidf_linear_svm", "tfidf_gbm", "minilm_embeddings_linear", "minilm_finetuned"}


def test_every_asset_materializes_and_every_error_check_passes(end_to_end_run):
    _, _, result = end_to_end_run
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


def test_no_review_is_lost_between_raw_cleaned_and_excluded(end_to_end_run):
    home, _, _ = end_to_end_run
    [(raw, rejected, cleaned, excluded)] = query(
        home,
        "SELECT (SELECT count(*) FROM raw_reviews), (SELECT count(*) FROM rejected_reviews), "
        "(SELECT count(*) FROM cleaned_reviews), (SELECT count(*) FROM excluded_reviews)",
    )
    assert raw + rejected == SAMPLE_ROWS
    assert cleaned + excluded == raw and excluded > 0


def test_training_data_is_balanced_and_the_feature_store_holds_integer_token_lists(end_to_end_run):
    home, _, _ = end_to_end_run
    per_class = query(home, "SELECT sentiment, count(*) FROM balanced_reviews GROUP BY 1")
    assert len(per_class) == 3 and len({n for _, n in per_class}) == 1
    [(rows, id_type, splits)] = query(
        home, "SELECT count(*), any_value(typeof(input_ids)), count(DISTINCT split_type) FROM fg_reviews_v2"
    )
    assert rows == 3 * per_class[0][1] and id_type == "INTEGER[]" and splits == 3
    [(longest, max_len)] = query(home, "SELECT max(len(input_ids)), 256 FROM review_features")
    assert 128 < longest <= max_len  # max_seq_length comes from the longest review in tokens: 256 here


def test_bias_report_shows_zero_dpl_after_category_sentiment_balancing(end_to_end_run):
    home, _, _ = end_to_end_run
    [(max_dpl_after, max_dpl_before, stages)] = query(
        home,
        "SELECT max(abs(DPL)) FILTER (stage = 'balanced_by_facet_and_sentiment'), "
        "max(abs(DPL)) FILTER (stage = 'before_balancing'), count(DISTINCT stage) FROM bias_report",
    )
    assert max_dpl_after == pytest.approx(0.0) and max_dpl_before > 0.05 and stages == 3
    analysis = json.loads((home / "artifacts" / "bias" / "analysis_before_balancing.json").read_text())
    facet = analysis["pre_training_bias_metrics"]["facets"]["product_category"]
    assert {m["name"] for m in facet[0]["metrics"]} >= {"CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"}


def test_post_training_bias_report_scores_the_champion_on_the_test_split(end_to_end_run):
    home, _, result = end_to_end_run
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


def test_the_leaderboard_ranks_five_families_each_an_mlflow_run_with_a_logged_model(end_to_end_run):
    home, resources, _ = end_to_end_run
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


def test_fine_tuning_runs_through_pipes_with_debugger_checks_a_profile_and_per_step_metrics(end_to_end_run):
    home, resources, result = end_to_end_run
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


def test_tuning_keeps_an_optuna_study_and_logs_each_trial_as_a_nested_run(end_to_end_run):
    home, resources, _ = end_to_end_run
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


def test_the_evaluated_model_is_registered_as_champion_and_scores_every_accepted_review(end_to_end_run):
    home, resources, _ = end_to_end_run
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
               count(*) FILTER (
                   probability < 0 OR probability > 1 OR predicted_label NOT IN (-1, 0, 1)
                   -- the probability given is the calibrated probability of the label given, which
                   -- is the model's own balanced decision and so may be a rare class under 1/3
                   OR probability != CASE predicted_label WHEN -1 THEN probability_negative
                                      WHEN 0 THEN probability_neutral ELSE probability_positive END
                   OR abs(probability_negative + probability_neutral + probability_positive - 1) > 1e-6)
        FROM batch_predictions""",
    )
    # Every accepted review, also those of the small categories training leaves out.
    assert scored == distinct == cleaned
    assert versions == [int(champion.version)] and bad_probability == 0


def test_batch_predictions_check_drift_per_partition_and_queue_the_unsure_ones(end_to_end_run):
    home, _, result = end_to_end_run
    drift = {c.check_name: c for c in result.get_asset_check_evaluations() if c.check_name in DRIFT_CHECKS}
    assert set(drift) == DRIFT_CHECKS and all(c.severity == dg.AssetCheckSeverity.WARN for c in drift.values())
    # The partition is the training data itself: its inputs cannot have drifted.
    assert all(drift[name].passed for name in ("review_length_psi", "review_length_ks", "category_mix_psi", "oov_rate"))
    [(queued, unsure)] = query(
        home,
        "SELECT (SELECT count(*) FROM review_queue), (SELECT count(*) FROM batch_predictions WHERE probability < 0.90)",
    )
    assert queued == unsure > 0


def test_dbt_models_report_column_lineage_and_the_profile_shows_its_plots(end_to_end_run):
    _, _, result = end_to_end_run
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


def test_dbt_docs_generate_works_offline_against_the_built_warehouse(end_to_end_run):
    import os
    import subprocess
    import sys
    from pathlib import Path

    home, _, _ = end_to_end_run
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
