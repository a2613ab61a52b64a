"""Provenance of raw partitions: the `source_files` table holds, for every file a partition read
whole, its content hash, size and ingestion time, with its row counts -- so a partition (and any
model trained on it) can be traced to the exact bytes it came from.

The hash is sha256 of the file's bytes as stored (a gzip file's compressed bytes), computed by
streaming in `locations.BLOCK_BYTES` blocks: memory stays flat whatever the file size. Ingest does
not hash again: `expand_location` hashed each file while listing it (an S3 object is hashed again
as it is downloaded, and refused if the two differ), and the reader's FileSummary carries it.
Framework-free, and no SQL: the warehouse is the Warehouse contract.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import locations
from .reader import FileSummary
from .schema import SourceError

if TYPE_CHECKING:
    from resources.warehouse import Warehouse

SOURCE_FILES = "source_files"
# Column -> dtype: the table's schema, fixed by the typed frames ingest stages.
SOURCE_FILE_COLUMNS: dict[str, str] = {
    "source_partition": "string",
    "source_file": "string",  # the value raw_reviews/rejected_reviews rows carry in their source_file
    "sha256": "string",  # lowercase hex
    "size_bytes": "int64",
    "ingested_at": "datetime64[us]",  # naive UTC: the ingestion time of the partition's rows
    "source_role": "string",
    "rows_read": "int64",
    "accepted": "int64",
    "rejected": "int64",
}


def file_sha256(location: str, s3_client: Any = None) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of one file's bytes as stored: a local path, or an
    s3://bucket/key object read through `s3_client` (the object's bytes, never its ETag, which is
    no content hash for a multipart upload)."""
    if not location.startswith("s3://"):
        with Path(location).open("rb") as handle:
            return _digest(handle)
    if s3_client is None:
        raise SourceError(location, "an s3:// location needs an S3 client (the storage resource's boto3 client)")
    bucket, _, key = location.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise SourceError(location, "an S3 object is s3://bucket/key")
    return _digest(s3_client.get_object(Bucket=bucket, Key=key)["Body"])


def source_file_rows(
    summaries: Iterable[FileSummary], partition: str, role: str, ingested_at: datetime
) -> pd.DataFrame:
    """One typed row per file read whole (summary ok); a file that failed contributed no rows to
    the partition and gets none here. With no summaries: the empty frame that fixes the types."""
    read = [s for s in summaries if s.ok]
    frame = pd.DataFrame(
        {
            "source_partition": [partition] * len(read),
            "source_file": [s.source_file for s in read],
            "sha256": [s.sha256 for s in read],
            "size_bytes": [s.size_bytes for s in read],
            "ingested_at": [ingested_at] * len(read),
            "source_role": [role] * len(read),
            "rows_read": [s.rows_read for s in read],
            "accepted": [s.accepted for s in read],
            "rejected": [s.rejected for s in read],
        }
    )
    return frame.astype(SOURCE_FILE_COLUMNS)


def partition_files(warehouse: Warehouse, partition: str) -> pd.DataFrame:
    """The partition's source_files rows, by file; none (typed) before anything was ingested."""
    if not warehouse.table_exists(SOURCE_FILES):
        return source_file_rows([], partition, "", datetime(1970, 1, 1))
    rows = warehouse.read_table(SOURCE_FILES, list(SOURCE_FILE_COLUMNS), where={"source_partition": partition})
    return rows.sort_values("source_file", ignore_index=True)


def _digest(stream: Any) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while block := stream.read(locations.BLOCK_BYTES):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size
