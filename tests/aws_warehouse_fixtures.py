"""Fixtures of the S3 warehouse tests (not a test module): dummy credentials from the environment
for moto's loopback server, and a warehouse in a bucket and Glue database of its own."""

import uuid

import boto3
import pytest

from resources.s3_warehouse import S3ParquetWarehouse

SECRET = "secret-that-must-never-be-logged-7c1e"
KEY_ID = "AKIDNEVERLOGGED0451"


@pytest.fixture()
def aws(s3_endpoint, monkeypatch):
    # Test credentials for the loopback server only, from the environment as in production.
    for name, value in {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    return s3_endpoint


@pytest.fixture()
def warehouse(aws) -> S3ParquetWarehouse:
    """A warehouse in its own bucket and Glue database: the module's server state never leaks."""
    bucket = f"warehouse-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=aws, region_name="us-east-1").create_bucket(Bucket=bucket)
    return S3ParquetWarehouse(
        bucket=bucket,
        glue_database=f"sentiment_{uuid.uuid4().hex[:8]}",
        endpoint_url=aws,
        region_name="us-east-1",
        query_engine="duckdb",
        athena_polling_seconds=0.01,
    )
