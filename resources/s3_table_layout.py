"""How a warehouse table is laid out: its objects' keys on S3 and its entry in the Glue catalog.

Under s3://{bucket}/{prefix}/{table}/:

- a plain table is one object, `data.parquet`;
- a partitioned table is one object per value of its partition column,
  `{column}={value}/data.parquet`, the column itself kept out of the file as Hive does.

Glue sees each table (and each partition) as Hive-style Parquet with Hive column types; the exact
DuckDB definition rides along as a table parameter. `resources.s3_tables.S3TableStore` reads and
writes by these names. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

import pyarrow as pa

from resources.hive_types import hive_type

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
DATA_OBJECT = "data.parquet"
# Hive's name for the partition of null values.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# The exact DuckDB definition (types, NOT NULL, primary key) rides along as a Glue table
# parameter: Glue's Hive types are lossy, and scoring's ON CONFLICT needs the primary key back.
DDL_PARAMETER = "duckdb_ddl"


@dataclass(frozen=True)
class RemoteTable:
    """What Glue knows of one table."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, Hive type), partition keys last
    partition_column: str | None
    ddl: str | None


def partition_path(column: str, value: str | None) -> str:
    """`column=value`, the value escaped so any text is one path segment."""
    return f"{column}={NULL_PARTITION if value is None else quote(value, safe='')}"


def partition_value(segment: str) -> tuple[str, str | None]:
    column, _, encoded = segment.partition("=")
    return column, None if encoded == NULL_PARTITION else unquote(encoded)


def is_data_object(key: str) -> bool:
    """Whether an object under a table's prefix holds rows. Ours are `data.parquet`; Athena's
    CTAS (the dbt models) writes Parquet files with no extension at all, so the name cannot be
    the test; markers (`_SUCCESS`, `x_$folder$`) and hidden files are what to skip."""
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", ".")) and not name.endswith("$folder$")


def storage_descriptor(location: str, schema: pa.Schema) -> dict:
    """The Glue StorageDescriptor of a table or a partition: Hive columns, Parquet, location."""
    return {
        "Columns": [{"Name": f.name, "Type": hive_type(f.type)} for f in schema],
        "Location": location,
        "InputFormat": PARQUET_INPUT_FORMAT,
        "OutputFormat": PARQUET_OUTPUT_FORMAT,
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
    }


def remote_table(entry: dict) -> RemoteTable:
    """A Glue table entry (get_table, get_tables) as a RemoteTable."""
    keys = entry.get("PartitionKeys") or []
    columns = [(c["Name"], c["Type"]) for c in entry.get("StorageDescriptor", {}).get("Columns", [])]
    columns += [(k["Name"], k.get("Type", "string")) for k in keys]
    return RemoteTable(
        name=entry["Name"],
        columns=tuple(columns),
        partition_column=keys[0]["Name"] if keys else None,
        ddl=(entry.get("Parameters") or {}).get(DDL_PARAMETER),
    )
