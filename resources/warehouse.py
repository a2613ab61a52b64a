"""The analytical warehouse: one DuckDB file, shared with dbt-duckdb.

Python assets write and read whole tables here; dbt builds its models in the same file, so the
lineage raw_reviews -> dbt models -> features is one database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa


def quote_identifier(name: str) -> str:
    """Quote a table name for SQL; names come from code, but quoting keeps odd ones safe."""
    return '"' + name.replace('"', '""') + '"'


class DuckDBWarehouse(dg.ConfigurableResource):
    """Tables in a local DuckDB file (the aws profile uses S3 + Athena instead)."""

    path: str
    schema_name: str = "main"

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # Always the same configuration: DuckDB refuses a read-only connection to a file this
        # process already has open read-write (dbt-duckdb's adapter keeps one open after a build,
        # when dagster-dbt fetches row counts and column lineage).
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(self.path)
        try:
            yield connection
        finally:
            connection.close()

    def _qualified(self, table: str) -> str:
        return f"{quote_identifier(self.schema_name)}.{quote_identifier(table)}"

    def write_table(self, table: str, frame: pd.DataFrame | pa.Table) -> int:
        """Replace `table` with `frame`; returns the row count written."""
        arrow = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        with self.connect() as connection:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(self.schema_name)}")
            connection.register("incoming_frame", arrow)
            connection.execute(f"CREATE OR REPLACE TABLE {self._qualified(table)} AS SELECT * FROM incoming_frame")
            connection.unregister("incoming_frame")
        return arrow.num_rows

    def write_table_in_chunks(self, table: str, chunks: Iterable[pd.DataFrame]) -> int:
        """Stream `chunks` into a staging table, then swap it in: readers never see half a table."""
        staging = f"{table}__staging"
        written = 0
        with self.connect() as connection:
            connection.execute(f"DROP TABLE IF EXISTS {self._qualified(staging)}")
            for chunk in chunks:
                connection.register("incoming_chunk", pa.Table.from_pandas(chunk, preserve_index=False))
                if written == 0:
                    connection.execute(f"CREATE TABLE {self._qualified(staging)} AS SELECT * FROM incoming_chunk")
                else:
                    connection.execute(f"INSERT INTO {self._qualified(staging)} SELECT * FROM incoming_chunk")
                connection.unregister("incoming_chunk")
                written += len(chunk)
            if written == 0:
                raise ValueError(f"no rows to write to {table}")
            connection.execute("BEGIN TRANSACTION")
            connection.execute(f"DROP TABLE IF EXISTS {self._qualified(table)}")
            connection.execute(f"ALTER TABLE {self._qualified(staging)} RENAME TO {quote_identifier(table)}")
            connection.execute("COMMIT")
        return written

    def read_table(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        selected = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
        with self.connect() as connection:
            return connection.execute(f"SELECT {selected} FROM {self._qualified(table)}").df()

    def query(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        with self.connect() as connection:
            return connection.execute(sql, parameters or []).df()

    def row_count(self, table: str) -> int:
        with self.connect() as connection:
            return int(connection.execute(f"SELECT count(*) FROM {self._qualified(table)}").fetchone()[0])

    def table_exists(self, table: str) -> bool:
        if not Path(self.path).exists():
            return False
        with self.connect() as connection:
            found = connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [self.schema_name, table],
            ).fetchone()[0]
        return bool(found)
