"""The aws profile's warehouse: tables as Parquet on S3, registered in the AWS Glue catalog,
queried with Athena (or, for SQL written for DuckDB, in-process DuckDB over the same objects).

The assets are the same as with DuckDBWarehouse: `connect()` yields a DuckDB connection whose
tables are the S3 tables, downloaded when a statement first names them, and written back --
only what changed, per partition for partitioned tables -- when the block ends without error
(resources/lazy_session.py). Partitioned tables (raw_reviews, batch_predictions by source file)
keep one Parquet object per partition value, so runs scoring different partitions in different
processes write disjoint objects.

Credentials, like everywhere in this project, come only from the standard AWS chain (environment,
profile, instance role); none is a field here and none is logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Literal, cast

import boto3
import duckdb
import pandas as pd
import pyarrow as pa
from dagster_aws.athena import AthenaClient, AthenaClientResource
from dagster_aws.s3 import S3Resource
from pydantic import Field, PrivateAttr

from resources.athena_query import run_query
from resources.lazy_session import LazyConnection, LazySession
from resources.s3_tables import MissingTableError, S3TableStore
from resources.warehouse import Warehouse, column_names, select_rows
from sentiment_assets.sql import quote_identifier, single_value


class S3ParquetWarehouse(Warehouse):
    """Parquet tables under s3://{bucket}/{prefix}/{table}/, in the Glue database `glue_database`."""

    bucket: str = Field(description="S3 bucket holding the tables (and, by default, Athena's results)")
    prefix: str = Field(default="warehouse", description="key prefix of the tables in the bucket")
    glue_database: str = Field(default="sentiment", description="Glue database the tables are registered in")
    region_name: str | None = Field(default=None, description="AWS region; None = the environment's")
    endpoint_url: str | None = Field(default=None, description="an S3/Glue/Athena-compatible endpoint; None = AWS")
    query_engine: Literal["athena", "duckdb"] = Field(
        default="athena", description="who runs query(): Athena, or DuckDB in this process over the downloaded tables"
    )
    athena_workgroup: str = "primary"
    athena_output: str | None = Field(
        default=None, description="s3:// prefix for Athena results; default s3://{bucket}/athena-results/"
    )
    athena_polling_seconds: float = Field(default=1.0, description="longest wait between polls of a running query")
    athena_max_polls: int = 900
    partition_columns: dict[str, str] = Field(
        default_factory=lambda: {"raw_reviews": "source_partition", "batch_predictions": "source_partition"},
        description="table -> column whose values each get their own Parquet object and Glue partition",
    )

    _store: S3TableStore | None = PrivateAttr(default=None)

    # --- clients ----------------------------------------------------------------------------

    def table_store(self) -> S3TableStore:
        if self._store is None:
            s3 = S3Resource(region_name=self.region_name, endpoint_url=self.endpoint_url).get_client()
            glue = boto3.session.Session().client("glue", region_name=self.region_name, endpoint_url=self.endpoint_url)
            self._store = S3TableStore(s3, glue, self.bucket, self.prefix, self.glue_database)
        return self._store

    def athena_client(self) -> AthenaClient:
        """dagster-aws's Athena client: its boto3 client, workgroup and polling settings."""
        resource = AthenaClientResource(
            workgroup=self.athena_workgroup,
            max_polls=self.athena_max_polls,
            polling_interval=max(1, round(self.athena_polling_seconds)),
        )
        if self.region_name is None and self.endpoint_url is None:
            return resource.get_client()  # region and endpoint from the environment, as boto3 finds them
        client = boto3.session.Session().client("athena", region_name=self.region_name, endpoint_url=self.endpoint_url)
        return AthenaClient(
            client,
            workgroup=resource.workgroup,
            polling_interval=resource.polling_interval,
            max_polls=resource.max_polls,
        )

    # --- sessions ---------------------------------------------------------------------------

    @contextmanager
    def _session(self, upload: bool) -> Iterator[LazyConnection]:
        session = LazySession(self.table_store(), self.partition_columns)
        try:
            yield session.connection
        except BaseException:
            session.finish(upload=False)  # a failed block changes nothing on S3
            raise
        session.finish(upload=upload)

    def connect(self) -> AbstractContextManager[LazyConnection]:
        """A DuckDB connection over the S3 tables; changes are uploaded when the block exits cleanly."""
        return self._session(upload=True)

    @contextmanager
    def _reading(self, table: str) -> Iterator[LazyConnection]:
        """A read-only session in which `table` exists; a clear error naming where it would be if not."""
        with self._session(upload=False) as connection:
            if table.lower() not in connection.remote_tables():
                store = self.table_store()
                raise MissingTableError(
                    f"no table {table!r} in Glue database {self.glue_database!r} "
                    f"(its Parquet would be under {store.location(table)}); materialize it first"
                )
            yield connection

    # --- the Warehouse interface ------------------------------------------------------------

    def write_table(self, table: str, frame: pd.DataFrame | pa.Table) -> int:
        arrow = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        with self.connect() as connection:
            connection.register("incoming_frame", arrow)
            connection.execute(
                f"CREATE OR REPLACE TABLE {quote_identifier(table)} AS SELECT * FROM incoming_frame"
            ).fetchall()
            connection.unregister("incoming_frame")
        return arrow.num_rows

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame:
        with self._reading(table) as connection:
            return select_rows(_as_duckdb(connection), quote_identifier(table), columns, where)

    def table_columns(self, table: str) -> list[str]:
        # The session's tables are created from the Glue definitions: nothing is downloaded.
        with self._reading(table) as connection:
            return column_names(_as_duckdb(connection), "main", table)

    def query(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        if self.query_engine == "duckdb":
            with self._session(upload=False) as connection:
                return connection.execute(sql, parameters or []).df()
        output = self.athena_output or f"s3://{self.bucket}/athena-results/"
        return run_query(
            self.athena_client(),
            sql,
            parameters,
            database=self.glue_database,
            output_location=output,
            polling_seconds=self.athena_polling_seconds,
        )

    def row_count(self, table: str) -> int:
        with self._reading(table) as connection:
            return int(single_value(connection.execute(f"SELECT count(*) FROM {quote_identifier(table)}").fetchone()))

    def table_exists(self, table: str) -> bool:
        return self.table_store().get(table) is not None


def _as_duckdb(connection: LazyConnection) -> duckdb.DuckDBPyConnection:
    """The session's connection as the DuckDB connection it stands in for (same methods)."""
    return cast("duckdb.DuckDBPyConnection", connection)
