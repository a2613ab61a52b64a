"""The dbt models through the `aws` target (dbt-athena), against moto's S3, Glue and Athena on loopback.

What is verified: the real dbt CLI, started by dagster-dbt's DbtCliResource with target `aws`,
parses the project with the athena adapter, reaches Athena, Glue and S3 through the standard AWS
environment (AWS_ENDPOINT_URL, region, credentials) and sends Athena one statement per model: a
view for staging, and for each mart a CTAS into an Iceberg table (Parquet data) at a fresh
location under the bucket (the SENTIMENT_DBT_S3_DATA_DIR default derived from
SENTIMENT_S3_BUCKET), in the Glue database SENTIMENT_GLUE_DATABASE names, reading the sources from
that database, in the workgroup SENTIMENT_ATHENA_WORKGROUP names, with results under
SENTIMENT_ATHENA_STAGING_DIR. The statements carry none of the DuckDB-only syntax listed below, and
the two expressions Trino evaluates differently from DuckDB are written portably. Replacing a table
of an earlier run (here: the Hive tables this project's dbt models were before they were Iceberg)
deletes the old files under that table's own location and nothing else in the bucket.

What is not verified: moto records each StartQueryExecution and reports it SUCCEEDED without
parsing or running it. So Trino never checks the SQL (names, types, functions), no Parquet is
written, and the CREATE statements register nothing in Glue. dbt's data tests are not run
(`dbt run`, not `dbt build`), because each test reads back a failure count and moto returns no rows.
IAM is not enforced.

The one workaround: the Glue catalog starts as an earlier run would have left it (the sources and
the six models). After CREATE VIEW, dbt-athena reads the view's Glue versions (GetTableVersions),
which exist only when Athena really ran the statement. With the entries present, dbt takes the path
of every run after the first (replace the view; drop and recreate each table), and that path is the
one tested here.
"""

import re
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING

import boto3
import pytest
import requests
from dagster_dbt import DbtCliResource

from resources.dbt import DBT_PROJECT_DIR
from resources.dbt_cli import dbt_executable

if TYPE_CHECKING:
    from mypy_boto3_athena.type_defs import QueryExecutionTypeDef
    from mypy_boto3_glue.type_defs import StorageDescriptorTypeDef, TableInputTypeDef

BUCKET, DATABASE, WORKGROUP = "sentiment-ci", "reviews_ci", "sentiment-ci-wg"
STAGING_DIR = f"s3://{BUCKET}/athena-staging/"
MARTS = ["cleaned_reviews", "excluded_reviews", "holdout_reviews", "reviews_by_category", "training_reviews"]
PYTHON_ASSET_FILE = "warehouse/raw_reviews/source_partition=bundled/data.parquet"
PARQUET: "StorageDescriptorTypeDef" = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
# SQL that DuckDB accepts and Athena (Trino) rejects, or that means something else there.
DUCKDB_ONLY = {
    "`::` cast": r"::",
    "ILIKE": r"\bilike\b",
    "QUALIFY": r"\bqualify\b",
    "JOIN ... USING": r"\busing\s*\(",
    "SELECT * EXCLUDE/REPLACE": r"\*\s*(exclude|replace)\s*\(",
    "DuckDB list functions": r"\blist(_\w+)?\s*\(",
    "string_agg": r"\bstring_agg\s*\(",
    "regexp_matches": r"\bregexp_matches\s*\(",
    "strftime": r"\bstrftime\s*\(",
    "DuckDB file readers": r"\bread_(parquet|csv|json)\w*\s*\(",
    "the DuckDB schema": r'"main"\.',
}


def glue_table(
    name: str, location: str | None, columns: dict[str, str], *, view: bool = False, partitions=()
) -> "TableInputTypeDef":
    descriptor: StorageDescriptorTypeDef = {"Columns": [{"Name": c, "Type": t} for c, t in columns.items()]}
    if not view:
        assert location is not None, f"the table {name} needs a location"
        descriptor = {**descriptor, "Location": location, **PARQUET}
    return {
        "Name": name,
        "TableType": "VIRTUAL_VIEW" if view else "EXTERNAL_TABLE",
        "StorageDescriptor": descriptor,
        "PartitionKeys": [{"Name": p, "Type": "string"} for p in partitions],
        "Parameters": {"presto_view": "true"} if view else {"classification": "parquet"},
    }


def seed_catalog() -> None:
    """The bucket, the workgroup and the Glue database as the aws profile expects them: the Python
    assets' two source tables, and the models' entries as an earlier dbt run left them."""
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    boto3.client("athena").create_work_group(
        Name=WORKGROUP,
        Configuration={"ResultConfiguration": {"OutputLocation": STAGING_DIR}, "EnforceWorkGroupConfiguration": False},
    )
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_table(
        DatabaseName=DATABASE,
        TableInput=glue_table(
            "raw_reviews",
            f"s3://{BUCKET}/warehouse/raw_reviews/",
            {"review_id": "string", "date": "timestamp", "review_body": "string", "star_rating": "bigint"},
            partitions=["source_partition"],
        ),
    )
    glue.create_table(
        DatabaseName=DATABASE,
        TableInput=glue_table(
            "human_labels", f"s3://{BUCKET}/warehouse/human_labels/", {"review_id": "string", "sentiment": "int"}
        ),
    )
    s3.put_object(Bucket=BUCKET, Key=PYTHON_ASSET_FILE, Body=b"written by raw_reviews")
    glue.create_table(
        DatabaseName=DATABASE, TableInput=glue_table("stg_reviews", None, {"review_id": "string"}, view=True)
    )
    for mart in MARTS:
        location = f"s3://{BUCKET}/warehouse/{mart}"
        glue.create_table(DatabaseName=DATABASE, TableInput=glue_table(mart, location, {"review_id": "string"}))
        s3.put_object(Bucket=BUCKET, Key=f"warehouse/{mart}/previous-run.parquet", Body=b"stale")


def recorded_queries() -> list["QueryExecutionTypeDef"]:
    """Every statement Athena received, in any workgroup, oldest first, as moto recorded it."""
    athena = boto3.client("athena")
    ids = [i for page in athena.get_paginator("list_query_executions").paginate() for i in page["QueryExecutionIds"]]
    executions = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    return sorted(executions, key=submitted_at)


def submitted_at(execution: "QueryExecutionTypeDef") -> datetime:
    assert "Status" in execution and "SubmissionDateTime" in execution["Status"], execution
    return execution["Status"]["SubmissionDateTime"]


def query_text(execution: "QueryExecutionTypeDef") -> str:
    assert "Query" in execution, execution
    return execution["Query"]


def node_of(query: str) -> str | None:
    """The model a statement belongs to, from the comment dbt puts in front of it."""
    match = re.search(r'"node_id": "model\.sentiment_reviews\.(\w+)"', query)
    return match.group(1) if match else None


@pytest.fixture(scope="module")
def athena_run(s3_endpoint, tmp_path_factory):
    """One `dbt run --target aws` against the loopback server, and what it left behind."""
    # moto walks each query QUEUED -> RUNNING -> SUCCEEDED, one step per status poll, and dbt-athena
    # sleeps a second between polls; report SUCCEEDED at once instead (no effect on what is sent).
    # moto's state lives in this process, shared with earlier modules' servers (their Athena
    # queries would count as dbt's): start from an empty account.
    requests.post(f"{s3_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    transition = {"model_name": "athena::execution"}
    requests.post(
        f"{s3_endpoint}/moto-api/state-manager/set-transition",
        json={**transition, "transition": {"progression": "immediate"}},
        timeout=10,
    ).raise_for_status()
    with pytest.MonkeyPatch.context() as env:
        # Test credentials for the loopback server only, from the environment as in production.
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": s3_endpoint,
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "SENTIMENT_PROFILE": "aws",
            "SENTIMENT_S3_BUCKET": BUCKET,
            "SENTIMENT_GLUE_DATABASE": DATABASE,
            "SENTIMENT_ATHENA_WORKGROUP": WORKGROUP,
            "SENTIMENT_ATHENA_STAGING_DIR": STAGING_DIR,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "SENTIMENT_DBT_S3_DATA_DIR"):
            env.delenv(name, raising=False)
        seed_catalog()
        dbt = DbtCliResource(project_dir=str(DBT_PROJECT_DIR), target="aws", dbt_executable=dbt_executable())
        invocation = dbt.cli(["run"], target_path=tmp_path_factory.mktemp("dbt_athena_target"), raise_on_error=False)
        invocation.wait()
        queries = recorded_queries()
        keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])}
        yield SimpleNamespace(
            succeeded=invocation.is_successful(),
            log=invocation.get_error() or "",
            queries=queries,
            by_model=_by_model(queries),
            keys=keys,
        )
    # moto's state lives in this process: leave none of it to other modules' servers.
    requests.post(f"{s3_endpoint}/moto-api/state-manager/unset-transition", json=transition, timeout=10)
    requests.post(f"{s3_endpoint}/moto-api/reset", timeout=10)


def _by_model(queries: list["QueryExecutionTypeDef"]) -> dict[str, str]:
    """The statement that builds each model (its CREATE), keyed by model name."""
    creates = {}
    for execution in queries:
        text = query_text(execution)
        model = node_of(text)
        if model and re.search(r"\bcreate\b", text, re.I):
            creates[model] = text
    return creates


def test_dbt_run_on_the_aws_target_succeeds_against_athena(athena_run):
    assert athena_run.succeeded, athena_run.log
    assert set(athena_run.by_model) == {"stg_reviews", *MARTS}


def test_staging_is_a_view_over_the_sources_in_the_glue_database(athena_run):
    view = athena_run.by_model["stg_reviews"]
    assert re.search(rf'create or replace view\s+"awsdatacatalog"\."{DATABASE}"\."stg_reviews"', view)
    assert f'from "awsdatacatalog"."{DATABASE}"."raw_reviews"' in view
    assert f'"awsdatacatalog"."{DATABASE}"."human_labels"' in athena_run.by_model["training_reviews"]


@pytest.mark.parametrize("mart", MARTS)
def test_each_mart_is_an_iceberg_table_at_a_location_of_its_own_under_the_bucket(athena_run, mart):
    create = athena_run.by_model[mart]
    # dbt-athena builds the new table beside the old one (`__ha`) and swaps the names when it is done.
    assert re.search(rf'create table "awsdatacatalog"\."{DATABASE}"\."{mart}(__ha)?"', create)
    assert "table_type='iceberg'" in create and "format='parquet'" in create
    # The default SENTIMENT_DBT_S3_DATA_DIR, s3://<SENTIMENT_S3_BUCKET>/iceberg/dbt/, beside the
    # Python assets' Iceberg tables; a fresh location per build, which Athena needs for Iceberg.
    assert re.search(rf"location='s3://{BUCKET}/iceberg/dbt/{DATABASE}/{mart}/[0-9a-f-]{{36}}'", create)


def test_no_statement_uses_duckdb_only_syntax(athena_run):
    sql = "\n".join(e["Query"] for e in athena_run.queries)
    found = {name: re.findall(pattern, sql, re.I) for name, pattern in DUCKDB_ONLY.items()}
    assert not {name: hits for name, hits in found.items() if hits}


def test_integer_arithmetic_is_written_the_way_trino_needs_it(athena_run):
    # Trino's || joins only strings, and integer / integer truncates; DuckDB forgives both.
    assert re.search(r"cast\(c\.reviews_in_category as varchar\)", athena_run.by_model["excluded_reviews"], re.I)
    assert "cast(count(*) as double) / sum(count(*))" in athena_run.by_model["reviews_by_category"]


def test_queries_run_in_the_configured_workgroup_with_results_in_the_staging_dir(athena_run):
    assert athena_run.queries
    assert {e["WorkGroup"] for e in athena_run.queries} == {WORKGROUP}
    assert all(e["ResultConfiguration"]["OutputLocation"].startswith(STAGING_DIR) for e in athena_run.queries)


def test_a_rerun_replaces_only_the_models_own_files(athena_run):
    assert not {k for k in athena_run.keys if k.endswith("previous-run.parquet")}
    assert PYTHON_ASSET_FILE in athena_run.keys
