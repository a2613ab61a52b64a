"""The aws profile's artifact store: S3 through a local cache, against moto's S3 server on loopback."""

import json
import logging
import uuid
from pathlib import Path

import boto3
import dagster as dg
import pytest
from loopback_aws import KEY_ID, SECRET

from resources.artifacts import LocalArtifactStore
from resources.s3_artifacts import S3ArtifactStore, process_cache_dir


@pytest.fixture()
def bucket(aws) -> str:
    """A bucket of the test's own, with the test credentials in the environment."""
    name = f"artifacts-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=aws, region_name="us-east-1").create_bucket(Bucket=name)
    return name


def store_at(root: Path, bucket: str, endpoint: str) -> S3ArtifactStore:
    return S3ArtifactStore(bucket=bucket, root=str(root), endpoint_url=endpoint, region_name="us-east-1")


def s3_text(store: S3ArtifactStore, *parts: str) -> str | None:
    try:
        return store.client().get_object(Bucket=store.bucket, Key=store.key(*parts))["Body"].read().decode()
    except store.client().exceptions.NoSuchKey:
        return None


def record_puts(store: S3ArtifactStore) -> list[str]:
    puts = []
    store.client().meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: puts.append(params["Key"])
    )
    return puts


def test_a_file_written_through_path_is_uploaded_at_teardown_not_before(bucket, s3_endpoint, tmp_path):
    store = store_at(tmp_path, bucket, s3_endpoint)
    context = dg.build_init_resource_context()
    store.setup_for_execution(context)
    store.path("bias", "bias_report.md").write_text("# Bias report")
    assert s3_text(store, "bias", "bias_report.md") is None
    store.teardown_after_execution(context)
    assert s3_text(store, "bias", "bias_report.md") == "# Bias report"
    assert store.uri("bias", "bias_report.md") == f"s3://{bucket}/artifacts/bias/bias_report.md"


def test_dagster_runs_the_teardown_that_uploads_what_an_asset_wrote(bucket, s3_endpoint, tmp_path):
    @dg.asset
    def review_profile(artifacts: S3ArtifactStore) -> None:
        artifacts.path("profile", "words_per_review.png").write_bytes(b"\x89PNG fake")

    result = dg.materialize([review_profile], resources={"artifacts": store_at(tmp_path, bucket, s3_endpoint)})
    assert result.success
    store = store_at(tmp_path, bucket, s3_endpoint)
    assert (
        store.client().get_object(Bucket=bucket, Key="artifacts/profile/words_per_review.png")["Body"].read()
        == b"\x89PNG fake"
    )


def test_a_fresh_store_with_an_empty_cache_downloads_files_and_directories_on_path(bucket, s3_endpoint, tmp_path):
    writer = store_at(tmp_path / "first", bucket, s3_endpoint)
    writer.write_json("evaluation/evaluation.json", {"accuracy": 0.9})
    writer.write_bytes("landing/bundled/reviews.csv", b"id,text\n1,ok\n")
    writer.write_bytes("landing/bundled.bak", b"not part of the directory")

    reader = store_at(tmp_path / "second", bucket, s3_endpoint)
    puts = record_puts(reader)
    assert json.loads(reader.path("evaluation", "evaluation.json").read_text()) == {"accuracy": 0.9}
    bundled = reader.path("landing", "bundled")
    assert [p.name for p in bundled.iterdir()] == ["reviews.csv"]
    assert not (tmp_path / "second" / "landing" / "bundled.bak").exists()
    assert not reader.path("never", "written.txt").exists()
    assert reader.sync() == [] and puts == []  # downloads are not uploaded back


def test_write_json_uploads_at_once(bucket, s3_endpoint, tmp_path):
    store = store_at(tmp_path, bucket, s3_endpoint)
    path = store.write_json("model_card.json", {"name": "tfidf", "metrics": {"f1": 0.8}})
    assert path == tmp_path / "model_card.json"
    uploaded = s3_text(store, "model_card.json")
    assert uploaded is not None
    assert json.loads(uploaded) == {"metrics": {"f1": 0.8}, "name": "tfidf"}


def test_sync_uploads_new_and_changed_files_only(bucket, s3_endpoint, tmp_path):
    store = store_at(tmp_path, bucket, s3_endpoint)
    store.write_bytes("a.txt", b"one")
    store.path("b.txt").write_text("two")
    puts = record_puts(store)
    assert store.sync() == [f"s3://{bucket}/artifacts/b.txt"] and puts == ["artifacts/b.txt"]
    store.path("a.txt").write_text("one, longer")
    assert store.sync() == [f"s3://{bucket}/artifacts/a.txt"] and s3_text(store, "a.txt") == "one, longer"


def test_checkpoints_are_never_mirrored(bucket, s3_endpoint, tmp_path):
    store = store_at(tmp_path, bucket, s3_endpoint)
    store.path("checkpoints", "finetuned_minilm", "run1", "step-25.pt").write_bytes(b"weights")
    store.write_bytes("checkpoints/finetuned_minilm/run1/state.json", b"{}")
    assert store.sync() == []
    assert store.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert store.uri("checkpoints", "finetuned_minilm") == f"s3://{bucket}/artifacts/checkpoints/finetuned_minilm"


def test_no_credentials_appear_in_the_logs(bucket, s3_endpoint, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    store = store_at(tmp_path, bucket, s3_endpoint)
    store.write_json("bias/analysis.json", {"cdd": 0.1})
    store.path("bias", "report.md").write_text("report")
    store.sync()
    store_at(tmp_path / "fresh", bucket, s3_endpoint).path("bias", "analysis.json")
    assert f"uploaded s3://{bucket}/artifacts/bias/report.md" in caplog.text
    assert f"downloaded s3://{bucket}/artifacts/bias/analysis.json" in caplog.text
    assert SECRET not in caplog.text and KEY_ID not in caplog.text


def test_an_empty_root_is_a_temp_directory_of_this_process(bucket, s3_endpoint):
    store = S3ArtifactStore(bucket=bucket, endpoint_url=s3_endpoint)
    assert store.root == process_cache_dir() and Path(store.root).is_dir()
    assert store.path("x.txt").parent == Path(store.root)


def test_the_local_store_uri_is_the_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = LocalArtifactStore(root="artifacts")
    assert store.uri("bias", "report.md") == str(tmp_path / "artifacts" / "bias" / "report.md")
