"""Column types between Arrow (what the tables are written from), Hive (what Glue records and
Athena reads) and DuckDB (the session the assets' SQL runs in)."""

from __future__ import annotations

import pyarrow as pa


def hive_type(arrow_type: pa.DataType) -> str:
    """The Hive/Athena type Glue records for an Arrow column type."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        return hive_type(t.value_type)
    simple = [
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_int8, "tinyint"),
        (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "int"),
        (pa.types.is_int64, "bigint"),
        (pa.types.is_uint8, "smallint"),
        (pa.types.is_uint16, "int"),
        (pa.types.is_uint32, "bigint"),
        (pa.types.is_uint64, "decimal(20,0)"),
        (pa.types.is_float16, "float"),
        (pa.types.is_float32, "float"),
        (pa.types.is_float64, "double"),
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamp"),
        (pa.types.is_binary, "binary"),
        (pa.types.is_large_binary, "binary"),
    ]
    for test, name in simple:
        if test(t):
            return name
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return f"array<{hive_type(t.value_type)}>"
    if pa.types.is_map(t):
        return f"map<{hive_type(t.key_type)},{hive_type(t.item_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.type)}" for f in t) + ">"
    # Strings, and what Hive has no type for (time of day, intervals, nulls), as text.
    return "string"


_DUCKDB_FROM_HIVE = {
    "boolean": "BOOLEAN",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "binary": "BLOB",
}


def duckdb_type(hive: str) -> str:
    """A DuckDB type for a Glue column of a table some other tool registered (no DDL parameter)."""
    hive = hive.strip().lower()
    if hive in _DUCKDB_FROM_HIVE:
        return _DUCKDB_FROM_HIVE[hive]
    if hive.startswith("decimal"):
        return hive.upper()
    if hive.startswith("array<") and hive.endswith(">"):
        return duckdb_type(hive[6:-1]) + "[]"
    return "VARCHAR"
