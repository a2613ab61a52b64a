"""Which resources a profile gets (hooli's `resource_def[env]`); the rest of a profile's decision
(executor, sensor status, landing zone, links) is `sentiment_assets.defs.deployment`.

Building resources has no side effects: it reads the environment at most (dg.EnvVar defers even
that to run start) and writes nothing -- no environment variable, no file, no MLflow setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from resources.artifacts import LocalArtifactStore
from resources.compute import ComputeResource
from resources.dbt import DBT_PROJECT_DIR
from resources.dbt_cli import SentimentDbtCliResource, dbt_executable
from resources.environment import Profile, sentiment_home
from resources.iceberg_warehouse import IcebergWarehouse
from resources.mlflow_tracking import MlflowResource
from resources.optuna_storage import OptunaStorage
from resources.remote_training import RemoteTrainingResource
from resources.s3_artifacts import S3ArtifactStore
from resources.training_launcher import K8sTrainingLauncher, SubprocessTrainingLauncher
from resources.warehouse import DuckDBWarehouse

# `make mlflow-ui` serves the local store here.
LOCAL_MLFLOW_UI = "http://127.0.0.1:5000"


def warehouse_file(home: Path) -> Path:
    """The local DuckDB file: the Python assets' warehouse and dbt-duckdb's database."""
    return home / "warehouse.duckdb"


def local_resources(home: Path) -> dict[str, Any]:
    """Everything on this machine under `home`: DuckDB, MLflow on SQLite, files, CPU or local GPU."""
    warehouse_path = str(warehouse_file(home))
    return {
        "warehouse": DuckDBWarehouse(path=warehouse_path),
        "artifacts": LocalArtifactStore(root=str(home / "artifacts")),
        "mlflow_tracking": MlflowResource(
            tracking_uri=f"sqlite:///{home / 'mlflow' / 'mlflow.db'}",
            artifact_root=str(home / "mlflow" / "artifacts"),
            ui_url=LOCAL_MLFLOW_UI,
        ),
        "compute": ComputeResource(device="auto"),
        # Unset: Optuna studies live in SQLite under the artifact store.
        "optuna_storage": OptunaStorage(),
        "dbt": SentimentDbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            target=Profile.LOCAL.value,
            dbt_executable=dbt_executable(),
            duckdb_path=warehouse_path,  # dbt-duckdb opens the file the Python assets write
        ),
        # Only used when a source location is an s3:// URI; credentials and region come from the
        # standard AWS environment, never from code.
        "s3": S3Resource(),
        # Fine-tuning runs in its own process (python -m sentiment_assets.training.transformer_job).
        "training_launcher": SubprocessTrainingLauncher(),
    }


def aws_resources() -> dict[str, Any]:
    """Everything on AWS: Apache Iceberg tables on S3 in the Glue catalog (written by the assets with
    pyiceberg, built by dbt on Athena, read by both), artifacts and checkpoints on S3, MLflow and
    Optuna at URLs from the environment, fine-tuning on a GPU node.

    Settings come from environment variables (deploy/aws/.env.aws.example lists them), read when a
    run starts through dg.EnvVar, so a missing one fails naming the variable. AWS credentials are
    never configured here: boto3, dbt-athena and the training pod take them from the standard
    chain (the pod's IAM role, an instance profile, an SSO session).
    """
    bucket = dg.EnvVar("SENTIMENT_S3_BUCKET")
    return {
        # The assets read and write through the warehouse contract (no SQL); the set-based
        # transformations are dbt models that Athena builds as Iceberg tables in the same database.
        "warehouse": IcebergWarehouse(
            bucket=bucket,
            glue_database=dg.EnvVar("SENTIMENT_GLUE_DATABASE"),
            athena_workgroup=dg.EnvVar("SENTIMENT_ATHENA_WORKGROUP"),
            athena_output=dg.EnvVar("SENTIMENT_ATHENA_STAGING_DIR"),
        ),
        "artifacts": S3ArtifactStore(bucket=bucket, prefix="artifacts"),
        # No ui_url: links go to the tracking server, which serves the UI.
        "mlflow_tracking": MlflowResource(tracking_uri=dg.EnvVar("MLFLOW_TRACKING_URI")),
        "compute": ComputeResource(device="auto"),
        "optuna_storage": OptunaStorage(url=dg.EnvVar("SENTIMENT_OPTUNA_STORAGE")),
        "dbt": SentimentDbtCliResource(
            project_dir=str(DBT_PROJECT_DIR), target=Profile.AWS.value, dbt_executable=dbt_executable()
        ),
        "s3": S3Resource(),
        # Fine-tuning in a GPU pod of the training image, started through Dagster Pipes.
        "training_launcher": K8sTrainingLauncher(
            pod=RemoteTrainingResource(
                image=dg.EnvVar("SENTIMENT_TRAINING_IMAGE"),
                bucket=bucket,
                namespace="sentiment",
                service_account="sentiment-pipeline",
                gpus=1,
            )
        ),
    }


def resolved(resource: Any) -> Any:
    """`resource` with each dg.EnvVar field read from the environment now: what Dagster does when
    a run starts, for the commands that use a profile's resources outside a run (an unresolved
    field holds the variable's name, not its value)."""
    fields = {name: getattr(resource, name) for name in type(resource).model_fields}
    return type(resource)(**{k: v.get_value() if isinstance(v, dg.EnvVar) else v for k, v in fields.items()})


def resources_for(profile: Profile, home: Path | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The resource set of a profile. `home` overrides SENTIMENT_HOME (tests use a temp dir);
    `env` (default os.environ) is only read."""
    if profile is Profile.LOCAL:
        return local_resources(home or sentiment_home(env))
    return aws_resources()
