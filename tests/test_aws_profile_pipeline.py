"""Ingest -> features -> feature store -> batch predictions under SENTIMENT_PROFILE=aws, against
moto on loopback.

The assets are the same objects the local profile runs; only `resources_for(Profile.AWS)` differs.
Every table is an Apache Iceberg table in the loopback Glue catalog, its data and metadata on the
loopback S3 server, written and read with pyiceberg; artifacts (the drift baseline) go to S3 as
well; MLflow and Optuna URLs come from the environment, as on AWS (here: SQLite files, since no
server runs).

Athena (which moto does not execute) and the Kubernetes GPU pod have stand-ins
(tests/aws_stand_ins.py): the dbt models run on DuckDB over the Iceberg sources and are written
back as Iceberg tables, where Athena would build them; fine-tuning goes through the profile's
K8sTrainingLauncher, whose pod's command runs here.
"""

import os
import uuid

import boto3
import dagster as dg
import mlflow
import pytest
from aws_stand_ins import PodOnThisMachine, build_dbt_models_like_athena, launcher_with_pod_here, s3_keys
from iceberg_stand_ins import update_table_checking_version
from moto.glue.responses import GlueResponse
from pyiceberg.table import DataScan

from resources.environment import Profile
from resources.iceberg_warehouse import IcebergWarehouse
from resources.mlflow_tracking import MlflowResource
from resources.profiles import resources_for
from resources.remote_training import RemoteTrainingResource
from sentiment_assets.definitions import ALL_ASSETS
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions
from sentiment_assets.features.training_splits import read_split
from sentiment_assets.models.mlflow_model import log_sentiment_model
from sentiment_assets.models.tfidf import TfidfLogisticRegression
from sentiment_assets.synthetic.generator import generate_clothing_reviews

PARTITION = "clothing_2026_11"
LANDED_KEY = "landing/2026-11/clothing.csv"
SECRET = f"not-a-real-secret-{uuid.uuid4().hex}"  # must never reach a log line
SCORE_PARTITION = "score/new_reviews.csv"
SCORE_KEY = "landing/score/new_reviews.csv"


@pytest.fixture(scope="module")
def aws_run(s3_endpoint, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("aws_profile")
    bucket = f"sentiment-{uuid.uuid4().hex[:12]}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "AKIATESTONLY",
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": s3_endpoint,
            "SENTIMENT_S3_BUCKET": bucket,
            "SENTIMENT_GLUE_DATABASE": "sentiment_ci",
            "SENTIMENT_ATHENA_WORKGROUP": "primary",
            "SENTIMENT_ATHENA_STAGING_DIR": f"s3://{bucket}/athena-results/",
            "MLFLOW_TRACKING_URI": f"sqlite:///{scratch / 'mlflow.db'}",
            "SENTIMENT_OPTUNA_STORAGE": f"sqlite:///{scratch / 'optuna.db'}",
        }.items():
            patch.setenv(name, value)
        # Real Glue refuses a commit based on an older table version; moto's server does not.
        patch.setattr(GlueResponse, "update_table", update_table_checking_version(GlueResponse.update_table))
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=bucket)
        landed = generate_clothing_reviews(n_rows=400, seed=11)
        s3.put_object(Bucket=bucket, Key=LANDED_KEY, Body=landed.to_csv(index=False).encode())
        # A file to score: ids and text only, no stars, no category.
        unlabelled = generate_clothing_reviews(n_rows=120, seed=12)
        s3.put_object(
            Bucket=bucket,
            Key=SCORE_KEY,
            Body=unlabelled.assign(id=[f"s{i}" for i in range(120)])[["id", "Review Text"]]
            .to_csv(index=False)
            .encode(),
        )

        resources = resources_for(Profile.AWS)
        instance = dg.DagsterInstance.ephemeral()
        register_partitions(instance, [PARTITION, SCORE_PARTITION])
        results = {
            "ingest": dg.materialize(
                ALL_ASSETS,
                selection=["raw_reviews"],
                resources=resources,
                instance=instance,
                partition_key=PARTITION,
                run_config={"ops": {"raw_reviews": {"config": {"location": f"s3://{bucket}/{LANDED_KEY}"}}}},
            )
        }
        results["ingest_score"] = dg.materialize(
            ALL_ASSETS,
            selection=["raw_reviews"],
            resources=resources,
            instance=instance,
            partition_key=SCORE_PARTITION,
            run_config={
                "ops": {
                    "raw_reviews": {
                        "config": {
                            "location": f"s3://{bucket}/{SCORE_KEY}",
                            "role": "score",
                            "preset": "generic",
                            "mapping": {"review_id": "id", "review_body": "Review Text"},
                        }
                    }
                }
            },
        )
        results["human_labels"] = dg.materialize(
            ALL_ASSETS, selection=["human_labels"], resources=resources, instance=instance
        )
        # The profile's resources hold dg.EnvVar references that Dagster resolves when a run
        # starts; between runs the test reads and writes through the same classes, resolved here.
        warehouse = IcebergWarehouse(bucket=bucket, glue_database="sentiment_ci")
        dbt_rows = build_dbt_models_like_athena(warehouse, scratch)
        results["features"] = dg.materialize(
            ALL_ASSETS,
            selection=["balanced_reviews", "review_features", "feature_store", "drift_baseline"],
            resources=resources,
            instance=instance,
        )

        patch.setenv("SENTIMENT_TRAINING_IMAGE", "123456789012.dkr.ecr.us-east-1.amazonaws.com/sentiment-training:test")
        pod = PodOnThisMachine()
        # As the profile configures it, but training on this machine's CPU instead of a GPU.
        remote = RemoteTrainingResource(
            image=dg.EnvVar("SENTIMENT_TRAINING_IMAGE"),
            bucket=bucket,
            namespace="sentiment",
            service_account="sentiment-pipeline",
            device="cpu",
        )
        results["finetune"] = dg.materialize(
            ALL_ASSETS,
            selection=["finetuned_minilm"],
            resources={**resources, "training_launcher": launcher_with_pod_here(pod, remote)},
            instance=instance,
            run_config={
                "ops": {
                    "finetuned_minilm": {
                        "config": {
                            "max_train_samples": 32,
                            "max_seq_length": 16,
                            "batch_size": 8,
                            "checkpoint_every_steps": 2,
                        }
                    }
                }
            },
        )

        # A champion to score with: a TF-IDF model trained on the feature store's train split,
        # registered in the MLflow registry the environment points at.
        tracking = MlflowResource(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
        with tracking.activated(), mlflow.start_run():
            info = log_sentiment_model(TfidfLogisticRegression().fit(read_split(warehouse, "train")))
            version = mlflow.register_model(info.model_uri, tracking.registered_model_name).version
        client = tracking.client()
        client.set_registered_model_alias(tracking.registered_model_name, "champion", version)
        planned: list[str] = []  # the data files the scoring run's table scans plan to read
        plan_files = DataScan.plan_files

        def recording(scan):
            tasks = list(plan_files(scan))
            planned.extend(task.file.file_path for task in tasks)
            return tasks

        patch.setattr(DataScan, "plan_files", recording)
        results["predictions"] = dg.materialize(
            ALL_ASSETS, selection=["batch_predictions"], resources=resources, instance=instance, partition_key=PARTITION
        )
        patch.setattr(DataScan, "plan_files", plan_files)
        results["score_predictions"] = dg.materialize(
            ALL_ASSETS,
            selection=["batch_predictions"],
            resources=resources,
            instance=instance,
            partition_key=SCORE_PARTITION,
        )
        yield {
            "pod": pod,
            "bucket": bucket,
            "landed": landed,
            "results": results,
            "dbt_rows": dbt_rows,
            "instance": instance,
            "warehouse": warehouse,
            "planned_while_scoring": planned,
        }


def test_every_step_succeeds_under_the_aws_profile(aws_run):
    assert {name: result.success for name, result in aws_run["results"].items()} == {
        "ingest": True,
        "ingest_score": True,
        "human_labels": True,
        "features": True,
        "finetune": True,
        "predictions": True,
        "score_predictions": True,
    }


def glue_tables() -> dict:
    return {t["Name"]: t for t in boto3.client("glue").get_tables(DatabaseName="sentiment_ci")["TableList"]}


def test_every_table_is_an_iceberg_table_in_the_glue_database(aws_run):
    tables = glue_tables()

    assert {"raw_reviews", "rejected_reviews", "cleaned_reviews", "training_reviews", "balanced_reviews"} <= set(tables)
    assert {"review_features", "batch_predictions", "human_labels"} <= set(tables)
    assert any(name.startswith("fg_reviews") for name in tables)  # the offline feature store's group
    assert {name: t.get("Parameters", {}).get("table_type") for name, t in tables.items()} == dict.fromkeys(
        tables, "ICEBERG"
    )
    assert not [name for name in tables if "__stage_" in name]  # ingest's staging tables are gone


def test_raw_reviews_are_partitioned_by_file_and_nothing_is_lost_on_the_way(aws_run):
    warehouse = aws_run["warehouse"]
    accepted = warehouse.read_table("raw_reviews", ["review_id"], where={"source_partition": PARTITION})
    rejected = warehouse.read_table("rejected_reviews", ["source_partition"], where={"source_partition": PARTITION})

    assert len(accepted) + len(rejected) == len(aws_run["landed"])
    files = warehouse.table_store().data_files_read("raw_reviews", {"source_partition": PARTITION})
    assert files and all(f"/source_partition={PARTITION}/" in path for path in files)


def test_an_earlier_snapshot_of_raw_reviews_holds_only_what_was_ingested_by_then(aws_run):
    store = aws_run["warehouse"].table_store()
    [first, *later] = store.snapshots("raw_reviews")

    before_the_score_file = store.read_at("raw_reviews", snapshot_id=first.snapshot_id, columns=["source_partition"])

    assert later  # the score file's ingest committed after
    assert set(before_the_score_file["source_partition"].to_pylist()) == {PARTITION}
    assert SCORE_PARTITION in set(store.read("raw_reviews", ["source_partition"])["source_partition"].to_pylist())


def test_features_and_the_feature_store_hold_every_training_review(aws_run):
    warehouse = aws_run["warehouse"]
    balanced = warehouse.row_count("balanced_reviews")

    # A user's file: every training review is kept (class-weighted losses, no down-sampling).
    assert 0 < balanced == aws_run["dbt_rows"]["training_reviews"]
    assert warehouse.row_count("review_features") == balanced


def test_the_drift_baseline_artifact_is_written_to_s3(aws_run):
    keys = s3_keys(aws_run["bucket"], "artifacts/")

    assert any(key.endswith(".json") and "drift" in key for key in keys), keys


def test_batch_predictions_score_every_accepted_review_of_each_partition(aws_run):
    warehouse = aws_run["warehouse"]
    for partition in (PARTITION, SCORE_PARTITION):
        accepted = warehouse.read_table("raw_reviews", ["review_id"], where={"source_partition": partition})
        predicted = warehouse.read_table("batch_predictions", ["review_id"], where={"source_partition": partition})
        assert sorted(predicted["review_id"]) == sorted(accepted["review_id"]) and len(accepted) > 100, partition
    for run in ("predictions", "score_predictions"):
        coverage = [
            c
            for c in aws_run["results"][run].get_asset_check_evaluations()
            if c.check_name == "every_accepted_review_scored_once"
        ]
        assert coverage and all(c.passed for c in coverage)


def test_scoring_one_partition_reads_only_that_partitions_data_files(aws_run):
    planned = aws_run["planned_while_scoring"]
    store = aws_run["warehouse"].table_store()
    other_partition_files = store.data_files_read("raw_reviews", {"source_partition": SCORE_PARTITION})

    assert planned and all(f"/source_partition={PARTITION}/" in path for path in planned), planned
    assert other_partition_files and not set(other_partition_files) & set(planned)


def test_the_unlabelled_score_file_reaches_no_training_table(aws_run):
    warehouse = aws_run["warehouse"]
    scored = warehouse.read_table(
        "raw_reviews", ["source_role", "sentiment"], where={"source_partition": SCORE_PARTITION}
    )

    assert set(scored["source_role"]) == {"score"} and scored["sentiment"].isna().all()
    for table in ("cleaned_reviews", "training_reviews", "balanced_reviews", "review_features"):
        ids = warehouse.read_table(table, ["review_id"])["review_id"].astype(str)
        assert not ids.str.startswith("s").any(), table


def test_no_credential_reaches_the_run_logs(aws_run):
    messages = [
        record.user_message or "" for record in aws_run["instance"].all_logs(aws_run["results"]["predictions"].run_id)
    ]
    messages += [
        record.user_message or "" for record in aws_run["instance"].all_logs(aws_run["results"]["ingest"].run_id)
    ]

    assert messages and not [m for m in messages if SECRET in m]


def test_fine_tuning_runs_the_entry_point_from_a_gpu_pod_spec_with_its_data_on_s3(aws_run):
    [spec] = aws_run["pod"].pod_specs
    [container] = spec["containers"]
    command = container["command"]

    assert container["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert command[:1] == ["torchrun"] and "sentiment_assets.training.transformer_job" in command
    train_uri = command[command.index("--train") + 1]
    assert train_uri.startswith(f"s3://{aws_run['bucket']}/training/") and train_uri.endswith("train.parquet")
    assert not [e for e in container["env"] if SECRET in e["value"]]
    keys = s3_keys(aws_run["bucket"], "training/")
    assert any(k.endswith("output/model.safetensors") for k in keys)  # the pod's model, on S3
    assert not [k for k in keys if "/checkpoints/" in k]  # removed after success
    metadata = aws_run["results"]["finetune"].get_asset_materialization_events()[0].materialization.metadata
    assert metadata["checkpoints"].value.startswith(f"s3://{aws_run['bucket']}/training/")


def test_the_landed_objects_hash_is_recorded_and_a_predictions_lineage_reaches_it(aws_run):
    import hashlib

    from sentiment_assets.lineage.chain import partition_source_files, prediction_chains

    warehouse = aws_run["warehouse"]
    body = boto3.client("s3").get_object(Bucket=aws_run["bucket"], Key=LANDED_KEY)["Body"].read()
    tracking = MlflowResource(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
    review_id = str(
        warehouse.read_table("batch_predictions", ["review_id"], where={"source_partition": PARTITION})[
            "review_id"
        ].iloc[0]
    )

    [chain] = prediction_chains(warehouse, tracking.client(), review_id, PARTITION)

    [recorded] = partition_source_files(warehouse, PARTITION)
    assert recorded.source_file.startswith("s3://") and recorded.source_file.endswith(LANDED_KEY)
    assert (recorded.sha256, recorded.size_bytes) == (hashlib.sha256(body).hexdigest(), len(body))
    assert chain.review_files == [recorded]
    champion = tracking.client().get_model_version_by_alias(tracking.registered_model_name, "champion")
    assert chain.model.version == int(champion.version) and chain.model.run_id == champion.run_id


def test_the_lineage_command_runs_on_the_aws_profile(aws_run):
    import subprocess
    import sys
    from pathlib import Path

    warehouse = aws_run["warehouse"]
    review_id = str(
        warehouse.read_table("batch_predictions", ["review_id"], where={"source_partition": PARTITION})[
            "review_id"
        ].iloc[0]
    )
    script = Path(sys.executable).parent / "sentiment-assets"

    done = subprocess.run(
        [str(script), "lineage", "prediction", review_id, "--partition", PARTITION],
        env={**os.environ, "SENTIMENT_PROFILE": "aws"},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert f"review {review_id} in {PARTITION}" in done.stdout and LANDED_KEY in done.stdout
    assert SECRET not in done.stdout + done.stderr


def registered_fine_tune(aws_run, name: str) -> tuple[MlflowResource, int]:
    """The fine-tune's logged model, registered as a version of `name`."""
    metadata = aws_run["results"]["finetune"].get_asset_materialization_events()[0].materialization.metadata
    tracking = MlflowResource(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
    with tracking.activated():
        version = mlflow.register_model(metadata["model_uri"].value, name)
    return tracking, int(version.version)


def test_reproduce_re_trains_the_fine_tune_on_the_aws_profile_from_its_s3_object_and_table_snapshot(aws_run):
    from sentiment_assets.features.training_splits import FEATURE_TABLE
    from sentiment_assets.lineage.chain import model_chain
    from sentiment_assets.lineage.reproduce import reproduce

    warehouse = aws_run["warehouse"]
    tracking, version = registered_fine_tune(aws_run, "finetuned-on-aws")
    training = model_chain(tracking.client(), "finetuned-on-aws", version).training

    assert training is not None and training.source_files
    assert all(f.source_file.startswith(f"s3://{aws_run['bucket']}/") for f in training.source_files)
    assert training.feature_snapshot in [snapshot for snapshot, _ in warehouse.table_snapshots(FEATURE_TABLE)]
    result = reproduce(
        warehouse,
        tracking.client(),
        "finetuned-on-aws",
        version,
        tracking_uri=tracking.tracking_uri,
        s3_client=boto3.client("s3"),
    )
    assert result.reproduced and result.test_reviews > 0


def test_reproduce_on_the_aws_profile_refuses_when_the_recorded_table_snapshot_is_gone(aws_run):
    import dataclasses

    from sentiment_assets.features.training_splits import FEATURE_TABLE
    from sentiment_assets.lineage.chain import model_chain
    from sentiment_assets.lineage.reproduce import differences

    tracking, version = registered_fine_tune(aws_run, "finetuned-on-aws-snapshot")
    training = model_chain(tracking.client(), "finetuned-on-aws-snapshot", version).training
    assert training is not None and training.feature_snapshot is not None
    expired = dataclasses.replace(training, feature_snapshot=training.feature_snapshot + 1)

    found = differences(expired, aws_run["warehouse"], s3_client=boto3.client("s3"))

    assert found == [
        f"feature table {FEATURE_TABLE}: snapshot {expired.feature_snapshot} the training read is no longer "
        "in its history (the table was rebuilt or the snapshot expired)"
    ]
