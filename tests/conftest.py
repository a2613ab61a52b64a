"""Test-wide setup: no telemetry, no hub access, and every run's state in a temp directory; and
the fixtures several test modules share. A test asks for one by naming it as an argument; the
one-thread fixtures are for whole modules: `pytestmark = pytest.mark.usefixtures("...")`.

Helpers that are plain functions live in modules of their own beside this file (loopback_aws.py,
labelled_reviews.py, mlflow_store.py, tiny_bert.py, word_reviews.py,
source_files.py, landed_reviews.py, cli_helpers.py, pipeline_run.py), imported by name:
conftest.py itself is not imported."""

import pytest

from resources.environment import disable_telemetry

disable_telemetry()


# --- AWS: moto's server on loopback (tests/loopback_aws.py) ---


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3-compatible server (moto, with Glue and Athena) on loopback, for the real boto3 client
    code; one per test module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def aws(s3_endpoint, monkeypatch) -> str:
    """The test credentials in the environment (loopback_aws.KEY_ID and SECRET, which must never
    be logged); returns the server's URL, for clients given an explicit endpoint_url."""
    from loopback_aws import credentials

    for name, value in credentials().items():
        monkeypatch.setenv(name, value)
    return s3_endpoint


@pytest.fixture()
def aws_endpoint_env(aws, monkeypatch) -> str:
    """`aws`, and AWS_ENDPOINT_URL pointing at the server: a plain boto3.client("s3") finds it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    return aws


@pytest.fixture()
def iceberg_warehouse(aws, monkeypatch):
    """The aws profile's warehouse: Iceberg tables in the Glue catalog (resources/iceberg_warehouse.py),
    in a bucket and Glue database of their own, with Glue's optimistic locking restored in moto."""
    from iceberg_stand_ins import new_place, update_table_checking_version
    from loopback_aws import REGION
    from moto.glue.responses import GlueResponse

    from resources.iceberg_warehouse import IcebergWarehouse

    monkeypatch.setattr(GlueResponse, "update_table", update_table_checking_version(GlueResponse.update_table))
    place = new_place(aws)
    return IcebergWarehouse(
        bucket=place.bucket,
        prefix=place.prefix,
        glue_database=place.database,
        region_name=REGION,
        endpoint_url=aws,
        athena_polling_seconds=0.01,
    )


@pytest.fixture(params=["duckdb", "iceberg"])
def any_warehouse(request, tmp_path):
    """Each warehouse the profiles use, in turn: the local DuckDB file and the aws profile's Iceberg
    tables. Code written against the Warehouse contract must behave the same on both."""
    from resources.warehouse import DuckDBWarehouse

    if request.param == "duckdb":
        return DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    return request.getfixturevalue("iceberg_warehouse")


# --- Threads: on two cores shared with other test runs, spin-waiting threads make small models
# several times slower (measured). ---


@pytest.fixture(scope="module")
def torch_on_one_thread():
    """torch on one thread for the module (tiny_bert.one_torch_thread)."""
    from tiny_bert import one_torch_thread

    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def blas_on_one_thread():
    """BLAS and OpenMP held to one thread for the module: threads spin-waiting for busy cores
    made a 0.2 s logistic regression take 6 s."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


# --- Models and tracking ---


@pytest.fixture()
def temp_mlflow(tmp_path):
    """MLflow tracking on a SQLite store in tmp_path, experiment "tests" (mlflow_store.py); yields
    the store's folder: its artifacts are under artifacts/."""
    from mlflow_store import temporary_mlflow

    with temporary_mlflow(tmp_path):
        yield tmp_path


@pytest.fixture(scope="session")
def end_to_end_run(tmp_path_factory):
    """Every asset materialized once on a small synthetic sample (pipeline_run.py): a
    PipelineRun(home, resources, result) for test_pipeline_end_to_end.py, which checks what the
    run left, and then test_pipeline_follow_up_runs.py, which runs slices of it again."""
    from pipeline_run import run_pipeline

    return run_pipeline(tmp_path_factory.mktemp("sentiment_home"))


@pytest.fixture(scope="module")
def tiny_bert_classifier(tmp_path_factory):
    """A 2-layer, 32-wide BERT with random weights as a TransformerClassifier (tiny_bert.py), for
    scoring tests, which need no training."""
    from tiny_bert import tiny_classifier

    return tiny_classifier(tmp_path_factory.mktemp("tiny_bert"))
