"""The warehouse as Apache Iceberg tables in the AWS Glue catalog (resources/iceberg_tables.py):
what Athena engine v3 reads and writes natively, with atomic commits, partitions that separate
processes replace at the same time, and earlier snapshots readable.

It offers the narrow Warehouse contract (whole tables, written at once or chunk by chunk;
partitions, replaced at once or rebuilt chunk by chunk; keyed appends and upserts; filtered and
streamed reads) and `query` through Athena, not a DuckDB session: `connect()` and
`staged_tables` are not available here.

Credentials, as everywhere in this project, come only from the standard AWS chain; none is a
field here and none is logged.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import NoReturn

import boto3
import duckdb
import pandas as pd
import pyarrow as pa
from dagster_aws.athena import AthenaClient
from pydantic import Field, PrivateAttr

from resources.athena_query import run_query
from resources.iceberg_stage import IcebergPartitionStage
from resources.iceberg_tables import IcebergTableStore, MissingIcebergTable
from resources.staged_tables import PartitionStage
from resources.warehouse import Warehouse


class IcebergWarehouse(Warehouse):
    """Iceberg tables under s3://{bucket}/{prefix}/, registered in the Glue database `glue_database`."""

    bucket: str = Field(description="S3 bucket holding the tables' data and metadata (and Athena's results)")
    prefix: str = Field(default="iceberg", description="key prefix of the tables in the bucket")
    glue_database: str = Field(default="sentiment", description="Glue database the tables are registered in")
    region_name: str | None = Field(default=None, description="AWS region; None = the environment's")
    endpoint_url: str | None = Field(default=None, description="an S3/Glue/Athena-compatible endpoint; None = AWS")
    athena_workgroup: str = "primary"
    athena_output: str | None = Field(
        default=None, description="s3:// prefix for Athena results; default s3://{bucket}/athena-results/"
    )
    athena_polling_seconds: float = Field(default=1.0, description="longest wait between polls of a running query")
    athena_max_polls: int = 900
    partition_columns: dict[str, str] = Field(
        # Every table a landed file's run replaces or reads its own part of.
        default_factory=lambda: dict.fromkeys(
            ("raw_reviews", "rejected_reviews", "source_files", "batch_predictions"), "source_partition"
        ),
        description="table -> column each of whose values is an Iceberg partition (identity transform)",
    )

    _store: IcebergTableStore | None = PrivateAttr(default=None)

    def table_store(self) -> IcebergTableStore:
        if self._store is None:
            self._store = IcebergTableStore.for_glue(
                bucket=self.bucket,
                prefix=self.prefix,
                database=self.glue_database,
                region_name=self.region_name or _from_environment("AWS_REGION", "AWS_DEFAULT_REGION"),
                # boto3 (the Glue client) reads AWS_ENDPOINT_URL itself; pyiceberg's S3 file
                # access is told explicitly, so both reach the same S3-compatible server.
                endpoint_url=self.endpoint_url or _from_environment("AWS_ENDPOINT_URL"),
            )
        return self._store

    def athena_client(self) -> AthenaClient:
        client = boto3.session.Session().client("athena", region_name=self.region_name, endpoint_url=self.endpoint_url)
        return AthenaClient(
            client,
            workgroup=self.athena_workgroup,
            polling_interval=max(1, round(self.athena_polling_seconds)),
            max_polls=self.athena_max_polls,
        )

    # --- the Warehouse interface ------------------------------------------------------------

    def connect(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        raise NotImplementedError(
            "the Iceberg warehouse offers the narrow contract (read_table, write_table, replace_partition, "
            "append_new_keys, merge_by_key, query through Athena), not a DuckDB session"
        )

    def write_table(self, table: str, frame: pd.DataFrame | pa.Table) -> int:
        return self.table_store().write_table(table, _as_arrow(frame), self.partition_columns.get(table))

    def write_table_in_chunks(self, table: str, chunks: Iterable[pd.DataFrame]) -> int:
        return self.table_store().write_table_in_chunks(
            table, (_as_arrow(chunk) for chunk in chunks), self.partition_columns.get(table)
        )

    @contextmanager
    def staged_partition(self, column: str, value: str) -> Iterator[PartitionStage]:
        stage = IcebergPartitionStage(self.table_store(), column, value, self.partition_columns)
        try:
            yield _ArrowStage(stage)
            stage.commit()
        finally:
            stage.discard()

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame:
        try:
            arrow = self.table_store().read(table, columns, where)
        except MissingIcebergTable as error:
            _missing(error)
        return as_pandas(arrow)

    def read_batches(
        self,
        table: str,
        columns: list[str] | None = None,
        *,
        where: dict[str, object] | None = None,
        batch_rows: int = 65_536,
    ) -> Iterator[pd.DataFrame]:
        try:
            for batch in self.table_store().read_batches(table, columns, where, batch_rows):
                yield as_pandas(batch)
        except MissingIcebergTable as error:
            _missing(error)

    def table_columns(self, table: str) -> list[str]:
        try:
            return self.table_store().columns(table)
        except MissingIcebergTable as error:
            _missing(error)

    def replace_partition(self, table: str, column: str, value: str, frame: pd.DataFrame | pa.Table) -> int:
        return self.table_store().replace_partition(table, column, value, _as_arrow(frame))

    def append_new_keys(self, table: str, frame: pd.DataFrame | pa.Table, key: list[str]) -> int:
        return self.table_store().append_new_keys(table, _as_arrow(frame), key, self.partition_columns.get(table))

    def merge_by_key(self, table: str, frame: pd.DataFrame | pa.Table, key: list[str]) -> int:
        return self.table_store().merge_by_key(table, _as_arrow(frame), key, self.partition_columns.get(table))

    def drop_table(self, table: str) -> None:
        self.table_store().drop_table(table)

    def query(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        """Rows of a read-only query, run by Athena in the Glue database (Athena engine v3 reads
        the Iceberg tables natively)."""
        return run_query(
            self.athena_client(),
            sql,
            parameters,
            database=self.glue_database,
            output_location=self.athena_output or f"s3://{self.bucket}/athena-results/",
            polling_seconds=self.athena_polling_seconds,
        )

    def row_count(self, table: str) -> int:
        try:
            return self.table_store().row_count(table)
        except MissingIcebergTable as error:
            _missing(error)

    def table_exists(self, table: str) -> bool:
        return self.table_store().table_exists(table)

    def table_snapshots(self, table: str) -> list[tuple[int, int]]:
        try:
            return [(info.snapshot_id, info.timestamp_ms) for info in self.table_store().snapshots(table)]
        except MissingIcebergTable as error:
            _missing(error)


def _from_environment(*names: str) -> str | None:
    """The first of the standard AWS environment variables that is set (not a credential)."""
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def as_pandas(arrow: pa.Table) -> pd.DataFrame:
    """The rows as the other warehouses return them: timestamps in microseconds (Iceberg's
    unit), list columns as numpy arrays."""
    return arrow.to_pandas()


def _as_arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    return frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)


class MissingTableError(duckdb.CatalogException):
    """No such table in the Glue database; a CatalogException, as DuckDB's own would be."""


def _missing(error: MissingIcebergTable) -> NoReturn:
    """The contract's error for a missing table: a duckdb.CatalogException, as the other warehouses raise."""
    raise MissingTableError(str(error)) from error


class _ArrowStage:
    """The Iceberg stage taking pandas frames, as the PartitionStage protocol does."""

    def __init__(self, stage: IcebergPartitionStage):
        self._stage = stage

    @property
    def written(self) -> dict[str, int]:
        return self._stage.written

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self._stage.append(table, _as_arrow(frame))

    def delete(self, table: str, column: str, value: object) -> None:
        self._stage.delete(table, column, value)

    def rows_elsewhere(self, table: str) -> int:
        return self._stage.rows_elsewhere(table)
