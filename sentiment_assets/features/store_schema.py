"""The offline store's tables: one DuckDB table per feature group, and what may be written to it.

The write path's checks live here: a group's table is created with SQL types for its columns
(plus `ingested_at`), an existing table must have exactly the group's columns, and a frame to
ingest must have them too, with no null record ids or event times and no repeated
(record id, event time) pair. `sentiment_assets.features.store` reads and appends through these.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from sentiment_assets.features.feature_group import FeatureGroup
from sentiment_assets.sql import quote_identifier

INGESTED_AT = "ingested_at"

# SQL types of the known feature columns; other groups pass `column_types` to create_group.
FEATURE_COLUMN_TYPES: dict[str, str] = {
    "review_id": "VARCHAR",
    "date": "TIMESTAMP",
    "sentiment": "INTEGER",
    "label_id": "INTEGER",
    "input_ids": "INTEGER[]",
    "attention_mask": "TINYINT[]",
    "review_body": "VARCHAR",
    "split_type": "VARCHAR",
}


class FeatureStoreError(ValueError):
    """A frame or a read that does not fit its feature group; the message names group and column."""


def group_label(group: FeatureGroup) -> str:
    return f"{group.name} v{group.version}"


def ensure_table(
    connection: duckdb.DuckDBPyConnection, group: FeatureGroup, column_types: Mapping[str, str] | None
) -> dict[str, str]:
    """Create the group's table if missing, check its columns; returns column -> SQL type."""
    existing = _column_types(connection, group.table_name)
    if not existing:
        types = {**FEATURE_COLUMN_TYPES, **(column_types or {}), group.event_time: "TIMESTAMP"}
        untyped = [c for c in group.columns if c not in types]
        if untyped:
            raise FeatureStoreError(
                f"feature group {group_label(group)}: no SQL type for columns {untyped}; "
                "pass column_types to create_group"
            )
        columns = [f"{quote_identifier(c)} {types[c]}" for c in group.columns]
        columns.append(f"{quote_identifier(INGESTED_AT)} TIMESTAMP NOT NULL")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {quote_identifier(group.table_name)} ({', '.join(columns)})")
        existing = _column_types(connection, group.table_name)
    expected = [*group.columns, INGESTED_AT]
    if list(existing) != expected:
        raise FeatureStoreError(
            f"feature group {group_label(group)}: table {group.table_name} has columns {list(existing)}, "
            f"expected {expected}; a schema change needs a new group version"
        )
    untimed = [c for c in (group.event_time, INGESTED_AT) if existing[c] != "TIMESTAMP"]
    if untimed:
        # e.g. a table written wholesale with event time as ISO strings before the store existed.
        raise FeatureStoreError(
            f"feature group {group_label(group)}: table {group.table_name} has {untimed} as "
            f"{[existing[c] for c in untimed]}, not TIMESTAMP; it was not written by the store"
        )
    return existing


def _column_types(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(
        connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            [table],
        ).fetchall()
    )


def validated_records(group: FeatureGroup, frame: pd.DataFrame) -> pd.DataFrame:
    """The group's columns of `frame`, event time parsed to naive UTC; clear errors otherwise."""
    missing = [c for c in group.columns if c not in frame.columns]
    if missing:
        raise FeatureStoreError(f"feature group {group_label(group)}: frame is missing columns {missing}")
    records = frame.loc[:, list(group.columns)].reset_index(drop=True)
    for column in (group.record_identifier, group.event_time):
        nulls = records[column].isna()
        if nulls.any():
            raise FeatureStoreError(
                f"feature group {group_label(group)}: {int(nulls.sum())} rows have a null "
                f"{column} (first at row {int(nulls.idxmax())})"
            )
    try:
        event_time = pd.to_datetime(records[group.event_time], utc=True, format="ISO8601")
    except (ValueError, TypeError) as error:
        raise FeatureStoreError(
            f"feature group {group_label(group)}: event time {group.event_time} is not a timestamp: {error}"
        ) from error
    records[group.event_time] = event_time.dt.tz_localize(None).astype("datetime64[us]")
    duplicated = records.duplicated([group.record_identifier, group.event_time])
    if duplicated.any():
        first = records.loc[duplicated.idxmax(), group.record_identifier]
        raise FeatureStoreError(
            f"feature group {group_label(group)}: {int(duplicated.sum())} rows repeat a "
            f"({group.record_identifier}, {group.event_time}) pair in one write, e.g. {first!r}; "
            "which one is latest would be ambiguous"
        )
    return records
