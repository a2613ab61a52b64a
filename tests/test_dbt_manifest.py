"""The dbt manifest is prepared once per change of the dbt project, never at import; the run's
target comes from the dbt resource; the DuckDB file is released without dbt-duckdb's internals."""

import json
import shutil
import threading

import dagster as dg
import duckdb
import pytest

import resources.dbt as dbt_manifest
from resources.dbt import DBT_PROJECT_DIR, DbtManifestNotPrepared, project_fingerprint
from resources.dbt_cli import SentimentDbtCliResource, dbt_executable


@pytest.fixture
def project_copy(tmp_path):
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


def test_the_fingerprint_follows_the_project_files_and_nothing_dbt_writes(project_copy):
    before = project_fingerprint(project_copy)
    (project_copy / "target").mkdir()
    (project_copy / "target" / "manifest.json").write_text("{}")
    (project_copy / "logs").mkdir()
    (project_copy / "logs" / "dbt.log").write_text("a log line")
    assert project_fingerprint(project_copy) == before

    model = project_copy / "models" / "marts" / "cleaned_reviews.sql"
    model.write_text(model.read_text() + "\n-- an edit\n")
    edited = project_fingerprint(project_copy)
    assert edited != before
    model.touch()  # a newer file with the same contents changes nothing
    assert project_fingerprint(project_copy) == edited


def test_the_checked_in_project_has_a_current_manifest():
    """`make prepare` (run by make install/test/demo) has prepared it, or this session did."""
    assert dbt_manifest.manifest_is_current(), "run `python -m resources.dbt`"
    key = json.loads(dbt_manifest.MANIFEST_KEY_PATH.read_text())
    assert key == {"fingerprint": project_fingerprint(), "target": "local"}


def test_a_current_manifest_is_used_as_it_is_even_under_the_dev_cli(monkeypatch):
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")  # what `dg launch` and `dagster dev` set
    monkeypatch.setattr(dbt_manifest, "manifest_is_current", lambda: True)
    monkeypatch.setattr(dbt_manifest, "parse_project", _refuse)
    project = dbt_manifest.prepared_dbt_project()
    assert project.manifest_path == dbt_manifest.MANIFEST_PATH and project.target is None


def test_an_outdated_manifest_is_an_error_naming_the_command_outside_the_dev_cli(monkeypatch):
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    monkeypatch.setattr(dbt_manifest, "manifest_is_current", lambda: False)
    monkeypatch.setattr(dbt_manifest, "parse_project", _refuse)
    with pytest.raises(DbtManifestNotPrepared, match=r"python -m resources\.dbt"):
        dbt_manifest.prepared_dbt_project()


def test_the_dev_cli_prepares_an_outdated_manifest_once(monkeypatch):
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    monkeypatch.setattr(dbt_manifest, "manifest_is_current", lambda: False)
    prepared = []
    monkeypatch.setattr(dbt_manifest, "prepare_manifest", lambda **kw: prepared.append(kw) or True)
    dbt_manifest.prepared_dbt_project()
    assert prepared == [{}]


def test_a_run_on_the_prepared_target_and_file_uses_the_prepared_manifest(tmp_path, monkeypatch):
    monkeypatch.setattr(dbt_manifest, "parse_project", _refuse)
    local = _dbt(duckdb_path=str(tmp_path / "warehouse.duckdb"))
    assert dbt_manifest.manifest_for_run(local) is None


def test_a_run_on_another_duckdb_file_resolves_relations_in_it(tmp_path):
    """dagster-dbt counts rows by the manifest's relation names: those of the run's own file."""
    manifest = dbt_manifest.manifest_for_run(_dbt(duckdb_path=str(tmp_path / "elsewhere.duckdb")))
    assert manifest is not None
    relation = manifest["nodes"]["model.sentiment_reviews.cleaned_reviews"]["relation_name"]
    assert relation == '"elsewhere"."main"."cleaned_reviews"'
    prepared = json.loads(dbt_manifest.MANIFEST_PATH.read_text())
    assert set(manifest["nodes"]) == set(prepared["nodes"])
    assert not (tmp_path / "elsewhere.duckdb").exists()  # parsing opens no database


def test_a_run_on_the_aws_target_resolves_relations_in_athena_at_run_time(monkeypatch):
    """The target is the resource's, read when the asset runs; Athena's names come from its env."""
    monkeypatch.setenv("SENTIMENT_GLUE_DATABASE", "reviews_ci")
    aws = SentimentDbtCliResource(project_dir=str(DBT_PROJECT_DIR), target="aws", dbt_executable=dbt_executable())
    manifest = dbt_manifest.manifest_for_run(aws)
    assert manifest is not None
    assert manifest["metadata"]["adapter_type"] == "athena"
    relation = manifest["nodes"]["model.sentiment_reviews.cleaned_reviews"]["relation_name"]
    assert relation == '"awsdatacatalog"."reviews_ci"."cleaned_reviews"'


def test_the_duckdb_file_is_ours_again_once_dbt_releases_it(tmp_path):
    """dagster-dbt reads row counts through a read-only adapter in this process, from threads;
    afterwards our read-write connections must open the same file."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE t AS SELECT 1 AS x")
    invocation = _dbt(duckdb_path=str(path)).cli(["debug", "--config-dir"], target_path=tmp_path / "target")
    invocation.wait()
    adapter = invocation.adapter
    assert adapter is not None

    def count() -> None:
        with adapter.connection_named("row_count"):
            adapter.execute("SELECT count(*) FROM main.t", fetch=True)

    worker = threading.Thread(target=count)
    worker.start()
    worker.join()
    dbt_manifest.release_duckdb_adapter()
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_dbt_models_on_the_prepared_manifest_report_row_counts_and_hand_the_file_back(tmp_path):
    from resources.environment import Profile
    from resources.profiles import resources_for
    from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions
    from sentiment_assets.defs.ingest_analyze.raw_reviews import raw_reviews
    from sentiment_assets.defs.prepare_transform.dbt_models import dbt_models

    resources = resources_for(Profile.LOCAL, home=tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, [BUNDLED_PARTITION])
    raw_config = {"ops": {"raw_reviews": {"config": {"synthetic_rows": 400}}}}
    ingest = [raw_reviews, dbt_models]
    assert dg.materialize(
        ingest,
        selection="raw_reviews",
        resources=resources,
        instance=instance,
        partition_key=BUNDLED_PARTITION,
        run_config=raw_config,
    ).success
    # stg_reviews and cleaned_reviews: the models that need nothing but raw_reviews.
    models = dg.AssetSelection.assets("stg_reviews", "cleaned_reviews")
    built = dg.materialize(ingest, selection=models, resources=resources, instance=instance)
    assert built.success
    cleaned = next(
        e.materialization.metadata
        for e in built.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey("cleaned_reviews")
    )
    rows = cleaned["dagster/row_count"].value
    assert isinstance(rows, int) and rows > 0
    spec = next(s for s in dbt_models.specs if s.key == dg.AssetKey("cleaned_reviews"))
    assert spec.metadata["dagster/table_name"] == "cleaned_reviews"  # as every target names it
    resources["warehouse"].write_table("after_dbt", resources["warehouse"].read_table("cleaned_reviews"))


def _dbt(**fields) -> SentimentDbtCliResource:
    return SentimentDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), target="local", dbt_executable=dbt_executable(), **fields
    )


def _refuse(*args, **kwargs):
    raise AssertionError("dbt parse ran")
