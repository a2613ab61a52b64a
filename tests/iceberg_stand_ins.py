"""Iceberg tables for the tests (not a test module): a store in a bucket and Glue database of its
own on moto's loopback server, rows of reviews, the writer that the concurrency test starts in
separate processes (spawned: it imports only this module and what it names), and Glue's
optimistic locking, which moto's server lacks."""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import boto3
import pyarrow as pa
from loopback_aws import REGION
from moto.glue.exceptions import GlueClientError
from moto.glue.responses import GlueResponse

from resources.iceberg_stage import IcebergPartitionStage
from resources.iceberg_tables import IcebergTableStore


@dataclass(frozen=True)
class StorePlace:
    """Where a store's tables are: enough to open the same store in another process."""

    endpoint: str
    bucket: str
    prefix: str
    database: str

    def open(self) -> IcebergTableStore:
        return IcebergTableStore.for_glue(
            bucket=self.bucket,
            prefix=self.prefix,
            database=self.database,
            region_name=REGION,
            endpoint_url=self.endpoint,
        )


def new_place(endpoint: str) -> StorePlace:
    """A new bucket and Glue database name on the server: tests never see each other's tables."""
    bucket = f"iceberg-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION).create_bucket(Bucket=bucket)
    return StorePlace(endpoint, bucket, "lake", f"sentiment_{uuid.uuid4().hex[:8]}")


def reviews(partition: str, ids: list[str], sentiment: int = 1) -> pa.Table:
    """Rows of a small reviews table, all in `partition`."""
    return pa.table(
        {
            "review_id": pa.array(ids, pa.string()),
            "source_partition": pa.array([partition] * len(ids), pa.string()),
            "sentiment": pa.array([sentiment] * len(ids), pa.int64()),
        }
    )


def replace_partition_when_both_are_ready(place: StorePlace, partition: str, rows: int, barrier) -> None:
    """In a child process: open the store, wait for the other writer, then replace `partition`."""
    store = place.open()
    ids = [f"{partition}-{i}" for i in range(rows)]
    barrier.wait(timeout=120)
    store.replace_partition("reviews", "source_partition", partition, reviews(partition, ids))


def stage_partition_when_both_are_ready(place: StorePlace, partition: str, rows: int, barrier) -> None:
    """In a child process: stage `partition` in two chunks (as ingest does), wait for the other
    writer, then commit the stage."""
    store = place.open()
    stage = IcebergPartitionStage(store, "source_partition", partition, {"reviews": "source_partition"})
    try:
        half = rows // 2
        stage.append("reviews", reviews(partition, [f"{partition}-{i}" for i in range(half)]))
        stage.append("reviews", reviews(partition, [f"{partition}-{i}" for i in range(half, rows)]))
        barrier.wait(timeout=120)
        stage.commit()
    finally:
        stage.discard()


class ConcurrentModificationException(GlueClientError):
    def __init__(self, message: str):
        super().__init__("ConcurrentModificationException", message)


def update_table_checking_version(original: Callable) -> Callable:
    """moto's GlueResponse.update_table made to honour UpdateTable's VersionId as AWS Glue does:
    an update from a version that is no longer the table's current one is refused with
    ConcurrentModificationException (pyiceberg's CommitFailedException). moto 5.2 ignores
    VersionId, so of two writers committing at once the second silently drops the first's
    snapshot: with this, the loser sees the conflict, as it would on AWS."""
    lock = threading.Lock()  # the server answers requests on several threads

    def update_table(response: GlueResponse):
        version = response.parameters.get("VersionId")
        database = str(response.parameters.get("DatabaseName"))
        table = str(cast(dict, response.parameters.get("TableInput"))["Name"])
        with lock:
            current = response.glue_backend.get_table(database, table).as_dict()["VersionId"]
            if version is not None and str(version) != str(current):
                raise ConcurrentModificationException(
                    f"table {database}.{table} is at version {current}, not {version}"
                )
            return original(response)

    return update_table
