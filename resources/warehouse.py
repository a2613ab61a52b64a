"""The analytical warehouse: one DuckDB file, shared with dbt-duckdb (the local profile).

Python assets write and read whole tables here; dbt builds its models in the same file, so the
lineage raw_reviews -> dbt models -> features is one database. `Warehouse` is the contract the
assets rely on (reads, writes and partition replaces; no SQL); the aws profile's IcebergWarehouse
(resources/iceberg_warehouse.py) offers the same on Apache Iceberg tables in the Glue catalog.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
from pydantic import PrivateAttr

from resources.staged_tables import STAGING_SUFFIX, CarryingPartitionStage, PartitionStage, StagedTables
from sentiment_assets.sql import quote_identifier, single_value


class Warehouse(dg.ConfigurableResource):
    """Named tables the assets write and read, whatever holds them: a DuckDB file, or Iceberg
    tables in the Glue catalog. Every profile's warehouse implements these methods."""

    def connect(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A DuckDB connection whose tables are the warehouse's, on which the DuckDB warehouse
        builds the contract's methods (no asset or domain module uses it: the Iceberg warehouse
        has none)."""
        raise NotImplementedError

    def write_table(self, table: str, frame: pd.DataFrame | pa.Table) -> int:
        """Replace `table` with `frame`; returns the row count written."""
        raise NotImplementedError

    def write_table_in_chunks(self, table: str, chunks: Iterable[pd.DataFrame]) -> int:
        """Stream `chunks` into a staging table, then swap it in: readers never see half a table."""
        with self.staged_tables() as stage:
            for chunk in chunks:
                stage.append(table, chunk)
            if stage.rows(table) == 0:
                raise ValueError(f"no rows to write to {table}")
        return stage.written[table]

    @contextmanager
    def staged_tables(self) -> Iterator[StagedTables]:
        """Build whole tables chunk by chunk in staging tables and swap them all in at the end, in
        one transaction; if the block raises, the previous tables stay as they were (and, on S3,
        nothing is uploaded: `connect` keeps changes only on a clean exit)."""
        with self.connect() as connection:
            stage = StagedTables(connection, self._qualified)
            try:
                yield stage
            except BaseException:
                stage.drop_all()
                raise
            stage.swap_in()

    @contextmanager
    def staged_partition(self, column: str, value: str) -> Iterator[PartitionStage]:
        """Rebuild partition `value` of `column` in several tables chunk by chunk: `append` rows
        of the partition, `delete` staged rows (of a file that broke part-way); on a clean exit
        each table's rows of that partition are replaced by what was staged, and its other rows
        stay. If the block raises, nothing changes. (Here: staging tables swapped in together in
        one transaction, the other partitions' rows carried into them.)"""
        with self.staged_tables() as stage:
            yield CarryingPartitionStage(stage, column, value)

    def _qualified(self, table: str) -> str:
        """The table's name as SQL in a `connect()` session."""
        return quote_identifier(table)

    def _schema(self) -> str:
        """The schema the tables live in, in a `connect()` session."""
        return "main"

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame:
        """`table`'s rows (only `columns`, in that order, when given); `where` keeps the rows whose
        column equals a value, or is one of a list or tuple of values (an empty list keeps none)."""
        raise NotImplementedError

    def read_batches(
        self,
        table: str,
        columns: list[str] | None = None,
        *,
        where: dict[str, object] | None = None,
        batch_rows: int = 65_536,
    ) -> Iterator[pd.DataFrame]:
        """`read_table`'s rows in frames of at most `batch_rows` rows, so that memory holds one
        frame at a time however large the table (this default reads the whole slice first; the
        DuckDB and Iceberg warehouses stream it)."""
        frame = self.read_table(table, columns, where=where)
        for start in range(0, len(frame), batch_rows):
            yield frame.iloc[start : start + batch_rows].reset_index(drop=True)

    def table_columns(self, table: str) -> list[str]:
        """`table`'s column names in order; an error naming the table when there is none."""
        raise NotImplementedError

    def replace_partition(self, table: str, column: str, value: str, frame: pd.DataFrame | pa.Table) -> int:
        """Swap the rows whose `column` is `value` for `frame`, in one transaction (rows of other
        values stay). Every row of `frame` must have that value. Creates the table if missing;
        returns the rows written."""
        arrow = _as_arrow(frame)
        _require_columns(arrow, [column], table)
        with self.connect() as connection, _registered(connection, arrow) as incoming:
            column_text = f"CAST({quote_identifier(column)} AS VARCHAR)"
            stray = _count(
                connection, f"SELECT count(*) FROM {incoming} WHERE {column_text} IS DISTINCT FROM ?", [value]
            )
            if stray:
                raise ValueError(
                    f"replace_partition({table!r}): {stray} row(s) of the frame have {column} other than {value!r}"
                )
            with _transaction(connection):
                if not self._create_if_missing(connection, table, incoming):
                    qualified = self._qualified(table)
                    connection.execute(f"DELETE FROM {qualified} WHERE {column_text} = ?", [value]).fetchall()
                    connection.execute(f"INSERT INTO {qualified} BY NAME SELECT * FROM {incoming}").fetchall()
        return arrow.num_rows

    def append_new_keys(self, table: str, frame: pd.DataFrame | pa.Table, key: list[str]) -> int:
        """Insert the rows of `frame` whose `key` the table does not hold yet (rows already there
        stay as they are). A key twice in `frame` is an error. Creates the table if missing;
        returns the rows inserted. A row that a unique constraint of the table refuses (tables
        created with a primary key before this contract) is skipped too, not an error."""
        arrow = _as_arrow(frame)
        _require_columns(arrow, key, table)
        with self.connect() as connection, _registered(connection, arrow) as incoming:
            _refuse_duplicate_keys(connection, incoming, key, table)
            with _transaction(connection):
                if self._create_if_missing(connection, table, incoming):
                    return arrow.num_rows
                qualified = self._qualified(table)
                constrained = _has_unique_constraint(connection, self._schema(), table)
                return _count(
                    connection,
                    f"INSERT INTO {qualified} BY NAME SELECT * FROM {incoming} AS incoming "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {qualified} AS existing WHERE {_same_key(key)})"
                    + (" ON CONFLICT DO NOTHING" if constrained else ""),
                )

    def merge_by_key(self, table: str, frame: pd.DataFrame | pa.Table, key: list[str]) -> int:
        """Upsert: the rows of `frame` replace the table's rows with the same `key` (whole rows),
        and rows with new keys are added. A key twice in `frame` is an error. Creates the table if
        missing; returns the rows written."""
        arrow = _as_arrow(frame)
        _require_columns(arrow, key, table)
        with self.connect() as connection, _registered(connection, arrow) as incoming:
            _refuse_duplicate_keys(connection, incoming, key, table)
            with _transaction(connection):
                if not self._create_if_missing(connection, table, incoming):
                    qualified = self._qualified(table)
                    connection.execute(
                        f"DELETE FROM {qualified} AS existing "
                        f"WHERE EXISTS (SELECT 1 FROM {incoming} AS incoming WHERE {_same_key(key)})"
                    ).fetchall()
                    connection.execute(f"INSERT INTO {qualified} BY NAME SELECT * FROM {incoming}").fetchall()
        return arrow.num_rows

    def _create_if_missing(self, connection: duckdb.DuckDBPyConnection, table: str, incoming: str) -> bool:
        """Create `table` from the registered frame `incoming` if it does not exist; True if it did not."""
        if _exists(connection, self._schema(), table):
            return False
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(self._schema())}").fetchall()
        connection.execute(f"CREATE TABLE {self._qualified(table)} AS SELECT * FROM {incoming}").fetchall()
        return True

    def drop_table(self, table: str) -> None:
        """Remove `table` and its rows, if it exists."""
        with self.connect() as connection:
            connection.execute(f"DROP TABLE IF EXISTS {self._qualified(table)}").fetchall()

    def query(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        """Rows of a read-only query; `?` placeholders bound to `parameters` in order."""
        raise NotImplementedError

    def row_count(self, table: str) -> int:
        raise NotImplementedError

    def table_exists(self, table: str) -> bool:
        raise NotImplementedError

    def table_snapshots(self, table: str) -> list[tuple[int, int]]:
        """(snapshot id, committed at in ms since the epoch) of `table`'s snapshots, oldest first,
        where the table format keeps them (Iceberg); empty where it does not (a DuckDB table is
        only ever its current state)."""
        return []


class DuckDBWarehouse(Warehouse):
    """Tables in a local DuckDB file (the aws profile uses Iceberg tables instead)."""

    path: str
    schema_name: str = "main"

    # Set when a run starts; the run's first connection then drops staging tables left behind.
    _leftover_staging_to_drop: bool = PrivateAttr(default=False)
    _run_log: dg.DagsterLogManager | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._leftover_staging_to_drop = True
        self._run_log = context.log

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # Always the same configuration: DuckDB refuses a read-only connection to a file this
        # process already has open read-write (dbt-duckdb's adapter keeps one open after a build,
        # when dagster-dbt fetches row counts and column lineage).
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(self.path)
        try:
            if self._leftover_staging_to_drop:
                self._leftover_staging_to_drop = False
                self._drop_leftover_staging(connection)
            yield connection
        finally:
            connection.close()

    def _drop_leftover_staging(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Drop the staging tables of a write that never finished: its run was killed mid-chunk
        (SIGKILL, out of memory), so neither swap_in nor drop_all ran, and the half-built copy
        would stay in the file for good. Safe at a run's first connection: DuckDB lets one
        process at a time open the file, and a staged write holds its connection to the end, so
        no other run can be writing one; this run has not started any."""
        leftovers = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND ends_with(table_name, ?)",
                [self.schema_name, STAGING_SUFFIX],
            ).fetchall()
        ]
        for table in leftovers:
            connection.execute(f"DROP TABLE IF EXISTS {self._qualified(table)}")
        if leftovers and self._run_log is not None:
            self._run_log.warning(f"dropped staging tables left by a run that died mid-write: {', '.join(leftovers)}")

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

    def _schema(self) -> str:
        return self.schema_name

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame:
        with self.connect() as connection:
            return select_rows(connection, self._qualified(table), columns, where)

    def read_batches(
        self,
        table: str,
        columns: list[str] | None = None,
        *,
        where: dict[str, object] | None = None,
        batch_rows: int = 65_536,
    ) -> Iterator[pd.DataFrame]:
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be >= 1, got {batch_rows}")
        with self.connect() as connection:
            sql, parameters = select_sql(self._qualified(table), columns, where)
            for batch in connection.sql(sql, params=parameters).to_arrow_reader(batch_rows):
                for start in range(0, batch.num_rows, batch_rows):
                    yield batch.slice(start, batch_rows).to_pandas()

    def table_columns(self, table: str) -> list[str]:
        with self.connect() as connection:
            columns = column_names(connection, self.schema_name, table)
        if not columns:
            raise duckdb.CatalogException(f"no table {table!r} in schema {self.schema_name!r} of {self.path}")
        return columns

    def query(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        with self.connect() as connection:
            return connection.execute(sql, parameters or []).df()

    def row_count(self, table: str) -> int:
        with self.connect() as connection:
            return int(single_value(connection.execute(f"SELECT count(*) FROM {self._qualified(table)}").fetchone()))

    def table_exists(self, table: str) -> bool:
        if not Path(self.path).exists():
            return False
        with self.connect() as connection:
            found = single_value(
                connection.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                    [self.schema_name, table],
                ).fetchone()
            )
        return bool(found)


def select_rows(
    connection: duckdb.DuckDBPyConnection,
    qualified: str,
    columns: list[str] | None,
    where: dict[str, object] | None,
) -> pd.DataFrame:
    """`read_table` on a connection: the columns of `qualified` (SQL), rows filtered by `where`."""
    sql, parameters = select_sql(qualified, columns, where)
    return connection.execute(sql, parameters).df()


def select_sql(qualified: str, columns: list[str] | None, where: dict[str, object] | None) -> tuple[str, list]:
    """The SELECT of `read_table` and its parameters."""
    selected = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
    conditions, parameters = [], []
    for column, wanted in (where or {}).items():
        if isinstance(wanted, list | tuple):
            values = list(wanted)
            placeholders = ", ".join("?" for _ in values)
            conditions.append(f"{quote_identifier(column)} IN ({placeholders})" if values else "FALSE")
            parameters += values
        elif wanted is None:
            conditions.append(f"{quote_identifier(column)} IS NULL")
        else:
            conditions.append(f"{quote_identifier(column)} = ?")
            parameters.append(wanted)
    filtered = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {selected} FROM {qualified}{filtered}", parameters


def column_names(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """The columns of `table` in order; empty when there is no such table."""
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND lower(table_name) = lower(?) ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [str(row[0]) for row in rows]


def _exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        _count(
            connection,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND lower(table_name) = lower(?)",
            [schema, table],
        )
    )


def _has_unique_constraint(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        _count(
            connection,
            "SELECT count(*) FROM duckdb_constraints() WHERE schema_name = ? AND lower(table_name) = lower(?) "
            "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
            [schema, table],
        )
    )


def _count(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> int:
    # fetchall, not fetchone: DuckDB refuses the next statement while a result is unfinished.
    rows = connection.execute(sql, parameters or []).fetchall()
    return int(single_value(rows[0] if rows else None))


def _as_arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    return frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)


def _require_columns(frame: pa.Table, columns: list[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.column_names]
    if not columns or missing:
        raise ValueError(f"rows for {table!r} need the column(s) {columns}; the frame lacks {missing or columns}")


@contextmanager
def _registered(connection: duckdb.DuckDBPyConnection, frame: pa.Table) -> Iterator[str]:
    """`frame` as a view of the connection, under a name no table has, for the block."""
    name = f"incoming_{uuid.uuid4().hex}"
    connection.register(name, frame)
    try:
        yield name
    finally:
        connection.unregister(name)


@contextmanager
def _transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    connection.execute("BEGIN TRANSACTION").fetchall()
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK").fetchall()
        raise
    connection.execute("COMMIT").fetchall()


def _same_key(key: list[str]) -> str:
    """SQL: the row `existing` has the key of the row `incoming`."""
    return " AND ".join(
        f"existing.{quote_identifier(c)} IS NOT DISTINCT FROM incoming.{quote_identifier(c)}" for c in key
    )


def _refuse_duplicate_keys(connection: duckdb.DuckDBPyConnection, incoming: str, key: list[str], table: str) -> None:
    columns = ", ".join(quote_identifier(c) for c in key)
    repeated = connection.execute(
        f"SELECT {columns}, count(*) FROM {incoming} GROUP BY {columns} HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if repeated:
        *values, times = repeated[0]
        raise ValueError(
            f"rows for {table!r}: the key {dict(zip(key, values, strict=True))} is {times} times in the frame"
        )
