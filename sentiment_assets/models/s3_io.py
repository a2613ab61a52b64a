"""Training inputs and outputs that live on a local disk or on S3 (`s3://bucket/key`), so that a
training pod needs nothing but its image, its environment and access to a bucket.

The boto3 client is configured by the environment as every AWS tool is: AWS_ENDPOINT_URL (an
S3-compatible server), AWS_REGION / AWS_DEFAULT_REGION and the credentials (the pod's IAM role,
or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Nothing here reads or logs a credential.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

S3_SCHEME = "s3://"


def is_s3(location: str | Path) -> bool:
    return str(location).startswith(S3_SCHEME)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of `s3://bucket/key`; the key may be empty (the bucket's top)."""
    bucket, _, key = uri[len(S3_SCHEME) :].partition("/")
    if not (is_s3(uri) and bucket):
        raise ValueError(f"an S3 location is s3://bucket/key, got {uri!r}")
    return bucket, key.strip("/")


def s3_client():
    import boto3  # only S3 locations need it

    return boto3.client("s3")


def read_parquet(location: str | Path, client=None) -> pd.DataFrame:
    """A Parquet file from a local path or an S3 object."""
    if not is_s3(location):
        return pd.read_parquet(location)
    bucket, key = split_s3_uri(str(location))
    body = (client or s3_client()).get_object(Bucket=bucket, Key=key)["Body"].read()
    return pd.read_parquet(io.BytesIO(body))


def upload_directory(directory: Path, uri: str, client=None) -> list[str]:
    """Every file under `directory` to the S3 prefix `uri`, keeping relative paths, in the order
    they were written (so the file a writer finishes with is also the last object to appear).
    Returns the keys written."""
    bucket, prefix = split_s3_uri(uri)
    client = client or s3_client()
    files = sorted((p for p in directory.rglob("*") if p.is_file()), key=lambda p: (p.stat().st_mtime_ns, p.as_posix()))
    keys = []
    for path in files:
        key = "/".join(part for part in (prefix, path.relative_to(directory).as_posix()) if part)
        client.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys


def download_directory(uri: str, directory: Path, client=None) -> list[Path]:
    """Every object under the S3 prefix `uri` into `directory`, keeping relative paths (e.g. a
    remote run's output directory, to load the model from). Returns the files written."""
    bucket, prefix = split_s3_uri(uri)
    client = client or s3_client()
    key_prefix = f"{prefix}/" if prefix else ""
    written = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key_prefix):
        for item in page.get("Contents", []):
            target = Path(directory, item["Key"][len(key_prefix) :])
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, item["Key"], str(target))
            written.append(target)
    return written


def delete_prefix(uri: str, client=None) -> int:
    """Delete every object under the S3 prefix `uri` (e.g. a finished run's checkpoints);
    returns how many there were."""
    bucket, prefix = split_s3_uri(uri)
    client = client or s3_client()
    deleted = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:  # a page holds at most 1000 keys, as many as one delete_objects takes
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
            deleted += len(keys)
    return deleted


@contextlib.contextmanager
def output_directory(location: str | Path) -> Iterator[Path]:
    """A local directory to write outputs into: `location` itself, or for an s3:// location a
    temporary one uploaded there when the block ends without an error (and removed after)."""
    if not is_s3(location):
        yield Path(location)
        return
    with tempfile.TemporaryDirectory(prefix="training-output-") as scratch:
        yield Path(scratch)
        upload_directory(Path(scratch), str(location))
