"""Tables as Parquet objects on S3, registered in the AWS Glue catalog (what Athena queries).

The layout (object keys, partition paths, what Glue is told) is in resources/s3_table_layout.py.
One put per object, so a reader sees a partition's old rows or its new ones, never half, and two
processes writing different partitions touch disjoint objects. No Dagster here: the warehouse
resource (resources/s3_warehouse.py) and the DuckDB session (resources/lazy_session.py) use it.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Set as AbstractSet

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

from resources.s3_table_layout import (
    DATA_OBJECT,
    DDL_PARAMETER,
    NULL_PARTITION,
    RemoteTable,
    is_data_object,
    partition_path,
    partition_value,
    remote_table,
    storage_descriptor,
)

logger = logging.getLogger(__name__)


class WarehouseError(RuntimeError):
    """S3 or Glue refused: a missing or unreachable bucket, a denied call. Names what it was."""


class MissingTableError(duckdb.CatalogException):
    """No such table in the Glue database; a CatalogException, as DuckDB's own would be."""


class S3TableStore:
    """Reads and writes the Parquet objects and the Glue entries of the warehouse's tables."""

    def __init__(self, s3, glue, bucket: str, prefix: str, database: str):
        self.s3, self.glue = s3, glue
        self.bucket, self.prefix, self.database = bucket, prefix.strip("/"), database
        self._database_checked = False

    # --- names ------------------------------------------------------------------------------

    def key_prefix(self, table: str) -> str:
        return f"{self.prefix}/{table}/" if self.prefix else f"{table}/"

    def location(self, table: str) -> str:
        return f"s3://{self.bucket}/{self.key_prefix(table)}"

    # --- S3 ---------------------------------------------------------------------------------

    def _s3(self, operation: str, **kwargs):
        try:
            return getattr(self.s3, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket", "AccessDenied", "AllAccessDisabled", "PermanentRedirect"):
                raise WarehouseError(
                    f"S3 bucket {self.bucket!r} refused {operation} ({code}): check that the bucket "
                    f"exists, is in this region and that these credentials may use it"
                ) from error
            raise

    def object_keys(self, table: str) -> list[str]:
        keys, token = [], None
        while True:
            page = self._s3(
                "list_objects_v2", Prefix=self.key_prefix(table), **({"ContinuationToken": token} if token else {})
            )
            keys += [item["Key"] for item in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not token:
                return keys

    def partition_values(self, table: str) -> set[str | None]:
        """The partition values that have an object on S3 now."""
        values = set()
        for key in self.object_keys(table):
            segments = key[len(self.key_prefix(table)) :].split("/")
            if len(segments) == 2 and "=" in segments[0]:
                values.add(partition_value(segments[0])[1])
        return values

    def read(self, table: RemoteTable) -> pa.Table | None:
        """Every Parquet object of the table as one Arrow table (the partition column put back
        from the object paths); None when the table has no objects yet."""
        pieces = []
        for key in self.object_keys(table.name):
            if not is_data_object(key):
                continue
            body = self._s3("get_object", Key=key)["Body"].read()
            piece = pq.read_table(io.BytesIO(body))
            segments = key[len(self.key_prefix(table.name)) :].split("/")
            if len(segments) == 2 and "=" in segments[0]:
                column, value = partition_value(segments[0])
                if column not in piece.column_names:
                    piece = piece.append_column(column, pa.array([value] * piece.num_rows, pa.string()))
            pieces.append(piece)
        if not pieces:
            return None
        return pa.concat_tables(pieces, promote_options="permissive")

    def _put(self, key: str, rows: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(rows, buffer, compression="snappy")
        self._s3("put_object", Key=key, Body=buffer.getvalue())
        logger.info("wrote %d rows to s3://%s/%s", rows.num_rows, self.bucket, key)

    def write_whole(self, table: str, rows: pa.Table, was_plain: bool = False) -> None:
        """Replace a plain table's object; unless it `was_plain` already, objects of another
        layout (partitions) are looked for and removed."""
        key = self.key_prefix(table) + DATA_OBJECT
        self._put(key, rows)
        if not was_plain:
            self._delete_keys([k for k in self.object_keys(table) if k != key])

    def write_partition(self, table: str, column: str, value: str | None, rows: pa.Table) -> None:
        self._put(f"{self.key_prefix(table)}{partition_path(column, value)}/{DATA_OBJECT}", rows)

    def delete_partitions(self, table: str, column: str, values: set[str | None]) -> None:
        prefixes = tuple(f"{self.key_prefix(table)}{partition_path(column, v)}/" for v in values)
        self._delete_keys([k for k in self.object_keys(table) if k.startswith(prefixes)])

    def delete_plain_object(self, table: str) -> None:
        """A table now partitioned drops the single object of its plain layout."""
        self._delete_keys([k for k in self.object_keys(table) if k == self.key_prefix(table) + DATA_OBJECT])

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self._s3("delete_objects", Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})

    # --- Glue -------------------------------------------------------------------------------

    def tables(self) -> dict[str, RemoteTable]:
        """Every table of the Glue database (none when the database does not exist yet)."""
        found, token = {}, None
        while True:
            try:
                page = self.glue.get_tables(DatabaseName=self.database, **({"NextToken": token} if token else {}))
            except self.glue.exceptions.EntityNotFoundException:
                return {}
            for entry in page.get("TableList", []):
                found[entry["Name"]] = remote_table(entry)
            token = page.get("NextToken")
            if not token:
                return found

    def get(self, table: str) -> RemoteTable | None:
        try:
            return remote_table(self.glue.get_table(DatabaseName=self.database, Name=table)["Table"])
        except self.glue.exceptions.EntityNotFoundException:
            return None

    def ensure_database(self) -> None:
        if self._database_checked:
            return
        try:
            self.glue.get_database(Name=self.database)
        except self.glue.exceptions.EntityNotFoundException:
            # AlreadyExists: another process got there first.
            with contextlib.suppress(self.glue.exceptions.AlreadyExistsException):
                self.glue.create_database(
                    DatabaseInput={"Name": self.database, "Description": "sentiment-assets warehouse (Parquet on S3)"}
                )
        self._database_checked = True

    def register(
        self,
        table: str,
        schema: pa.Schema,
        partition_column: str | None,
        ddl: str,
        written_values: AbstractSet[str | None] = frozenset(),
        removed_values: AbstractSet[str | None] = frozenset(),
        known: RemoteTable | None = None,
    ) -> None:
        """Create or update the Glue table (`schema` without the partition column), then add or
        refresh the partitions just written and delete the removed ones. `known` is the entry as
        the caller last saw it (None: not there), which saves a lookup."""
        self.ensure_database()
        table_input = {
            "Name": table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE", DDL_PARAMETER: ddl},
            "StorageDescriptor": storage_descriptor(self.location(table), schema),
            "PartitionKeys": [{"Name": partition_column, "Type": "string"}] if partition_column else [],
        }
        if known is not None and known.partition_column != partition_column:
            # Glue cannot change a table's partition keys in place; its old partitions go with it.
            self.glue.delete_table(DatabaseName=self.database, Name=table)
            known = None
        try:
            if known is None:
                self.glue.create_table(DatabaseName=self.database, TableInput=table_input)
            else:
                self.glue.update_table(DatabaseName=self.database, TableInput=table_input)
        except (self.glue.exceptions.AlreadyExistsException, self.glue.exceptions.EntityNotFoundException):
            # Another process created or dropped it since: look again and do what fits now.
            current = self.get(table)
            if current is not None and current.partition_column != partition_column:
                self.glue.delete_table(DatabaseName=self.database, Name=table)
                current = None
            if current is None:
                self.glue.create_table(DatabaseName=self.database, TableInput=table_input)
            else:
                self.glue.update_table(DatabaseName=self.database, TableInput=table_input)
        if partition_column is None:
            return
        for value in written_values:
            partition_input = {
                "Values": [NULL_PARTITION if value is None else value],
                "StorageDescriptor": storage_descriptor(
                    f"{self.location(table)}{partition_path(partition_column, value)}/", schema
                ),
            }
            try:
                self.glue.create_partition(DatabaseName=self.database, TableName=table, PartitionInput=partition_input)
            except self.glue.exceptions.AlreadyExistsException:
                # Refreshed, so the partition's columns follow a changed table schema.
                self.glue.update_partition(
                    DatabaseName=self.database,
                    TableName=table,
                    PartitionValueList=partition_input["Values"],
                    PartitionInput=partition_input,
                )
        removed = [{"Values": [NULL_PARTITION if v is None else v]} for v in removed_values]
        for start in range(0, len(removed), 25):
            self.glue.batch_delete_partition(
                DatabaseName=self.database, TableName=table, PartitionsToDelete=removed[start : start + 25]
            )

    def drop(self, table: str) -> None:
        """Delete the table's objects and its Glue entry."""
        self._delete_keys(self.object_keys(table))
        with contextlib.suppress(self.glue.exceptions.EntityNotFoundException):
            self.glue.delete_table(DatabaseName=self.database, Name=table)
        logger.info("dropped table %s (%s)", table, self.location(table))
