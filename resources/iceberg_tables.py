"""Apache Iceberg tables in the AWS Glue catalog, written and read with pyiceberg (no Dagster here).

What Athena engine v3 reads and writes natively: each table is registered in one Glue database
with Parameters table_type=ICEBERG, its data and metadata under s3://{bucket}/{prefix}/. Every
change is one atomic commit (a new snapshot), so readers never see half a write, partitions of
one table can be replaced by separate processes at the same time, and earlier snapshots stay
readable (`read_at`).

Concurrent commits: a commit that loses the race (pyiceberg's CommitFailedException) is retried
here, a bounded number of times, re-reading the table and recomputing the change each time (for
`append_new_keys` the keys already present can have changed). pyiceberg's own retry, which
replays the same rows, is turned off in the tables this store creates.

Credentials come only from the standard AWS chain (environment, profile, instance role).
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog import Catalog
from pyiceberg.catalog.glue import GLUE_CATALOG_ENDPOINT, GLUE_REGION, GlueCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.expressions import (
    AlwaysFalse,
    AlwaysTrue,
    And,
    BooleanExpression,
    EqualTo,
    In,
    IsNull,
)
from pyiceberg.io import S3_ENDPOINT, S3_REGION
from pyiceberg.table import Table, TableProperties, Transaction

logger = logging.getLogger(__name__)

TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
COMMIT_ATTEMPTS = 6  # a lost race is retried this many times in all, re-reading the table each time
RETRY_WAIT_SECONDS = 0.05  # doubled after each lost race, with jitter
# Tables created here leave retries to this module: pyiceberg's would replay rows computed
# against the table as it was before the other writer's commit.
TABLE_PROPERTIES = {TableProperties.COMMIT_NUM_RETRIES: "0"}

T = TypeVar("T")


class InvalidTableName(ValueError):
    """A table name that is not [a-z_][a-z0-9_]*: names never reach a path or a catalog unchecked."""


class MissingIcebergTable(LookupError):
    """No such table in the Glue database."""


@dataclass(frozen=True)
class SnapshotInfo:
    """One commit of a table: its id, when it was committed (ms since the epoch), and what it did."""

    snapshot_id: int
    timestamp_ms: int
    operation: str


class IcebergTableStore:
    """Iceberg tables of one Glue database, through a pyiceberg catalog."""

    def __init__(self, catalog: Catalog, database: str):
        self.catalog = catalog
        self.database = valid_name(database)
        self._namespace_ready = False

    @classmethod
    def for_glue(
        cls,
        *,
        bucket: str,
        prefix: str,
        database: str,
        region_name: str | None = None,
        endpoint_url: str | None = None,
    ) -> IcebergTableStore:
        """A store on the AWS Glue catalog; new tables go under s3://{bucket}/{prefix}/."""
        properties = {"warehouse": f"s3://{bucket}/{prefix.strip('/')}/"}
        if region_name is not None:
            properties |= {GLUE_REGION: region_name, S3_REGION: region_name}
        if endpoint_url is not None:
            properties |= {GLUE_CATALOG_ENDPOINT: endpoint_url, S3_ENDPOINT: endpoint_url}
        # cast: the keyword properties could, for pyright, name GlueCatalog's `client` parameter.
        return cls(GlueCatalog("glue", **cast(dict[str, Any], properties)), database)

    # --- tables -----------------------------------------------------------------------------

    def table_exists(self, table: str) -> bool:
        return self.catalog.table_exists(self._identifier(table))

    def columns(self, table: str) -> list[str]:
        """The table's column names in order."""
        return [field.name for field in self._load(table).schema().fields]

    def row_count(self, table: str) -> int:
        return self._load(table).scan().count()

    def drop_table(self, table: str) -> None:
        """Remove `table` from the catalog, if it is there (its files stay until the bucket's
        lifecycle rules remove them: other readers may still be scanning a snapshot)."""
        with suppress(NoSuchTableError):
            self.catalog.drop_table(self._identifier(table))

    def location(self, table: str) -> str:
        return self._load(table).location()

    def write_table(self, table: str, arrow: pa.Table, partition_column: str | None = None) -> int:
        """Create `table`, or replace all its rows, with `arrow`; partitioned by the identity of
        `partition_column` when given. Same columns and partitioning: one overwrite commit (the
        old rows stay readable through `read_at`). Otherwise the table is dropped and created anew."""
        arrow = storable(arrow)
        if partition_column is not None:
            require_columns(arrow, [partition_column], table)

        def write(current: Table | None) -> int:
            if current is not None and _same_layout(current, conform(arrow, current), partition_column):
                current.overwrite(conform(arrow, current))
                return arrow.num_rows
            if current is not None:
                self.catalog.drop_table(self._identifier(table))
            self._create(table, arrow, partition_column)
            return arrow.num_rows

        return self.commit(table, write)

    def write_table_in_chunks(self, table: str, chunks: Iterable[pa.Table], partition_column: str | None = None) -> int:
        """Replace all of `table`'s rows with `chunks`, in one commit: each chunk's data files are
        written as it comes (memory holds one chunk), and readers see the old rows until the
        commit. The first chunk (even empty) fixes the columns; no rows at all is an error."""
        iterator = iter(chunks)
        first = next(iterator, None)
        if first is None:
            raise ValueError(f"no rows to write to {table}")
        first = storable(first)
        if partition_column is not None:
            require_columns(first, [partition_column], table)
        current = self._load_or_none(table)
        if current is not None and not _same_layout(current, conform(first, current), partition_column):
            self.catalog.drop_table(self._identifier(table))
            current = None
        written = 0
        with self._replacing(table, current, first, partition_column) as (transaction, schema):
            for chunk in itertools.chain([first], iterator):
                arrow = conform_to(storable(chunk), schema)
                if arrow.num_rows:
                    transaction.append(arrow)
                    written += arrow.num_rows
            if not written:
                raise ValueError(f"no rows to write to {table}")  # raised inside: nothing is committed
        return written

    @contextmanager
    def _replacing(
        self, table: str, current: Table | None, first: pa.Table, partition_column: str | None
    ) -> Iterator[tuple[Transaction, pa.Schema]]:
        """A transaction that starts by removing every row of `table` (or creates it, shaped like
        `first`), and the Arrow schema rows must have; committed when the block exits cleanly."""
        if current is not None:
            with current.transaction() as transaction:
                transaction.delete(AlwaysTrue())
                yield transaction, current.schema().as_arrow()
            return
        self._ensure_namespace()
        with self.catalog.create_table_transaction(
            self._identifier(table), schema=first.schema, properties=TABLE_PROPERTIES
        ) as transaction:
            if partition_column is not None:
                with transaction.update_spec() as spec:
                    spec.add_identity(partition_column)
            yield transaction, transaction.table_metadata.schema().as_arrow()

    def replace_partition(self, table: str, column: str, value: str, arrow: pa.Table) -> int:
        """Swap the rows whose `column` is `value` for `arrow`, in one commit; other values' rows
        stay. Every row of `arrow` must have that value. A missing table is created, partitioned by
        `column`. Returns the rows written."""
        arrow = storable(arrow)
        require_columns(arrow, [column], table)
        same = pc.call_function("equal", [arrow[column].cast(pa.string()), pa.scalar(str(value))])
        stray = arrow.num_rows - (pc.call_function("sum", [same]).as_py() or 0)  # a null is not `value`
        if stray:
            raise ValueError(f"replace_partition({table!r}): {stray} row(s) have {column} other than {value!r}")

        def write(current: Table | None) -> int:
            if current is None:
                self._create(table, arrow, column)
            else:
                current.overwrite(conform(arrow, current), overwrite_filter=_equal(column, value))
            return arrow.num_rows

        return self.commit(table, write)

    def append_new_keys(self, table: str, arrow: pa.Table, key: list[str], partition_column: str | None = None) -> int:
        """Append the rows of `arrow` whose `key` the table does not hold yet (rows already there
        stay as they are); a key twice in `arrow` is an error. Returns the rows appended."""
        arrow = storable(arrow)
        require_columns(arrow, key, table)
        refuse_duplicate_keys(arrow, key, table)

        def write(current: Table | None) -> int:
            if current is None:
                self._create(table, arrow, partition_column)
                return arrow.num_rows
            held = current.scan(row_filter=_key_filter(arrow, key), selected_fields=tuple(key)).to_arrow()
            new_rows = conform(_rows_without_keys(arrow, held, key), current)
            if new_rows.num_rows:
                current.append(new_rows)
            return new_rows.num_rows

        return self.commit(table, write)

    def merge_by_key(self, table: str, arrow: pa.Table, key: list[str], partition_column: str | None = None) -> int:
        """Upsert: the rows of `arrow` replace the table's rows with the same `key` (whole rows) and
        rows with new keys are added, in one commit; a key twice in `arrow` is an error. Returns
        the rows written. (pyiceberg's Table.upsert is not used: it compares every column of the
        matched rows with an Arrow join, which does not take list columns such as input_ids.)"""
        arrow = storable(arrow)
        require_columns(arrow, key, table)
        refuse_duplicate_keys(arrow, key, table)

        def write(current: Table | None) -> int:
            if current is None:
                self._create(table, arrow, partition_column)
                return arrow.num_rows
            if not arrow.num_rows:
                return 0
            # The rows that may share a key (every key column among the given values), less those
            # that do: deleted and written back with the new rows, in one commit.
            candidates = _key_filter(arrow, key)
            incoming = conform(arrow, current)
            kept = _rows_without_keys(current.scan(row_filter=candidates).to_arrow(), incoming, key)
            with current.transaction() as transaction:
                transaction.delete(candidates)
                if kept.num_rows:
                    transaction.append(kept)
                transaction.append(incoming)
            return arrow.num_rows

        return self.commit(table, write)

    # --- reading ----------------------------------------------------------------------------

    def read(self, table: str, columns: list[str] | None = None, where: dict[str, object] | None = None) -> pa.Table:
        """The rows of `table` (only `columns`, in that order, when given) whose columns equal the
        values of `where` (a value, or any of a list or tuple of values; None matches nulls). The
        filter reaches the scan planning, so the data files of other partitions are not read."""
        scan = self._load(table).scan(row_filter=row_filter(where), selected_fields=_selected(columns))
        return _ordered(scan.to_arrow(), columns)

    def read_batches(
        self,
        table: str,
        columns: list[str] | None = None,
        where: dict[str, object] | None = None,
        batch_rows: int = 65_536,
    ) -> Iterator[pa.Table]:
        """`read` in tables of at most `batch_rows` rows, streamed from the data files one record
        batch at a time (memory holds about one data file's batch, not the table)."""
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be >= 1, got {batch_rows}")
        scan = self._load(table).scan(row_filter=row_filter(where), selected_fields=_selected(columns))
        for batch in scan.to_arrow_batch_reader():
            for start in range(0, batch.num_rows, batch_rows):
                yield _ordered(pa.Table.from_batches([batch.slice(start, batch_rows)]), columns)

    def data_files_read(self, table: str, where: dict[str, object] | None = None) -> list[str]:
        """The data files a `read(table, where=where)` scans: how partition pruning shows."""
        scan = self._load(table).scan(row_filter=row_filter(where))
        return sorted(task.file.file_path for task in scan.plan_files())

    def snapshots(self, table: str) -> list[SnapshotInfo]:
        """Every snapshot still in the table's metadata, oldest first."""
        return sorted(
            (
                SnapshotInfo(
                    snapshot.snapshot_id,
                    snapshot.timestamp_ms,
                    snapshot.summary.operation.value if snapshot.summary is not None else "unknown",
                )
                for snapshot in self._load(table).snapshots()
            ),
            key=lambda info: (info.timestamp_ms, info.snapshot_id),
        )

    def read_at(
        self,
        table: str,
        *,
        snapshot_id: int | None = None,
        as_of_ms: int | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        """The table as it was at snapshot `snapshot_id`, or as it was at time `as_of_ms` (ms since
        the epoch: the last snapshot committed then or before). Exactly one of the two."""
        if (snapshot_id is None) == (as_of_ms is None):
            raise ValueError("read_at: give exactly one of snapshot_id and as_of_ms")
        current = self._load(table)
        snapshot = (
            current.snapshot_by_id(snapshot_id)
            if snapshot_id is not None
            else current.snapshot_as_of_timestamp(as_of_ms)  # type: ignore[arg-type]  # checked above
        )
        if snapshot is None:
            wanted = f"snapshot {snapshot_id}" if snapshot_id is not None else f"a snapshot at or before {as_of_ms} ms"
            raise LookupError(f"table {table!r} has no {wanted}")
        scan = current.scan(snapshot_id=snapshot.snapshot_id, selected_fields=_selected(columns))
        return _ordered(scan.to_arrow(), columns)

    # --- internals --------------------------------------------------------------------------

    def _identifier(self, table: str) -> tuple[str, str]:
        return (self.database, valid_name(table))

    def _load(self, table: str) -> Table:
        try:
            return self.catalog.load_table(self._identifier(table))
        except NoSuchTableError as error:
            raise MissingIcebergTable(
                f"no Iceberg table {table!r} in Glue database {self.database!r}; materialize it first"
            ) from error

    def _load_or_none(self, table: str) -> Table | None:
        try:
            return self._load(table)
        except MissingIcebergTable:
            return None

    def _ensure_namespace(self) -> None:
        if not self._namespace_ready:
            self.catalog.create_namespace_if_not_exists(self.database)
            self._namespace_ready = True

    def _create(self, table: str, arrow: pa.Table, partition_column: str | None) -> None:
        """Create `table` holding `arrow`, in one commit (the table appears with its rows)."""
        self._ensure_namespace()
        with self.catalog.create_table_transaction(
            self._identifier(table), schema=arrow.schema, properties=TABLE_PROPERTIES
        ) as transaction:
            if partition_column is not None:
                with transaction.update_spec() as spec:
                    spec.add_identity(partition_column)
            if arrow.num_rows:
                transaction.append(arrow)

    def commit(self, table: str, write: Callable[[Table | None], T]) -> T:
        """`write(the table as it is now, or None)`, again on a fresh read of the table whenever
        another writer committed first; the last attempt's error if every attempt lost."""
        self._identifier(table)  # the name is checked before anything is read or written
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                current: Table | None = self._load(table)
            except MissingIcebergTable:
                current = None
            try:
                return write(current)
            except (CommitFailedException, TableAlreadyExistsError) as error:
                if attempt == COMMIT_ATTEMPTS:
                    raise
                wait = RETRY_WAIT_SECONDS * 2 ** (attempt - 1) * random.uniform(1.0, 1.5)
                logger.info("table %s: another writer committed first (%s); retrying in %.2f s", table, error, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")


def valid_name(name: str) -> str:
    """`name` if it is a lower-case SQL identifier ([a-z_][a-z0-9_]*); an InvalidTableName if not."""
    if not isinstance(name, str) or TABLE_NAME.fullmatch(name) is None:
        raise InvalidTableName(f"{name!r} is not a table name: use lower-case letters, digits and _ ([a-z_][a-z0-9_]*)")
    return name


def storable(arrow: pa.Table) -> pa.Table:
    """`arrow` with the types Iceberg stores: timestamps in microseconds (Iceberg v2 has no
    nanoseconds; pandas' nanoseconds are truncated), a column of only nulls as text, other types
    as they are."""
    fields = [_storable_field(field) for field in arrow.schema]
    schema = pa.schema(fields, metadata=arrow.schema.metadata)
    return arrow if schema.equals(arrow.schema) else arrow.cast(schema, safe=False)


def _storable_field(field: pa.Field) -> pa.Field:
    if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
        return pa.field(field.name, pa.timestamp("us", field.type.tz), field.nullable, field.metadata)
    if pa.types.is_null(field.type):
        # A column with no value yet (a pandas column of None): Iceberg v2 has no null type. Text
        # is the type that holds anything later written to it; an existing table's type wins
        # (conform).
        return pa.field(field.name, pa.string(), True, field.metadata)
    return field


def conform(arrow: pa.Table, current: Table) -> pa.Table:
    """`arrow` with each column that the table has cast to the table's type: a pandas frame's
    empty text column arrives as Arrow's null type, and an int64 count for an int column."""
    return conform_to(arrow, current.schema().as_arrow())


def conform_to(arrow: pa.Table, schema: pa.Schema) -> pa.Table:
    """`arrow` with each column that `schema` has cast to its type there."""
    wanted = {field.name: field.type for field in schema}
    columns = [
        column.cast(wanted[name]) if name in wanted and column.type != wanted[name] else column
        for name, column in zip(arrow.column_names, arrow.columns, strict=True)
    ]
    fields = [pa.field(name, column.type) for name, column in zip(arrow.column_names, columns, strict=True)]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def require_columns(arrow: pa.Table, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in arrow.column_names]
    if not columns or missing:
        raise ValueError(f"rows for {table!r} need the column(s) {list(columns)}; they lack {missing or columns}")


def refuse_duplicate_keys(arrow: pa.Table, key: list[str], table: str) -> None:
    counts = arrow.select(key).group_by(key).aggregate([([], "count_all")])
    repeated = counts.filter(pc.call_function("greater", [counts["count_all"], pa.scalar(1)]))
    if repeated.num_rows:
        first = repeated.slice(0, 1).to_pylist()[0]
        times = first.pop("count_all")
        raise ValueError(f"rows for {table!r}: the key {first} is {times} times in the rows given")


def row_filter(where: dict[str, object] | None) -> BooleanExpression:
    """`where` as a pyiceberg row filter: column == value, column in [values], column is null."""
    conditions: list[BooleanExpression] = []
    for column, wanted in (where or {}).items():
        if isinstance(wanted, list | tuple):
            values = [_plain(v) for v in wanted]
            conditions.append(_is_in(column, values) if values else AlwaysFalse())
        elif wanted is None:
            conditions.append(_is_null(column))
        else:
            conditions.append(_equal(column, _plain(wanted)))
    if not conditions:
        return AlwaysTrue()
    return conditions[0] if len(conditions) == 1 else And(*conditions)


# pyiceberg's predicates take (column, value) positionally at run time; pyright reads their
# pydantic fields instead, whose names differ, hence the casts.
def _equal(column: str, value: object) -> BooleanExpression:
    return cast(Any, EqualTo)(column, value)


def _is_in(column: str, values: list) -> BooleanExpression:
    return cast(Any, In)(column, values)


def _is_null(column: str) -> BooleanExpression:
    return cast(Any, IsNull)(column)


def _plain(value: object):
    """A Python scalar for pyiceberg's literals (numpy and Arrow scalars are not)."""
    item = getattr(value, "item", None) or getattr(value, "as_py", None)
    return item() if callable(item) else value


def _key_filter(arrow: pa.Table, key: list[str]) -> BooleanExpression:
    """The rows of the table whose every key column has one of `arrow`'s values for it: each row
    with a key of `arrow` (exactly those for a one-column key), a flat filter however many rows.
    A null key matches nothing, here and in the joins."""
    conditions: list[BooleanExpression] = []
    for column in key:
        values = list({v for v in arrow[column].to_pylist() if v is not None})
        if not values:
            return AlwaysFalse()
        conditions.append(_is_in(column, values))
    return conditions[0] if len(conditions) == 1 else And(*conditions)


def _rows_without_keys(arrow: pa.Table, held: pa.Table, key: list[str]) -> pa.Table:
    """The rows of `arrow` whose key is not in `held`, exactly (a join on every key column). The
    join carries only the key and a row number: Arrow's hash join takes no list columns
    (input_ids) as payload."""
    numbered = arrow.select(key).append_column("__row", pa.array(range(arrow.num_rows), pa.int64()))
    held_keys = held.select(key).cast(arrow.select(key).schema)  # e.g. large_string as read -> string
    kept = numbered.join(held_keys, keys=key, join_type="left anti")
    return arrow.take(pa.array(sorted(kept["__row"].to_pylist()), pa.int64()))


def _same_layout(current: Table, arrow: pa.Table, partition_column: str | None) -> bool:
    """Whether `arrow` can overwrite `current` as it is: the same columns of the same types, and
    the same identity partitioning."""
    wanted = Catalog._convert_schema_if_needed(arrow.schema)
    have = current.schema()
    # Types compared as text: nested types carry field ids, which a schema not yet stored lacks.
    same_columns = [(f.name, str(f.field_type)) for f in have.fields] == [
        (f.name, str(f.field_type)) for f in wanted.fields
    ]
    spec = current.spec()
    partitioned_by = [have.find_column_name(field.source_id) for field in spec.fields]
    return same_columns and partitioned_by == ([partition_column] if partition_column is not None else [])


def _selected(columns: list[str] | None) -> tuple[str, ...]:
    return tuple(columns) if columns else ("*",)


def _ordered(arrow: pa.Table, columns: list[str] | None) -> pa.Table:
    return arrow.select(columns) if columns else arrow
