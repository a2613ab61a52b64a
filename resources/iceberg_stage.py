"""One partition of several Iceberg tables rebuilt chunk by chunk in private staging tables, then
committed table by table (IcebergWarehouse.staged_partition): what ingest writes a landed file with."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, cast

import pyarrow as pa
from pyiceberg.expressions import BooleanExpression, Not
from pyiceberg.table import Table, Transaction

from resources.iceberg_tables import IcebergTableStore, _equal, _plain, conform, conform_to, storable, valid_name


class IcebergPartitionStage:
    """One partition (`column` = `value`) of several tables rebuilt chunk by chunk: `append` and
    `delete` work on private staging tables (`{table}__stage_{random}`), which other readers never
    look at; `commit` then replaces the partition in each table, one commit per table (Iceberg
    has no transaction across tables), retried if another writer committed first; the staging
    tables are dropped either way. Memory holds one chunk at a time."""

    def __init__(self, store: IcebergTableStore, column: str, value: str, partition_columns: dict[str, str]):
        self.store, self.column, self.value = store, column, value
        self.partition_columns = partition_columns
        self.written: dict[str, int] = {}
        self._staging: dict[str, str] = {}
        self._elsewhere: dict[str, int] = {}
        self._token = uuid.uuid4().hex[:8]

    def append(self, table: str, frame: pa.Table) -> None:
        """Stage rows of the partition; the first chunk (even empty) fixes the table's columns."""
        arrow = storable(frame)
        if table not in self._staging:
            staging = valid_name(f"{valid_name(table)}__stage_{self._token}")
            self.store._create(staging, arrow, None)
            self._staging[table], self.written[table] = staging, arrow.num_rows
            current = self.store._load_or_none(table)
            self._elsewhere[table] = (
                current.scan(row_filter=_not_in_partition(self.column, self.value)).count() if current else 0
            )
            return
        if arrow.num_rows:
            staged = self.store._load(self._staging[table])
            staged.append(conform(arrow, staged))
            self.written[table] += arrow.num_rows

    def delete(self, table: str, column: str, value: object) -> None:
        """Unstage the rows whose `column` is `value` (say, of a file that broke part-way)."""
        if table not in self._staging:
            return
        staged = self.store._load(self._staging[table])
        before = staged.scan().count()
        staged.delete(_equal(column, _plain(value)))
        self.written[table] -= before - self.store._load(self._staging[table]).scan().count()

    def rows_elsewhere(self, table: str) -> int:
        """The table's rows of other partitions when the stage began (they stay as they are)."""
        return self._elsewhere.get(table, 0)

    def commit(self) -> None:
        for table, staging in self._staging.items():
            self._replace_from(table, staging)

    def discard(self) -> None:
        for staging in self._staging.values():
            self.store.drop_table(staging)
        self._staging.clear()

    def _replace_from(self, table: str, staging: str) -> None:
        partition_column = self.partition_columns.get(table)
        staged = self.store._load(staging)

        def write(current: Table | None) -> int:
            batches = (pa.Table.from_batches([batch]) for batch in staged.scan().to_arrow_batch_reader())
            if current is None:
                empty = staged.schema().as_arrow().empty_table()
                with self.store._replacing(table, None, empty, partition_column) as (transaction, schema):
                    return _append_all(transaction, batches, schema)
            with current.transaction() as transaction:
                held = set(current.schema().column_names)
                if any(name not in held for name in staged.schema().column_names):
                    # Columns the code added since the table was written: the table takes them
                    # (its other partitions' rows read them as null), as DuckDB's staged swap does.
                    with transaction.update_schema() as update:
                        update.union_by_name(staged.schema())
                transaction.delete(_equal(self.column, self.value))
                return _append_all(transaction, batches, transaction.table_metadata.schema().as_arrow())

        self.store.commit(table, write)


def _append_all(transaction: Transaction, batches: Iterable[pa.Table], schema: pa.Schema) -> int:
    written = 0
    for batch in batches:
        if batch.num_rows:
            transaction.append(conform_to(batch, schema))
            written += batch.num_rows
    return written


def _not_in_partition(column: str, value: object) -> BooleanExpression:
    """Rows whose `column` is not `value` (nulls included)."""
    return cast(Any, Not)(_equal(column, value))
