"""The offline feature store: an append-only warehouse table per feature group, read point-in-time.

SageMaker Feature Store semantics on any profile's warehouse (no Dagster here; assets pass theirs):

- Append-only. `ingest` only appends; every row carries `ingested_at`, the write time, next to the
  record's own event time. A changed record is a new row, so history is never lost. A row is
  (record id, event time, ingested_at): writing the same one again (a retried ingest with the
  same stamp) appends nothing.
- Point-in-time reads. `as_of(T)` gives, per record, the row with the latest event time <= T.
  `by="ingestion"` (the default) also ignores rows written after T: the answer is what a reader at
  T could have seen, so it never changes later (no leakage of late corrections or backfills).
  `by="event_time"` uses everything ingested up to now (Feast's point-in-time join): the best
  current knowledge of each record's state at T.
- `latest` is the newest row per record: max event time, ties broken by the latest ingestion.
- `split` is the latest rows of one split: what training, tuning and evaluation read.

Only the narrow Warehouse contract is used (resources/warehouse.py: filtered reads, keyed
appends), so the store works on the local DuckDB file and on the aws profile's Iceberg tables
alike; the newest row per record is picked in pandas from rows read with `where=`. The tables
themselves (column types, schema checks, what a frame must hold to be ingested) are in
`sentiment_assets.features.store_schema`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from sentiment_assets.features.feature_group import FeatureGroup
from sentiment_assets.features.store_schema import (
    FEATURE_COLUMN_TYPES,
    INGESTED_AT,
    FeatureStoreError,
    ensure_table,
    group_label,
    validated_records,
)
from sentiment_assets.sql import quote_identifier
from sentiment_assets.timestamps import naive_utc

ReadBy = Literal["ingestion", "event_time"]

# SQL types of the dtypes a table's columns read back with (an empty read shows them); object
# columns (text, lists) tell nothing and keep the group's declared type.
_DTYPE_SQL_TYPES = {
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float32": "FLOAT",
    "float64": "DOUBLE",
}


class FeatureWarehouse(Protocol):
    """The part of the Warehouse contract (resources/warehouse.py) the store uses; every profile's
    warehouse has it. A missing table raises a duckdb.CatalogException, as the contract's do."""

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame: ...

    def table_exists(self, table: str) -> bool: ...

    def table_columns(self, table: str) -> list[str]: ...

    def row_count(self, table: str) -> int: ...

    def append_new_keys(self, table: str, frame: pd.DataFrame | pa.Table, key: list[str]) -> int: ...


class OfflineFeatureStore:
    """Feature groups as append-only warehouse tables (`group.table_name`, e.g. fg_reviews_v2)."""

    def __init__(self, warehouse: FeatureWarehouse):
        self.warehouse = warehouse

    @classmethod
    def at_path(cls, path: str | Path) -> OfflineFeatureStore:
        """A store in the DuckDB file at `path` (created on the first write)."""
        from resources.warehouse import DuckDBWarehouse

        return cls(DuckDBWarehouse(path=str(path)))

    # --- writes -----------------------------------------------------------------------------

    def create_group(self, group: FeatureGroup, column_types: Mapping[str, str] | None = None) -> None:
        """Create the group's offline table if missing; an existing table must have the group's columns
        (a schema change is a new group version, i.e. a new table)."""
        if self._table_types(group) is None:
            empty = pd.DataFrame({column: [] for column in group.columns})
            rows = _typed_rows(group, empty, _declared_types(group, column_types), naive_utc().to_pydatetime())
            self.warehouse.append_new_keys(group.table_name, rows, key=_row_key(group))

    def ingest(self, group: FeatureGroup, frame: pd.DataFrame, ingested_at: datetime | None = None) -> int:
        """Append `frame`'s rows (the group's columns; others are ignored), all stamped with one
        ingestion time (default: now, naive UTC). Returns the number of rows appended."""
        records = validated_records(group, frame)
        stamp = naive_utc(ingested_at).to_pydatetime()
        types = self._table_types(group)
        if records.empty:
            if types is None:
                self.create_group(group)
            return 0
        rows = _typed_rows(group, records, types or _declared_types(group, None), stamp)
        return self.warehouse.append_new_keys(group.table_name, rows, key=_row_key(group))

    def _table_types(self, group: FeatureGroup) -> dict[str, str | None] | None:
        """The SQL type to cast each column to before appending (None: as the frame has it), or
        None when the table does not exist yet. An existing table must have the group's columns,
        with timestamps for event time and ingestion time."""
        if not self.warehouse.table_exists(group.table_name):
            return None
        expected = [*group.columns, INGESTED_AT]
        existing = self.warehouse.table_columns(group.table_name)
        if existing != expected:
            raise FeatureStoreError(
                f"feature group {group_label(group)}: table {group.table_name} has columns {existing}, "
                f"expected {expected}; a schema change needs a new group version"
            )
        sample = self.warehouse.read_table(group.table_name, where={group.record_identifier: []})
        untimed = [c for c in (group.event_time, INGESTED_AT) if not pd.api.types.is_datetime64_dtype(sample[c])]
        if untimed:
            # e.g. a table written wholesale with event time as ISO strings before the store existed.
            raise FeatureStoreError(
                f"feature group {group_label(group)}: table {group.table_name} has {untimed} as "
                f"{[str(sample[c].dtype) for c in untimed]}, not timestamps; it was not written by the store"
            )
        declared = {**FEATURE_COLUMN_TYPES, group.event_time: "TIMESTAMP"}
        return {
            column: _DTYPE_SQL_TYPES.get(str(sample[column].dtype), declared.get(column)) for column in group.columns
        }

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
        rows = self._read(group, _read_columns(group, columns), _ids_filter(group, record_ids))
        known = rows[group.event_time] <= moment
        if by == "ingestion":
            known &= rows[INGESTED_AT] <= moment
        return _chosen_columns(_newest_per_record(rows.loc[known], group), group, columns)

    def latest(
        self, group: FeatureGroup, record_ids: Sequence | None = None, columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Per record, the row with the latest event time; ties go to the latest ingestion."""
        rows = self._read(group, _read_columns(group, columns), _ids_filter(group, record_ids))
        return _chosen_columns(_newest_per_record(rows, group), group, columns)

    def split(
        self,
        group: FeatureGroup,
        split_type: str,
        columns: Sequence[str] | None = None,
        split_column: str = "split_type",
        as_of: datetime | None = None,
    ) -> pd.DataFrame:
        """The latest rows whose split is `split_type` ('train' | 'validation' | 'test'), ordered by
        record id. The split is taken from each record's latest row, so a record is in one split.

        With `as_of`, only rows ingested at or before it count: the split exactly as a reader at
        that moment saw it (how a training run's inputs are read again to re-create its model)."""
        _check_columns(group, [split_column])
        wanted = _read_columns(group, columns)
        known = _known_at(as_of)
        # Which records' latest row is in the split: the key columns of every row (no token ids).
        keys = [group.record_identifier, group.event_time, INGESTED_AT]
        everyone = _newest_per_record(known(self._read(group, [*keys, split_column], None)), group)
        members = everyone.loc[everyone[split_column] == split_type, group.record_identifier]
        # Only this split's rows in full. A member's latest row is the newest of its rows here.
        rows = _newest_per_record(known(self._read(group, wanted, {split_column: split_type})), group)
        rows = rows.loc[rows[group.record_identifier].isin(members)].reset_index(drop=True)
        return _chosen_columns(rows, group, columns)

    def row_count(self, group: FeatureGroup) -> int:
        """All rows ever ingested (every version of every record)."""
        try:
            return self.warehouse.row_count(group.table_name)
        except duckdb.CatalogException as error:
            raise _missing_table(group, error) from error

    def latest_arrow(self, group: FeatureGroup) -> pa.Table:
        """The latest row per record as an Arrow table (what the online store loads)."""
        return pa.Table.from_pandas(self.latest(group), preserve_index=False)

    def _read(self, group: FeatureGroup, columns: list[str] | None, where: dict[str, object] | None) -> pd.DataFrame:
        try:
            return self.warehouse.read_table(group.table_name, columns, where=where)
        except duckdb.CatalogException as error:
            raise _missing_table(group, error) from error


def _row_key(group: FeatureGroup) -> list[str]:
    """What makes a stored row unique: one version of a record, written once."""
    return [group.record_identifier, group.event_time, INGESTED_AT]


def _declared_types(group: FeatureGroup, column_types: Mapping[str, str] | None) -> dict[str, str | None]:
    """The SQL types of a new group table, as store_schema decides them (with its errors for an
    untyped column), found by creating the table in a scratch in-memory DuckDB."""
    with duckdb.connect() as scratch:
        return dict(ensure_table(scratch, group, column_types))


def _typed_rows(group: FeatureGroup, records: pd.DataFrame, types: Mapping[str, str | None], stamp) -> pa.Table:
    """`records` cast to the table's SQL types and stamped with ingestion time `stamp`: DuckDB's
    casts, in a scratch in-memory DuckDB, whatever warehouse the rows then go to."""
    selected = [
        f"CAST({quote_identifier(c)} AS {types[c]}) AS {quote_identifier(c)}" if types.get(c) else quote_identifier(c)
        for c in group.columns
    ]
    selected.append(f"CAST(? AS TIMESTAMP) AS {quote_identifier(INGESTED_AT)}")
    with duckdb.connect() as scratch:
        scratch.register("incoming_records", pa.Table.from_pandas(records, preserve_index=False))
        try:
            return scratch.sql(f"SELECT {', '.join(selected)} FROM incoming_records", params=[stamp]).to_arrow_table()
        except duckdb.ConversionException as error:
            raise FeatureStoreError(
                f"feature group {group_label(group)}: a value does not fit its column: {error}"
            ) from error


def _newest_per_record(rows: pd.DataFrame, group: FeatureGroup) -> pd.DataFrame:
    """Per record, its row with the latest event time (ties: the latest ingestion), by record id."""
    ordered = rows.sort_values([group.record_identifier, group.event_time, INGESTED_AT], kind="stable")
    return ordered.drop_duplicates(group.record_identifier, keep="last").reset_index(drop=True)


def _known_at(as_of: datetime | None):
    """A filter keeping the rows ingested at or before `as_of` (every row when None)."""
    if as_of is None:
        return lambda rows: rows
    moment = naive_utc(as_of).to_pydatetime()
    return lambda rows: rows.loc[rows[INGESTED_AT] <= moment]


def _ids_filter(group: FeatureGroup, record_ids: Sequence | None) -> dict[str, object] | None:
    return None if record_ids is None else {group.record_identifier: [_plain(r) for r in record_ids]}


def _plain(value):
    # numpy scalars (e.g. from a DataFrame column) to Python values a warehouse can bind.
    return value.item() if hasattr(value, "item") else value


def _missing_table(group: FeatureGroup, error: Exception) -> FeatureStoreError:
    return FeatureStoreError(
        f"feature group {group_label(group)}: no offline table {group.table_name}; ingest into it first ({error})"
    )


def _check_columns(group: FeatureGroup, columns: Sequence[str]) -> None:
    unknown = [c for c in columns if c not in (*group.columns, INGESTED_AT)]
    if unknown:
        raise FeatureStoreError(
            f"feature group {group_label(group)}: unknown columns {unknown}; it has {list(group.columns)}"
        )


def _read_columns(group: FeatureGroup, columns: Sequence[str] | None) -> list[str] | None:
    """The columns to read for a result of `columns` (None: all): those and the row's key."""
    if columns is None:
        return None
    _check_columns(group, columns)
    return list(dict.fromkeys([*_row_key(group), *columns]))


def _chosen_columns(rows: pd.DataFrame, group: FeatureGroup, columns: Sequence[str] | None) -> pd.DataFrame:
    if columns is None:
        return rows
    # The record id always comes first, even when not asked for: results are keyed by it.
    chosen = [group.record_identifier, *(c for c in columns if c != group.record_identifier)]
    return rows.loc[:, chosen]
