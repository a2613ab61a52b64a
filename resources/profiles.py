"""The one place that decides which resources a profile gets (hooli's `resource_def[env]`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_dbt import DbtCliResource

from resources.artifacts import LocalArtifactStore
from resources.compute import ComputeResource
from resources.dbt import DBT_PROJECT_DIR, DUCKDB_PATH_ENV_VAR, put_interpreter_bin_on_path
from resources.environment import Profile, sentiment_home
from resources.mlflow_tracking import MlflowResource
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
        "dbt": DbtCliResource(project_dir=str(DBT_PROJECT_DIR), target=Profile.LOCAL.value),
        # Only used when a source location is an s3:// URI; credentials and region come from the
        # standard AWS environment, never from code.
        "s3": S3Resource(),
        # Fine-tuning runs in its own process (python -m sentiment_assets.train_transformer); the
        # aws profile swaps in a remote Pipes client that runs the same entry point on a GPU.
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
    }


def resources_for(profile: Profile, home: Path | None = None) -> dict[str, Any]:
    """The resource set of a profile. `home` overrides SENTIMENT_HOME (tests use a temp dir)."""
    if profile is Profile.LOCAL:
        return local_resources(home or sentiment_home())
    raise NotImplementedError(
        "SENTIMENT_PROFILE=aws is reserved for the S3 / Glue / Athena resources (issue #8) and is "
        "not wired yet; use SENTIMENT_PROFILE=local."
    )
