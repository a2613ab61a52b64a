"""SQL text the framework-free code builds (DuckDB dialect): identifiers quoted in one way."""

from __future__ import annotations

from typing import Any


def quote_identifier(name: str) -> str:
    """A table or column name as a quoted SQL identifier (`"name"`, inner quotes doubled).

    The names come from code and configuration, not from users, but quoting keeps any name
    safe: one with a space, a dot, a keyword or a quote in it is still that one name."""
    return '"' + name.replace('"', '""') + '"'


def single_value(row: tuple[Any, ...] | None) -> Any:
    """The value of a result that always has one row (`count(*)`, the row count DuckDB returns
    for an INSERT), as a cursor's `fetchone()` fetched it: no row at all is an error, not None."""
    if row is None:
        raise RuntimeError("the query returned no row where it always returns one")
    return row[0]
