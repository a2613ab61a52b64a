"""`python -m sentiment_assets.training.transformer_job` with s3:// inputs and outputs, as a training pod
runs it: Parquet read from the bucket, the output directory uploaded there. boto3 finds moto's S3
server on loopback through AWS_ENDPOINT_URL, as it would find any S3-compatible endpoint."""

import json
import tempfile

import pytest
from loopback_aws import fresh_bucket
from tiny_bert import make_tiny_bert, toy_reviews

from sentiment_assets.models.s3_io import delete_prefix, download_directory, read_parquet, split_s3_uri
from sentiment_assets.models.transformer import CONFIG_FILE, TransformerClassifier
from sentiment_assets.training.transformer_job import OUTPUT_FILES, main

BUCKET = "training-io"


pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


@pytest.fixture()
def bucket(aws_endpoint_env):
    """An empty bucket, and the test credentials and endpoint in the environment, where the entry
    point's boto3 finds them as in production."""
    import boto3

    client = boto3.client("s3")
    with fresh_bucket(client, BUCKET):
        yield client


def test_the_entry_point_reads_parquet_from_s3_and_uploads_its_output_directory_there(bucket, tmp_path, monkeypatch):
    model_dir = make_tiny_bert(tmp_path / "tiny-bert")
    toy_reviews(per_class=16).to_parquet(tmp_path / "train.parquet")
    toy_reviews(per_class=4, seed=1).to_parquet(tmp_path / "valid.parquet")
    for name in ("train", "valid"):
        bucket.upload_file(str(tmp_path / f"{name}.parquet"), BUCKET, f"run-1/input/{name}.parquet")
    scratch = tmp_path / "scratch"  # where the output directory is written before the upload
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    assert (
        main(
            [
                "--train",
                f"s3://{BUCKET}/run-1/input/train.parquet",
                "--valid",
                f"s3://{BUCKET}/run-1/input/valid.parquet",
                "--set",
                f"model_name_or_path={model_dir}",
                "--set",
                "epochs=1",
                "--set",
                "max_seq_length=24",
                "--set",
                "batch_size=8",
                "--output-dir",
                f"s3://{BUCKET}/run-1/output/",
            ]
        )
        == 0
    )

    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET, Prefix="run-1/output/")["Contents"]}
    expected = {f"run-1/output/{name}" for name in (*OUTPUT_FILES, CONFIG_FILE, "config.json", "model.safetensors")}
    assert expected <= keys
    assert list(scratch.iterdir()) == []  # the local copy is gone after the upload

    downloaded = download_directory(f"s3://{BUCKET}/run-1/output", tmp_path / "model")
    assert len(downloaded) == len(keys)
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert metrics["steps"] == 6 and metrics["world_size"] == 1
    probabilities = TransformerClassifier.load(tmp_path / "model").predict_proba(toy_reviews(per_class=1))
    assert probabilities.shape == (3, 3)

    assert delete_prefix(f"s3://{BUCKET}/run-1/output") == len(keys)  # e.g. a run's checkpoints
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET, Prefix="run-1/output/")
    assert len(bucket.list_objects_v2(Bucket=BUCKET, Prefix="run-1/input/")["Contents"]) == 2


def test_s3_locations_need_a_bucket_and_reading_a_missing_object_fails_loudly(bucket):
    assert split_s3_uri("s3://bucket/run-1/input/train.parquet") == ("bucket", "run-1/input/train.parquet")
    assert split_s3_uri("s3://bucket") == ("bucket", "")
    for bad in ("s3:///key", "/local/path", "training/key"):
        with pytest.raises(ValueError, match="s3://bucket/key"):
            split_s3_uri(bad)
    with pytest.raises(bucket.exceptions.NoSuchKey):
        read_parquet(f"s3://{BUCKET}/nothing-here.parquet")
