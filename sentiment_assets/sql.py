"""SQL text the framework-free code builds (DuckDB dialect): identifiers quoted in one way."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """A table or column name as a quoted SQL identifier (`"name"`, inner quotes doubled).

    The names come from code and configuration, not from users, but quoting keeps any name
    safe: one with a space, a dot, a keyword or a quote in it is still that one name."""
    return '"' + name.replace('"', '""') + '"'
