import subprocess
import sys
from pathlib import Path

import dagster as dg

from sentiment_assets.definitions import code_location, defs, defs_folder

CONTRACT = {
    "ingest_analyze": {"raw_reviews", "review_profile", "bias_report"},
    "prepare_transform": {
        "stg_reviews",
        "cleaned_reviews",
        "reviews_by_category",
        "excluded_reviews",
        "training_reviews",
        "holdout_reviews",
        "balanced_reviews",
        "review_features",
        "feature_store",
    },
    "train_tune": {"finetuned_minilm", "candidate_models", "tuned_model"},
    "deploy_manage": {
        "model_evaluation",
        "registered_model",
        "drift_baseline",
        "batch_predictions",
        "post_training_bias_report",
        "review_queue",
        "human_labels",
    },
}


def test_definitions_load_with_the_four_phase_groups_and_contract_asset_keys():
    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert groups == CONTRACT


def test_lineage_runs_from_raw_reviews_to_batch_predictions_which_score_the_accepted_rows_directly():
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey("batch_predictions")).parent_keys
    # Scoring reads raw_reviews itself: no training-only dbt model stands between a file and its predictions.
    assert dg.AssetKey("registered_model") in upstream and dg.AssetKey("raw_reviews") in upstream
    assert dg.AssetKey("cleaned_reviews") not in upstream
    ancestors = dg.AssetSelection.assets("batch_predictions").upstream().resolve(graph)
    assert dg.AssetKey("raw_reviews") in ancestors and dg.AssetKey("feature_store") in ancestors


def test_dbt_tests_are_asset_checks():
    check_names = {check.name for check in defs.resolve_asset_graph().asset_check_keys}
    assert "unique_cleaned_reviews_review_id" in check_names
    assert "accepted_values_cleaned_reviews_sentiment__False___1__0__1" in check_names


def test_the_hand_run_jobs_are_defined_and_no_schedule_competes_with_the_automation_conditions():
    assert {j.name for j in defs.resolve_all_job_defs()} >= {
        "ingest_analyze_job",
        "prepare_transform_job",
        "train_tune_job",
        "deploy_manage_job",
        "everything_job",
        "ingest_job",
        "retraining_job",
        "scoring_job",
        "model_approval_job",
        "human_review_job",
        "move_finetuned_minilm",
        "relaunch_finetuned_minilm",
    }
    assert not list(defs.schedules or [])  # when assets run is their condition's decision
    assert {s.name for s in defs.sensors or []} == {
        "sentiment_automation",
        "landing_zone_sensor",
        "drift_retraining_sensor",
        "move_relaunch_sensor",
    }


def test_the_code_location_is_the_defs_folder_with_each_definition_collected_once():
    folder = defs_folder()
    jobs = [job.name for job in folder.jobs or []]
    sensors = [sensor.name for sensor in folder.sensors or []]
    assert len(jobs) == len(set(jobs)) and len(sensors) == len(set(sensors)), (jobs, sensors)
    assets = list(folder.assets or [])
    assert all(isinstance(asset, dg.AssetsDefinition) for asset in assets)
    keys = {key for asset in assets if isinstance(asset, dg.AssetsDefinition) for key in asset.keys}
    assert keys == set(defs.resolve_asset_graph().get_all_asset_keys())
    # No resources in the folder: the deployment binds them (and the executor, and the automation sensor).
    assert not folder.resources and folder.executor is None
    assert set(code_location().resources or {}) == set(defs.resources or {}) and defs.executor is not None


def test_loading_the_code_location_imports_no_machine_learning_library():
    heavy = ["torch", "transformers", "mlflow", "sklearn", "scipy", "matplotlib", "optuna", "fairlearn", "dagster_k8s"]
    script = (
        "import sys\n"
        "from sentiment_assets.definitions import code_location\n"
        "code_location().resolve_asset_graph()\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # Each asset imports these inside its body, when it runs: `dg launch` reaches its step sooner.
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_debugger_checks_are_the_debugger_rules_without_importing_torch():
    from sentiment_assets.defs.train_tune.finetuned_minilm import DEBUGGER_CHECKS
    from sentiment_assets.models.debugger import TrainingRecorder
    from sentiment_assets.models.debugger_rules import evaluate_rules

    # The checks the asset declares are the rules the training job evaluates, in its order.
    assert list(DEBUGGER_CHECKS) == [r.name for r in evaluate_rules(TrainingRecorder())]


def test_the_profile_switch_defaults_to_local_and_names_the_allowed_values(monkeypatch):
    import pytest

    from resources.environment import Profile, get_profile

    monkeypatch.delenv("SENTIMENT_PROFILE", raising=False)
    assert get_profile() is Profile.LOCAL
    monkeypatch.setenv("SENTIMENT_PROFILE", "gcp")
    with pytest.raises(ValueError, match="use one of: local, aws"):
        get_profile()


def test_the_aws_profile_switches_every_resource_of_the_local_one(tmp_path):
    from resources.environment import Profile
    from resources.iceberg_warehouse import IcebergWarehouse
    from resources.profiles import resources_for
    from resources.s3_artifacts import S3ArtifactStore
    from resources.training_launcher import K8sTrainingLauncher

    local, aws = resources_for(Profile.LOCAL, home=tmp_path), resources_for(Profile.AWS)

    assert set(aws) == set(local)
    assert isinstance(aws["warehouse"], IcebergWarehouse) and isinstance(aws["artifacts"], S3ArtifactStore)
    assert aws["dbt"].target == "aws"
    launcher = aws["training_launcher"]
    assert isinstance(launcher, K8sTrainingLauncher)  # fine-tuning in a GPU pod
    assert launcher.pod.gpus == 1 and launcher.pod.namespace == "sentiment"


def test_the_local_profile_puts_every_store_under_one_home(tmp_path):
    from resources.environment import Profile
    from resources.profiles import resources_for
    from resources.training_launcher import SubprocessTrainingLauncher

    local = resources_for(Profile.LOCAL, home=tmp_path)
    assert set(local) == {
        "warehouse",
        "artifacts",
        "mlflow_tracking",
        "compute",
        "optuna_storage",
        "dbt",
        "s3",
        "training_launcher",
    }
    assert isinstance(local["training_launcher"], SubprocessTrainingLauncher)  # fine-tuning stays here
    assert local["warehouse"].path == str(tmp_path / "warehouse.duckdb")
    assert local["mlflow_tracking"].tracking_uri == f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    assert local["artifacts"].root == str(tmp_path / "artifacts")
    assert local["dbt"].duckdb_path == local["warehouse"].path  # dbt-duckdb opens the same file


def test_dbt_column_descriptions_reach_the_asset_catalog():
    spec = defs.resolve_asset_graph().get(dg.AssetKey("stg_reviews"))
    columns = {c.name: c.description for c in spec.metadata["dagster/column_schema"].columns}
    assert "rating" in columns["star_rating"] and "hash" in columns["review_id"]


def test_human_labels_feed_the_training_slice_and_fine_tuning_feeds_the_leaderboard():
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey("human_labels") in graph.get(dg.AssetKey("training_reviews")).parent_keys
    assert dg.AssetKey("finetuned_minilm") in graph.get(dg.AssetKey("candidate_models")).parent_keys


def test_debugger_rules_and_drift_statistics_are_asset_checks():
    check_keys = defs.resolve_asset_graph().asset_check_keys
    by_asset = {}
    for key in check_keys:
        by_asset.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
    assert by_asset["finetuned_minilm"] == {
        "loss_not_decreasing",
        "overfitting",
        "vanishing_gradients",
        "exploding_gradients",
    }
    assert by_asset["batch_predictions"] >= {
        "review_length_psi",
        "review_length_ks",
        "category_mix_psi",
        "oov_rate",
        "prediction_class_psi",
        "every_accepted_review_scored_once",
    }


def test_finetuned_minilm_needs_the_deployments_training_launcher_and_no_pipes_client():
    finetune = defs.resolve_assets_def("finetuned_minilm")
    assert "training_launcher" in finetune.required_resource_keys
    assert not finetune.required_resource_keys & {"pipes_subprocess_client", "pipes_k8s_client", "remote_training"}


def test_retraining_job_stops_before_the_partitioned_scoring():
    job = defs.resolve_job_def("retraining_job")
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"finetuned_minilm", "candidate_models", "tuned_model", "registered_model"} <= keys
    assert not keys & {"batch_predictions", "review_queue"}


def test_resources_used_outside_a_run_read_their_environment_variables_when_resolved(monkeypatch):
    from resources.environment import Profile
    from resources.profiles import resolved, resources_for

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////tmp/tracking-from-env.db")
    monkeypatch.setenv("SENTIMENT_S3_BUCKET", "bucket-from-env")
    monkeypatch.setenv("SENTIMENT_GLUE_DATABASE", "glue_from_env")
    monkeypatch.setenv("SENTIMENT_ATHENA_WORKGROUP", "wg")
    monkeypatch.setenv("SENTIMENT_ATHENA_STAGING_DIR", "s3://bucket-from-env/athena/")
    aws = resources_for(Profile.AWS)

    tracking, warehouse = resolved(aws["mlflow_tracking"]), resolved(aws["warehouse"])

    assert aws["mlflow_tracking"].tracking_uri == "MLFLOW_TRACKING_URI"  # unresolved: the variable's name
    assert tracking.tracking_uri == "sqlite:////tmp/tracking-from-env.db"
    assert (warehouse.bucket, warehouse.glue_database) == ("bucket-from-env", "glue_from_env")
