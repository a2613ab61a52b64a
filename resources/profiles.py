"""The one place that decides which resources a profile gets (hooli's `resource_def[env]`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_dbt import DbtCliResource
from dagster_k8s import PipesK8sClient

from resources.artifacts import LocalArtifactStore
from resources.compute import ComputeResource
from resources.dbt import DBT_PROJECT_DIR, DUCKDB_PATH_ENV_VAR, put_interpreter_bin_on_path
from resources.environment import Profile, sentiment_home
from resources.mlflow_tracking import MlflowResource
from resources.optuna_storage import OptunaStorage
from resources.remote_training import RemoteTrainingResource
from resources.s3_artifacts import S3ArtifactStore
from resources.s3_warehouse import S3ParquetWarehouse
from resources.warehouse import DuckDBWarehouse


def local_resources(home: Path) -> dict[str, Any]:
    """Everything on this machine under `home`: DuckDB, MLflow on SQLite, files, CPU or local GPU."""
    warehouse_path = home / "warehouse.duckdb"
    # dbt-duckdb reads the same file; its profiles.yml takes the path from this variable.
    os.environ[DUCKDB_PATH_ENV_VAR] = str(warehouse_path)
    put_interpreter_bin_on_path()
    return {
        "warehouse": DuckDBWarehouse(path=str(warehouse_path)),
        "artifacts": LocalArtifactStore(root=str(home / "artifacts")),
        "mlflow_tracking": MlflowResource(
            tracking_uri=f"sqlite:///{home / 'mlflow' / 'mlflow.db'}",
            artifact_root=str(home / "mlflow" / "artifacts"),
        ),
        "compute": ComputeResource(device="auto"),
        # Unset: Optuna studies live in SQLite under the artifact store.
        "optuna_storage": OptunaStorage(),
        "dbt": DbtCliResource(project_dir=str(DBT_PROJECT_DIR), target=Profile.LOCAL.value),
        # Only used when a source location is an s3:// URI; credentials and region come from the
        # standard AWS environment, never from code.
        "s3": S3Resource(),
        # Fine-tuning runs in its own process (python -m sentiment_assets.train_transformer); the
        # aws profile runs the same entry point in a GPU pod instead.
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
        "remote_training": RemoteTrainingResource(),  # no image, no bucket: off
        "pipes_k8s_client": PipesK8sClient(),  # unused while remote_training is off; contacts nothing
    }


def aws_resources() -> dict[str, Any]:
    """Everything on AWS: Parquet tables on S3 behind the Glue catalog, dbt on Athena, artifacts and
    checkpoints on S3, MLflow and Optuna at URLs from the environment, fine-tuning on a GPU node.

    Settings come from environment variables (deploy/aws/.env.aws.example lists them), read when a
    run starts through dg.EnvVar, so a missing one fails naming the variable. AWS credentials are
    never configured here: boto3, dbt-athena and the training pod take them from the standard
    chain (the pod's IAM role, an instance profile, an SSO session).
    """
    put_interpreter_bin_on_path()
    bucket = dg.EnvVar("SENTIMENT_S3_BUCKET")
    return {
        "warehouse": S3ParquetWarehouse(
            bucket=bucket,
            glue_database=dg.EnvVar("SENTIMENT_GLUE_DATABASE"),
            athena_workgroup=dg.EnvVar("SENTIMENT_ATHENA_WORKGROUP"),
            athena_output=dg.EnvVar("SENTIMENT_ATHENA_STAGING_DIR"),
            # The Python assets' SQL is DuckDB's dialect and runs in-process over the tables it
            # names (downloaded from S3); the set-based transformations are dbt models on Athena.
            query_engine="duckdb",
        ),
        "artifacts": S3ArtifactStore(bucket=bucket, prefix="artifacts"),
        "mlflow_tracking": MlflowResource(tracking_uri=dg.EnvVar("MLFLOW_TRACKING_URI")),
        "compute": ComputeResource(device="auto"),
        "optuna_storage": OptunaStorage(url=dg.EnvVar("SENTIMENT_OPTUNA_STORAGE")),
        "dbt": DbtCliResource(project_dir=str(DBT_PROJECT_DIR), target=Profile.AWS.value),
        "s3": S3Resource(),
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
        # Fine-tuning in a GPU pod of the training image, started through Dagster Pipes.
        "remote_training": RemoteTrainingResource(
            image=dg.EnvVar("SENTIMENT_TRAINING_IMAGE"),
            bucket=bucket,
            namespace="sentiment",
            service_account="sentiment-pipeline",
            gpus=1,
        ),
        "pipes_k8s_client": PipesK8sClient(),
    }


def resources_for(profile: Profile, home: Path | None = None) -> dict[str, Any]:
    """The resource set of a profile. `home` overrides SENTIMENT_HOME (tests use a temp dir)."""
    if profile is Profile.LOCAL:
        return local_resources(home or sentiment_home())
    return aws_resources()
