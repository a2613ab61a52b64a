"""A DuckDB session over the S3 warehouse: an in-memory database whose tables are the Glue-
registered Parquet tables, each downloaded the first time a statement names it.

Why a session rather than DuckDB reading S3 itself: the repo's code (scoring, the review queue,
the feature store) runs DuckDB SQL with primary keys, ON CONFLICT and transactions against a
connection; this gives it one, unchanged. What a session does:

- At the start, every Glue table is created empty from its stored DuckDB definition, so
  information_schema answers (scoring and the review queue look tables up there) without a
  download.
- Before a statement runs, each not-yet-loaded table whose name appears as a word in the SQL
  (string literals and comments aside) is filled from S3, and a fingerprint of its content is
  taken: per partition value for partitioned tables. A table a statement only replaces or drops
  (CREATE OR REPLACE TABLE t AS ..., DROP TABLE t) is not downloaded.
- At `finish(upload=True)`: every table created, or whose fingerprint changed, goes back to S3
  (for partitioned tables only the changed partitions), and tables dropped are dropped from S3
  and Glue. The caller skips `finish` when its block raised: then nothing is uploaded.

Transactions are followed from the statements (BEGIN / COMMIT / ROLLBACK): a table loaded or
replaced inside a transaction that is rolled back is back to not loaded, so an emptied table is
never mistaken for a change.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field

import duckdb

from resources.hive_types import duckdb_type
from resources.s3_table_layout import RemoteTable
from resources.s3_tables import S3TableStore
from sentiment_assets.sql import quote_identifier as q

logger = logging.getLogger(__name__)

PLACEHOLDER, LOADED, REPLACED = "placeholder", "loaded", "replaced"
WHOLE = "__whole_table__"  # the one fingerprint key of an unpartitioned table

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QUALIFIED = rf"(?:{_IDENT}\s*\.\s*)?({_IDENT})"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_LITERALS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
_REPLACES = re.compile(rf"^\s*(?:CREATE\s+OR\s+REPLACE\s+TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?)\s+{_QUALIFIED}", re.I)
_CREATES = re.compile(rf"^\s*CREATE\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?\s+{_QUALIFIED}", re.I)
_RENAMES = re.compile(rf"^\s*ALTER\s+TABLE(?:\s+IF\s+EXISTS)?\s+{_QUALIFIED}\s+RENAME\s+TO\s+({_IDENT})", re.I)
_BEGIN = re.compile(r"^\s*(?:BEGIN|START\s+TRANSACTION)\b", re.I)
_COMMIT = re.compile(r"^\s*(?:COMMIT|END)\b", re.I)
_ROLLBACK = re.compile(r"^\s*(?:ROLLBACK|ABORT)\b", re.I)


def _name(identifier: str) -> str:
    if identifier.startswith('"'):
        return identifier[1:-1].replace('""', '"').lower()
    return identifier.lower()


@dataclass(frozen=True)
class Fingerprint:
    """A table's definition and, per partition value, (row count, sum of row hashes)."""

    ddl: str
    partition_column: str | None
    parts: dict = field(hash=False)


@dataclass
class Statement:
    """What a statement means for the session: tables to load first, a table it replaces."""

    loads: set[str]
    replaces: str | None


def plan(sql: str, known: set[str]) -> Statement:
    """Which of the `known` tables `sql` reads, and which it replaces without reading."""
    text = _LITERALS_AND_COMMENTS.sub(" ", sql)
    target, rest = None, text
    for pattern in (_REPLACES, _CREATES):
        match = pattern.match(text)
        if match:
            target, rest = _name(match.group(1)), text[match.end() :]
            break
    words = {w.lower() for w in _WORD.findall(rest)} & known
    rename = _RENAMES.match(text)
    if rename:  # ALTER TABLE a RENAME TO b: a's rows move, so a is read; b is only a new name
        words = {_name(rename.group(1))} & known
    replaces = target if target is not None and _REPLACES.match(text) and target not in words else None
    return Statement(loads=words, replaces=replaces)


class LazySession:
    """One in-memory DuckDB database standing for the S3 warehouse during a `connect()` block."""

    def __init__(self, store: S3TableStore, partition_columns: dict[str, str]):
        self.store = store
        self.partition_columns = {k.lower(): v for k, v in partition_columns.items()}
        self.database = duckdb.connect(":memory:")
        self.remote: dict[str, RemoteTable] = {name.lower(): t for name, t in store.tables().items()}
        self.states: dict[str, str] = {}
        self.fingerprints: dict[str, Fingerprint] = {}
        for name, table in self.remote.items():
            self._create_placeholder(name, table)
        self.connection = LazyConnection(self, self.database)

    def _create_placeholder(self, name: str, table: RemoteTable) -> None:
        if table.ddl:
            try:
                self.database.execute(table.ddl).fetchall()
                self.states[name] = PLACEHOLDER
                return
            except duckdb.Error as error:
                logger.warning(
                    "table %s: stored DuckDB definition did not apply (%s); using Glue's columns", name, error
                )
        columns = ", ".join(f"{q(c)} {duckdb_type(t)}" for c, t in table.columns) or '"_empty" VARCHAR'
        self.database.execute(f"CREATE TABLE {q(table.name)} ({columns})").fetchall()
        self.states[name] = PLACEHOLDER

    # --- loading ----------------------------------------------------------------------------

    def load(self, connection: duckdb.DuckDBPyConnection, name: str) -> None:
        """Fill a placeholder with the table's rows from S3 (on the connection the statement
        runs on, so the rows are inside its transaction if it has one)."""
        rows = self.store.read(self.remote[name])
        if rows is not None and rows.num_rows:
            view = f"s3_load_{uuid.uuid4().hex}"
            connection.register(view, rows)
            try:
                connection.execute(f"INSERT INTO {q(self.remote[name].name)} BY NAME SELECT * FROM {view}").fetchall()
            finally:
                connection.unregister(view)
        self.states[name] = LOADED
        self.fingerprints[name] = self.fingerprint(connection, name)
        logger.info(
            "loaded %s: %d rows from %s", name, rows.num_rows if rows is not None else 0, self.store.location(name)
        )

    def fingerprint(self, connection: duckdb.DuckDBPyConnection, name: str) -> Fingerprint:
        [(table, ddl)] = connection.execute(
            "SELECT table_name, sql FROM duckdb_tables() WHERE schema_name = 'main' AND lower(table_name) = ?", [name]
        ).fetchall()
        columns = {
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ?", [table]
            ).fetchall()
        }
        partition = self.partition_columns.get(name)
        partition = partition if partition in columns else None
        key = f"CAST({q(partition)} AS VARCHAR)" if partition else f"'{WHOLE}'"
        # count + sum of 64-bit row hashes (as HUGEINT, so duplicates do not cancel as with xor):
        # equal before and after means unchanged, short of a hash collision.
        rows = connection.execute(
            f"SELECT {key}, count(*), sum(hash(fingerprint_row__)::HUGEINT) "
            f"FROM {q(table)} AS fingerprint_row__ GROUP BY 1"
        ).fetchall()
        parts = {value: (int(n), int(total or 0)) for value, n, total in rows}
        if not partition and not parts:
            parts = {WHOLE: (0, 0)}
        return Fingerprint(ddl=ddl, partition_column=partition, parts=parts)

    # --- the end of the block ---------------------------------------------------------------

    def finish(self, upload: bool) -> None:
        try:
            if upload:
                self._upload_changes()
        finally:
            self.database.close()

    def _upload_changes(self) -> None:
        reader = self.database.cursor()  # sees what was committed
        present = {
            table.lower(): table
            for (table,) in reader.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary"
            ).fetchall()
        }
        for name, table in present.items():
            state = self.states.get(name)
            if state == PLACEHOLDER:
                continue  # never read, so never changed
            after = self.fingerprint(reader, name)
            before = self.fingerprints.get(name) if state == LOADED else None
            if before == after:
                continue
            self._upload(reader, table, before, after)
        for name, state in self.states.items():
            if name not in present and state != PLACEHOLDER:
                self.store.drop(self.remote[name].name)

    def _upload(self, reader, table: str, before: Fingerprint | None, after: Fingerprint) -> None:
        column = after.partition_column
        known = self.remote.get(table.lower())
        if column is None:
            rows = reader.sql(f"SELECT * FROM {q(table)}").to_arrow_table()
            self.store.write_whole(table, rows, was_plain=known is not None and known.partition_column is None)
            self.store.register(table, rows.schema, None, after.ddl, known=known)
            return
        same_layout = before is not None and before.partition_column == column and before.ddl == after.ddl
        changed = {v for v, fp in after.parts.items() if before is None or not same_layout or before.parts.get(v) != fp}
        # Partitions to delete: those this session saw (or, for a replaced or new table, all those
        # on S3 now) that are gone. A partition another process added meanwhile is left alone
        # unless the whole table was replaced.
        seen = (
            set(before.parts)
            if before is not None and before.partition_column == column
            else self.store.partition_values(table)
        )
        removed = seen - set(after.parts)
        for value in changed:
            rows = reader.sql(
                f"SELECT * EXCLUDE ({q(column)}) FROM {q(table)} "
                f"WHERE CAST({q(column)} AS VARCHAR) IS NOT DISTINCT FROM ?",
                params=[value],
            ).to_arrow_table()
            self.store.write_partition(table, column, value, rows)
        self.store.delete_partitions(table, column, removed)
        if before is None or before.partition_column != column:
            self.store.delete_plain_object(table)
        schema = reader.sql(f"SELECT * EXCLUDE ({q(column)}) FROM {q(table)} LIMIT 0").to_arrow_table().schema
        self.store.register(
            table, schema, column, after.ddl, written_values=changed, removed_values=removed, known=known
        )


class LazyConnection:
    """Stands in for a DuckDB connection: `execute`, `sql` and `table` load what they name
    first; `cursor()` gives another such connection on the same database; everything else
    (register, fetchall, df, ...) is the DuckDB connection's own."""

    def __init__(self, session: LazySession, raw: duckdb.DuckDBPyConnection):
        self._session, self._raw = session, raw
        self._in_transaction = False
        # (table, state, fingerprint) before this transaction changed them, to undo on ROLLBACK.
        self._undo: list[tuple[str, str, Fingerprint | None]] = []

    def _remember(self, name: str) -> None:
        if self._in_transaction:
            self._undo.append((name, self._session.states[name], self._session.fingerprints.get(name)))

    def _before(self, sql: str) -> Statement:
        session = self._session
        statement = plan(sql, {n for n, s in session.states.items() if s == PLACEHOLDER})
        for name in sorted(statement.loads):
            self._remember(name)
            session.load(self._raw, name)
        return statement

    def _after(self, sql: str, statement: Statement) -> None:
        session = self._session
        if statement.replaces and session.states.get(statement.replaces) == PLACEHOLDER:
            self._remember(statement.replaces)
            session.states[statement.replaces] = REPLACED
        if _BEGIN.match(sql):
            self._in_transaction, self._undo = True, []
        elif _COMMIT.match(sql):
            self._in_transaction, self._undo = False, []
        elif _ROLLBACK.match(sql):
            for name, state, fingerprint in reversed(self._undo):
                session.states[name] = state
                if fingerprint is None:
                    session.fingerprints.pop(name, None)
                else:
                    session.fingerprints[name] = fingerprint
            self._in_transaction, self._undo = False, []

    def execute(self, query: str, *args, **kwargs) -> LazyConnection:
        statement = self._before(query)
        self._raw.execute(query, *args, **kwargs)
        self._after(query, statement)
        return self  # as DuckDB's execute returns the connection, for .fetchall() / .df()

    def sql(self, query: str, *args, **kwargs):
        statement = self._before(query)
        relation = self._raw.sql(query, *args, **kwargs)
        self._after(query, statement)
        return relation

    query = sql

    def table(self, name: str):
        self._before(f"SELECT * FROM {q(name)}")
        return self._raw.table(name)

    def remote_tables(self) -> set[str]:
        """Names (lower case) of the tables Glue had when the session began."""
        return set(self._session.remote)

    def cursor(self) -> LazyConnection:
        return LazyConnection(self._session, self._raw.cursor())

    def __getattr__(self, attribute: str):
        return getattr(self._raw, attribute)
