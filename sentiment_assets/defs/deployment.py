"""The one decision a profile makes: resources, executor, dbt target, sensor status, paths, links.

`deployment_for()` reads SENTIMENT_PROFILE (and SENTIMENT_HOME, SENTIMENT_S3_BUCKET,
MLFLOW_TRACKING_URI) from the environment it is given and returns a frozen `Deployment`;
sentiment_assets/definitions.py builds one and binds its resources, executor and automation
sensor to the defs folder (this module defines no asset, job or sensor itself). Building it has
no side effects: no environment variable, file or MLflow setting changes, no cluster is contacted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import dagster as dg

from resources.environment import Profile, default_landing_zone, get_profile, sentiment_home
from resources.profiles import LOCAL_MLFLOW_UI, aws_resources, local_resources, warehouse_file
from sentiment_assets.defs.executors import aws_executor
from sentiment_assets.redaction import redact_url

# `make ui` serves the local Dagster UI here; on AWS the address is the cluster's ingress.
LOCAL_DAGSTER_UI = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class Deployment:
    """Everything that differs between running on this machine and running on AWS."""

    profile: Profile
    resources: Mapping[str, Any]  # resource key -> resource, read-only
    executor: dg.ExecutorDefinition
    dbt_target: str  # the target of dbt_project/profiles.yml
    automation_sensor_status: dg.DefaultSensorStatus
    # Where review files land when config/sentiment.yaml does not say (None: SENTIMENT_S3_BUCKET unset).
    landing_zone: str | None
    home: Path | None  # a local run's state (DuckDB, MLflow, artifacts); None on AWS
    duckdb_path: str | None  # the file dbt-duckdb opens (resources["dbt"].duckdb_path); None on AWS
    mlflow_ui_url: str | None  # None: no UI known (links are then MLflow URIs)
    dagster_ui_url: str | None


def deployment_for(
    profile: Profile | None = None, *, env: Mapping[str, str] | None = None, home: Path | None = None
) -> Deployment:
    """The deployment of `profile` (default: SENTIMENT_PROFILE in `env`). `env` defaults to
    os.environ and is only read; `home` overrides SENTIMENT_HOME (tests use a temp dir)."""
    env = os.environ if env is None else env
    profile = get_profile(env) if profile is None else profile
    if profile is Profile.LOCAL:
        return _local(home or sentiment_home(env))
    return _aws(env)


def _local(home: Path) -> Deployment:
    return Deployment(
        profile=Profile.LOCAL,
        resources=MappingProxyType(local_resources(home)),
        # Every step writes one DuckDB file, which takes one writer at a time: one process.
        executor=dg.in_process_executor,
        dbt_target=Profile.LOCAL.value,
        # `dagster dev` starts evaluating the automation conditions at once.
        automation_sensor_status=dg.DefaultSensorStatus.RUNNING,
        landing_zone=default_landing_zone(Profile.LOCAL, home=home),
        home=home,
        duckdb_path=str(warehouse_file(home)),
        mlflow_ui_url=LOCAL_MLFLOW_UI,
        dagster_ui_url=LOCAL_DAGSTER_UI,
    )


def _aws(env: Mapping[str, str]) -> Deployment:
    tracking = env.get("MLFLOW_TRACKING_URI", "")
    return Deployment(
        profile=Profile.AWS,
        resources=MappingProxyType(aws_resources()),
        # Each step a Kubernetes Job: tables and partitions are separate S3 objects, so a
        # backfill's batch-prediction partitions fan out across pods.
        executor=aws_executor(),
        dbt_target=Profile.AWS.value,
        # Someone turns the automation on deliberately in a shared deployment.
        automation_sensor_status=dg.DefaultSensorStatus.STOPPED,
        landing_zone=default_landing_zone(Profile.AWS, env),
        home=None,
        duckdb_path=None,
        # The tracking server serves the UI (never localhost on AWS), shown without a password.
        mlflow_ui_url=redact_url(tracking) if tracking.startswith(("http://", "https://")) else None,
        dagster_ui_url=None,
    )
