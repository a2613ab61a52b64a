"""One decision per profile (sentiment_assets/defs/deployment.py), made without side effects: no
environment variable and no MLflow setting changes while resources are built or after a run."""

import os

import dagster as dg
import mlflow
import pytest

from resources.dbt_cli import with_dbt_vars
from resources.environment import Profile
from resources.mlflow_tracking import MlflowResource
from resources.profiles import resources_for
from sentiment_assets.defs.deployment import deployment_for
from sentiment_assets.operations.project_config import load_project_config

AWS_ENV = {
    "SENTIMENT_PROFILE": "aws",
    "SENTIMENT_S3_BUCKET": "ml-bucket",
    "MLFLOW_TRACKING_URI": "https://user:hunter2@mlflow.example.com",
}


def mlflow_globals() -> tuple:
    return mlflow.get_tracking_uri(), mlflow.get_registry_uri()


@pytest.mark.parametrize("profile", list(Profile))
def test_building_a_profiles_resources_and_deployment_changes_no_environment_variable(profile, tmp_path):
    environment, tracking = dict(os.environ), mlflow_globals()
    resources_for(profile, home=tmp_path)
    deployment_for(profile, home=tmp_path)
    deployment_for(profile, env={**os.environ, **AWS_ENV}, home=tmp_path)
    assert dict(os.environ) == environment
    assert mlflow_globals() == tracking
    assert not list(tmp_path.iterdir())  # and writes nothing


def test_the_local_deployment_keeps_everything_under_its_home(tmp_path):
    local = deployment_for(env={"SENTIMENT_HOME": str(tmp_path)})
    assert local.profile is Profile.LOCAL and local.home == tmp_path
    assert local.executor is dg.in_process_executor and local.dbt_target == "local"
    assert local.automation_sensor_status == dg.DefaultSensorStatus.RUNNING
    assert local.landing_zone == str(tmp_path / "landing" / "incoming")
    assert local.duckdb_path == local.resources["warehouse"].path == local.resources["dbt"].duckdb_path
    assert local.resources["dbt"].target == local.dbt_target
    assert local.mlflow_ui_url == local.resources["mlflow_tracking"].ui_url == "http://127.0.0.1:5000"


def test_the_aws_deployment_runs_steps_in_pods_and_links_to_its_own_mlflow(tmp_path):
    aws = deployment_for(env=AWS_ENV)
    assert aws.profile is Profile.AWS and aws.home is None and aws.duckdb_path is None
    assert aws.executor.name == "aws_k8s_executor" and aws.dbt_target == aws.resources["dbt"].target == "aws"
    assert aws.automation_sensor_status == dg.DefaultSensorStatus.STOPPED
    assert aws.landing_zone == "s3://ml-bucket/landing/"
    assert aws.mlflow_ui_url is not None and "127.0.0.1" not in aws.mlflow_ui_url and "hunter2" not in aws.mlflow_ui_url
    tracking = MlflowResource(tracking_uri=AWS_ENV["MLFLOW_TRACKING_URI"])  # as resolved at run start
    assert tracking.run_link("1", "abc") == "https://user:***@mlflow.example.com/#/experiments/1/runs/abc"
    assert deployment_for(env={"SENTIMENT_PROFILE": "aws"}).landing_zone is None  # no bucket, no guess


def test_the_definitions_take_resources_executor_and_sensor_status_from_the_deployment(tmp_path):
    from sentiment_assets.definitions import definitions_for

    for deployment in (deployment_for(Profile.LOCAL, home=tmp_path), deployment_for(env=AWS_ENV)):
        defs = definitions_for(deployment)
        assert defs.executor is deployment.executor
        assert dict(defs.resources or {}) == dict(deployment.resources)
        sensor = defs.resolve_sensor_def("sentiment_automation")
        assert sensor.default_status == deployment.automation_sensor_status


def test_the_landing_zone_follows_the_profile_unless_the_config_names_one(tmp_path, monkeypatch):
    config = tmp_path / "sentiment.yaml"
    config.write_text("ingest:\n  preset: auto\n")
    monkeypatch.setenv("SENTIMENT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SENTIMENT_PROFILE", raising=False)
    assert load_project_config(config).landing_directory == tmp_path / "home" / "landing" / "incoming"
    monkeypatch.setenv("SENTIMENT_PROFILE", "aws")
    monkeypatch.setenv("SENTIMENT_S3_BUCKET", "ml-bucket")
    assert load_project_config(config).landing_directory == "s3://ml-bucket/landing/"
    monkeypatch.delenv("SENTIMENT_S3_BUCKET")
    with pytest.raises(ValueError, match="sentiment.yaml: set landing_zone.directory, or SENTIMENT_S3_BUCKET"):
        load_project_config(config)
    config.write_text("landing_zone:\n  directory: s3://other/in/\n")
    assert load_project_config(config).landing_directory == "s3://other/in/"


def test_the_duckdb_path_reaches_dbt_as_a_var_merged_with_the_calls_own():
    assert with_dbt_vars(["build"], {"duckdb_path": "/h/w.duckdb"}) == [
        "build",
        "--vars",
        '{"duckdb_path": "/h/w.duckdb"}',
    ]
    merged = with_dbt_vars(["build", "--vars", '{"min_reviews_per_category": 10}'], {"duckdb_path": "/w"})
    assert merged == ["build", "--vars", '{"duckdb_path": "/w", "min_reviews_per_category": 10}']
    assert with_dbt_vars(["parse"], {}) == ["parse"]


def test_a_run_that_uses_mlflows_fluent_api_leaves_mlflow_and_the_environment_as_they_were(tmp_path, monkeypatch):
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://elsewhere.invalid:5000")  # someone else's setting

    @dg.asset
    def logs_a_run(mlflow_tracking: MlflowResource) -> None:
        experiment_id = mlflow_tracking.activate()
        with mlflow.start_run() as run:
            mlflow.log_text("hello", "note.txt")
        assert run.info.experiment_id == experiment_id and mlflow_tracking.client().get_run(run.info.run_id)

    environment, tracking = dict(os.environ), mlflow_globals()
    # No artifact_root, as on the aws profile: a SQLite store keeps artifacts beside its file.
    resource = MlflowResource(tracking_uri=f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    assert dg.materialize([logs_a_run], resources={"mlflow_tracking": resource}).success
    assert dict(os.environ) == environment and mlflow_globals() == tracking
    assert not (tmp_path / "cwd" / "mlruns").exists() and not (tmp_path / "cwd" / "mlflow.db").exists()
    assert list((tmp_path / "store" / "artifacts").rglob("note.txt"))

    with resource.activated() as experiment_id:
        assert mlflow.get_tracking_uri() == resource.tracking_uri
        assert mlflow.search_runs([experiment_id]).shape[0] == 1
    assert dict(os.environ) == environment and mlflow_globals() == tracking
    with pytest.raises(RuntimeError, match="only works inside one"):
        resource.activate()
