"""The offline feature store: an append-only DuckDB table per feature group, read point-in-time.

SageMaker Feature Store semantics on one machine (no Dagster here; assets pass a connection factory):

- Append-only. `ingest` only INSERTs; every row carries `ingested_at`, the write time, next to the
  record's own event time. A changed record is a new row, so history is never lost.
- Point-in-time reads. `as_of(T)` gives, per record, the row with the latest event time <= T.
  `by="ingestion"` (the default) also ignores rows written after T: the answer is what a reader at
  T could have seen, so it never changes later (no leakage of late corrections or backfills).
  `by="event_time"` uses everything ingested up to now (Feast's point-in-time join): the best
  current knowledge of each record's state at T.
- `latest` is the newest row per record: max event time, ties broken by the latest ingestion.
- `split` is the latest rows of one split: what training, tuning and evaluation read.

Every read picks rows with one `QUALIFY row_number()` window in SQL; values are bound as
parameters and identifiers quoted. The tables themselves (column types, schema checks, what a
frame must hold to be ingested) are in `sentiment_assets.features.store_schema`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa

from sentiment_assets.features.feature_group import FeatureGroup
from sentiment_assets.features.store_schema import (
    INGESTED_AT,
    FeatureStoreError,
    ensure_table,
    group_label,
    validated_records,
)
from sentiment_assets.sql import quote_identifier
from sentiment_assets.timestamps import naive_utc

ConnectionFactory = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
ReadBy = Literal["ingestion", "event_time"]


def duckdb_file(path: str | Path) -> ConnectionFactory:
    """A connection factory for a DuckDB file: one short-lived connection per operation."""

    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(path))
        try:
            yield connection
        finally:
            connection.close()

    return connect


class OfflineFeatureStore:
    """Feature groups as append-only DuckDB tables (`group.table_name`, e.g. fg_reviews_v2).

    `connect` is any zero-argument callable returning a context manager that yields a DuckDB
    connection, e.g. `Warehouse.connect` or `duckdb_file(path)`.
    """

    def __init__(self, connect: ConnectionFactory):
        self._connect = connect

    @classmethod
    def at_path(cls, path: str | Path) -> OfflineFeatureStore:
        return cls(duckdb_file(path))

    # --- writes -----------------------------------------------------------------------------

    def create_group(self, group: FeatureGroup, column_types: Mapping[str, str] | None = None) -> None:
        """Create the group's offline table if missing; an existing table must have the group's columns
        (a schema change is a new group version, i.e. a new table)."""
        with self._connect() as connection:
            ensure_table(connection, group, column_types)

    def ingest(self, group: FeatureGroup, frame: pd.DataFrame, ingested_at: datetime | None = None) -> int:
        """Append `frame`'s rows (the group's columns; others are ignored), all stamped with one
        ingestion time (default: now, naive UTC). Returns the number of rows appended."""
        records = validated_records(group, frame)
        stamp = naive_utc(ingested_at).to_pydatetime()
        with self._connect() as connection:
            types = ensure_table(connection, group, None)
            if records.empty:
                return 0
            selected = ", ".join(f"CAST({quote_identifier(c)} AS {types[c]})" for c in group.columns)
            target = ", ".join(quote_identifier(c) for c in [*group.columns, INGESTED_AT])
            table = quote_identifier(group.table_name)
            connection.register("incoming_records", pa.Table.from_pandas(records, preserve_index=False))
            try:
                connection.execute(
                    f"INSERT INTO {table} ({target}) SELECT {selected}, ? FROM incoming_records", [stamp]
                )
            except duckdb.ConversionException as error:
                raise FeatureStoreError(
                    f"feature group {group_label(group)}: a value does not fit its column: {error}"
                ) from error
            finally:
                connection.unregister("incoming_records")
        return len(records)

    # --- reads ------------------------------------------------------------------------------

    def as_of(
        self,
        group: FeatureGroup,
        as_of: datetime,
        record_ids: Sequence | None = None,
        by: ReadBy = "ingestion",
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Per record, the row with the latest event time <= `as_of` (ties: latest ingestion).

        by="ingestion": only rows ingested at or before `as_of` count (reproducible: what was
        known at `as_of`). by="event_time": every row ingested so far counts. Records with no
        such row are absent."""
        if by not in ("ingestion", "event_time"):
            raise FeatureStoreError(
                f"feature group {group_label(group)}: by must be 'ingestion' or 'event_time', got {by!r}"
            )
        moment = naive_utc(as_of).to_pydatetime()
        conditions, parameters = [f"{quote_identifier(group.event_time)} <= ?"], [moment]
        if by == "ingestion":
            conditions.append(f"{quote_identifier(INGESTED_AT)} <= ?")
            parameters.append(moment)
        return self._latest_rows(group, conditions, parameters, record_ids, columns)

    def latest(
        self, group: FeatureGroup, record_ids: Sequence | None = None, columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Per record, the row with the latest event time; ties go to the latest ingestion."""
        return self._latest_rows(group, [], [], record_ids, columns)

    def split(
        self,
        group: FeatureGroup,
        split_type: str,
        columns: Sequence[str] | None = None,
        split_column: str = "split_type",
    ) -> pd.DataFrame:
        """The latest rows whose split is `split_type` ('train' | 'validation' | 'test'), ordered by
        record id. The split is taken from each record's latest row, so a record is in one split."""
        _check_columns(group, [split_column])
        latest, parameters = self._latest_sql(group, [], [], None)
        sql = (
            f"SELECT {_select_list(group, columns)} FROM ({latest}) WHERE {quote_identifier(split_column)} = ? "
            f"ORDER BY {quote_identifier(group.record_identifier)}"
        )
        return self._read(group, sql, [*parameters, split_type])

    def row_count(self, group: FeatureGroup) -> int:
        """All rows ever ingested (every version of every record)."""
        return int(
            self._read(group, f"SELECT count(*) AS n FROM {quote_identifier(group.table_name)}", [])["n"].iloc[0]
        )

    def latest_arrow(self, group: FeatureGroup) -> pa.Table:
        """The latest row per record as an Arrow table (what the online store loads)."""
        sql, parameters = self._latest_sql(group, [], [], None)
        with self._connect() as connection:
            try:
                return connection.sql(sql, params=parameters).to_arrow_table()
            except duckdb.CatalogException as error:
                raise FeatureStoreError(
                    f"feature group {group_label(group)}: no offline table {group.table_name}"
                ) from error

    def _latest_rows(self, group, conditions, parameters, record_ids, columns) -> pd.DataFrame:
        inner, inner_parameters = self._latest_sql(group, conditions, parameters, record_ids)
        sql = (
            f"SELECT {_select_list(group, columns)} FROM ({inner}) ORDER BY {quote_identifier(group.record_identifier)}"
        )
        return self._read(group, sql, inner_parameters)

    @staticmethod
    def _latest_sql(
        group: FeatureGroup, conditions: list[str], parameters: list, record_ids: Sequence | None
    ) -> tuple[str, list]:
        conditions, parameters = list(conditions), list(parameters)
        if record_ids is not None:
            conditions.append(f"{quote_identifier(group.record_identifier)} IN (SELECT unnest(?))")
            parameters.append([_plain(r) for r in record_ids])
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = (
            f"SELECT * FROM {quote_identifier(group.table_name)} {where} "
            f"QUALIFY row_number() OVER (PARTITION BY {quote_identifier(group.record_identifier)} "
            f"ORDER BY {quote_identifier(group.event_time)} DESC, {quote_identifier(INGESTED_AT)} DESC) = 1"
        )
        return sql, parameters

    def _read(self, group: FeatureGroup, sql: str, parameters: list) -> pd.DataFrame:
        with self._connect() as connection:
            try:
                return connection.execute(sql, parameters).df()
            except duckdb.CatalogException as error:
                raise FeatureStoreError(
                    f"feature group {group_label(group)}: no offline table {group.table_name}; "
                    f"ingest into it first ({error})"
                ) from error


def _plain(value):
    # numpy scalars (e.g. from a DataFrame column) to Python values DuckDB can bind.
    return value.item() if hasattr(value, "item") else value


def _check_columns(group: FeatureGroup, columns: Sequence[str]) -> None:
    unknown = [c for c in columns if c not in (*group.columns, INGESTED_AT)]
    if unknown:
        raise FeatureStoreError(
            f"feature group {group_label(group)}: unknown columns {unknown}; it has {list(group.columns)}"
        )


def _select_list(group: FeatureGroup, columns: Sequence[str] | None) -> str:
    if columns is None:
        return "*"
    _check_columns(group, columns)
    # The record id always comes first, even when not asked for: results are keyed by it.
    chosen = [group.record_identifier, *(c for c in columns if c != group.record_identifier)]
    return ", ".join(quote_identifier(c) for c in chosen)
