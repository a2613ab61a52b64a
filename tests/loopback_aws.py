"""AWS for the tests: moto's S3 (and Glue, Athena) server on loopback, never real AWS (not a test
module; conftest.py's fixtures `s3_endpoint`, `aws`, `aws_endpoint_env` and `iceberg_warehouse` are
built on it). Credentials come from the environment, as in production."""

import contextlib
from collections.abc import Iterator

# Dummy credentials that must never reach a log line: the tests that check logs search for them.
KEY_ID = "AKIDNEVERLOGGED0451"
SECRET = "secret-that-must-never-be-logged-7c1e"
REGION = "us-east-1"


def credentials(endpoint: str | None = None) -> dict[str, str]:
    """The environment variables of the test credentials; with `endpoint`, AWS_ENDPOINT_URL too,
    so that a plain `boto3.client("s3")` (as the training entry point makes it) finds the server."""
    env = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": REGION}
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


@contextlib.contextmanager
def fresh_bucket(client, name: str, versioned: bool = False) -> Iterator[None]:
    """A new bucket `name` while inside, then emptied (every version, when versioned) and deleted:
    moto's state lives as long as the module's server, so the next test starts from nothing."""
    client.create_bucket(Bucket=name)
    if versioned:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    try:
        yield
    finally:
        if versioned:
            listing = client.list_object_versions(Bucket=name)
            for item in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
                client.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
        else:
            for item in client.list_objects_v2(Bucket=name).get("Contents", []):
                client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)
