"""What stands in for AWS in tests/test_aws_profile_pipeline.py, beside moto's loopback server.

Athena: moto's Athena records queries but does not execute them, so the dbt models
(cleaned_reviews, training_reviews, ...) cannot be built by Athena here. `build_dbt_models_like_athena`
plays its part: it downloads the source tables from S3, runs the very same dbt models with the
DuckDB target, and writes their results where Athena's CTAS would (as the warehouse's Parquet
tables). What dbt sends to Athena under the aws target is tested in tests/test_dbt_athena.py.

Kubernetes: no cluster runs here. Fine-tuning goes through the aws profile's K8sTrainingLauncher
(inputs uploaded to S3, the pod spec built by RemoteTrainingResource, outputs downloaded from S3),
and `PodOnThisMachine` stands in for PipesK8sClient: it runs the pod spec's container command on
this machine, with the spec's environment, through Dagster Pipes -- the command a GPU pod would
run, on a CPU.
"""

import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import pyarrow.parquet as pq

from resources.dbt import DBT_PROJECT_DIR
from resources.remote_training import RemoteTrainingResource
from resources.training_launcher import K8sTrainingLauncher

DBT_MODELS = [
    "stg_reviews",
    "cleaned_reviews",
    "excluded_reviews",
    "holdout_reviews",
    "reviews_by_category",
    "training_reviews",
]


def s3_keys(bucket: str, prefix: str) -> list[str]:
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def parquet_rows(bucket: str, key: str) -> int:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(BytesIO(body)).num_rows


class PodOnThisMachine:
    """Stands in for PipesK8sClient.run: the pod spec's container command and environment, run
    here through PipesSubprocessClient."""

    def __init__(self):
        self.pod_specs = []

    def run(self, *, context, namespace, base_pod_spec, base_pod_meta):
        self.pod_specs.append(base_pod_spec)
        [container] = base_pod_spec["containers"]
        env = {item["name"]: item["value"] for item in container["env"]}
        # The image has torchrun on its PATH; here it is the one beside this interpreter.
        program, *args = container["command"]
        command = [str(Path(sys.executable).parent / program) if program == "torchrun" else program, *args]
        return dg.PipesSubprocessClient().run(command=command, context=context, env=env)


def launcher_with_pod_here(pod: PodOnThisMachine, remote: RemoteTrainingResource) -> K8sTrainingLauncher:
    """The aws profile's training launcher, with `pod` in place of PipesK8sClient: the launch path
    (S3 inputs, the pod spec, S3 outputs) is the profile's own."""

    class PodHere(K8sTrainingLauncher):
        def pipes_client(self) -> PodOnThisMachine:
            return pod

    return PodHere(pod=remote)


def build_dbt_models_like_athena(warehouse, scratch) -> dict[str, int]:
    """Athena's part: the same models, on DuckDB, written back to S3."""
    database = scratch / "athena_stand_in.duckdb"
    with duckdb.connect(str(database)) as connection:
        for source in ("raw_reviews", "human_labels"):
            connection.register("frame", warehouse.read_table(source))
            connection.execute(f"CREATE TABLE {source} AS SELECT * FROM frame").fetchall()
    env = {**os.environ, "SENTIMENT_DUCKDB_PATH": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = [
        sys.executable,
        "-m",
        "dbt.cli.main",
        "run",
        "--target",
        "local",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(scratch / "dbt_target"),
        "--log-path",
        str(scratch),
    ]
    completed = subprocess.run(dbt, env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:]
    written = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        for model in DBT_MODELS[1:]:
            written[model] = warehouse.write_table(model, connection.sql(f"SELECT * FROM {model}").to_arrow_table())
    return written
