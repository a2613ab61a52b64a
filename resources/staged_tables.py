"""Tables rebuilt chunk by chunk in staging tables of one DuckDB connection and swapped in
together at the end (the DuckDB side of Warehouse.staged_tables and staged_partition), and the
PartitionStage protocol every warehouse's staged_partition yields."""

from __future__ import annotations

from typing import Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from sentiment_assets.sql import quote_identifier

STAGING_SUFFIX = "__staging"  # a table being rebuilt is `{table}__staging` until it is swapped in


class PartitionStage(Protocol):
    """One partition of several tables being rebuilt (Warehouse.staged_partition)."""

    @property
    def written(self) -> dict[str, int]:
        """Table -> rows of the partition staged so far."""
        ...

    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Stage rows of the partition; the first frame (even empty) fixes the table's columns."""
        ...

    def delete(self, table: str, column: str, value: object) -> None:
        """Unstage the staged rows whose `column` is `value`."""
        ...

    def rows_elsewhere(self, table: str) -> int:
        """The table's rows of other partitions, which stay as they are."""
        ...


class CarryingPartitionStage:
    """A partition rebuilt in whole staging tables (StagedTables) that the other partitions' rows
    are carried into when a table is first appended to."""

    def __init__(self, stage: StagedTables, column: str, value: str):
        self._stage, self.column, self.value = stage, column, value
        self._elsewhere: dict[str, int] = {}

    @property
    def written(self) -> dict[str, int]:
        return {table: rows - self._elsewhere.get(table, 0) for table, rows in self._stage.written.items()}

    def append(self, table: str, frame: pd.DataFrame) -> None:
        first = table not in self._stage.written
        self._stage.append(table, frame)
        if first:
            self._elsewhere[table] = self._stage.keep_existing_rows(table, self.column, unless=self.value)

    def delete(self, table: str, column: str, value: object) -> None:
        self._stage.delete(table, column, value, within=(self.column, self.value))

    def rows_elsewhere(self, table: str) -> int:
        return self._elsewhere.get(table, 0)


class StagedTables:
    """Tables being rebuilt: `append` chunks, `delete` rows (e.g. of a file that failed part-way)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, qualified):
        self._connection = connection
        self._qualified = qualified
        self.written: dict[str, int] = {}

    def _run(self, sql: str, parameters: list | None = None) -> list[tuple]:
        # Fetch every result: DuckDB refuses the next statement while one is still pending.
        return self._connection.execute(sql, parameters or []).fetchall()

    def _staging(self, table: str) -> str:
        return self._qualified(f"{table}{STAGING_SUFFIX}")

    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Add rows; the first frame (even an empty one) fixes the table's columns and types."""
        self._connection.register("incoming_chunk", pa.Table.from_pandas(frame, preserve_index=False))
        if table not in self.written:
            self._run(f"DROP TABLE IF EXISTS {self._staging(table)}")
            self._run(f"CREATE TABLE {self._staging(table)} AS SELECT * FROM incoming_chunk")
            self.written[table] = 0
        else:
            self._run(f"INSERT INTO {self._staging(table)} SELECT * FROM incoming_chunk")
        self._connection.unregister("incoming_chunk")
        self.written[table] += len(frame)

    def keep_existing_rows(self, table: str, column: str, unless: object) -> int:
        """Carry over the current table's rows whose `column` differs from `unless` (the rows
        another partition wrote); returns how many. Nothing to carry when the table is new."""
        columns = {
            row[0]
            for row in self._run("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])
        }
        if column not in columns:
            return 0
        before = self.rows(table)
        self._run(
            f"INSERT INTO {self._staging(table)} BY NAME SELECT * FROM {self._qualified(table)} "
            f"WHERE {quote_identifier(column)} IS DISTINCT FROM ?",
            [unless],
        )
        carried = self.rows(table) - before
        self.written[table] += carried
        return carried

    def delete(self, table: str, column: str, value: object, within: tuple[str, object] | None = None) -> None:
        """Delete the staged rows whose `column` is `value` (and, given `within`, whose column
        `within[0]` is `within[1]`)."""
        before = self.rows(table)
        condition, parameters = f"{quote_identifier(column)} = ?", [value]
        if within is not None:
            condition += f" AND {quote_identifier(within[0])} = ?"
            parameters.append(within[1])
        self._run(f"DELETE FROM {self._staging(table)} WHERE {condition}", parameters)
        self.written[table] -= before - self.rows(table)

    def rows(self, table: str) -> int:
        if table not in self.written:
            return 0
        return int(self._run(f"SELECT count(*) FROM {self._staging(table)}")[0][0])

    def swap_in(self) -> None:
        self._run("BEGIN TRANSACTION")
        for table in self.written:
            self._run(f"DROP TABLE IF EXISTS {self._qualified(table)}")
            self._run(f"ALTER TABLE {self._staging(table)} RENAME TO {quote_identifier(table)}")
        self._run("COMMIT")

    def drop_all(self) -> None:
        for table in self.written:
            self._run(f"DROP TABLE IF EXISTS {self._staging(table)}")
