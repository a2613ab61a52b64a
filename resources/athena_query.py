"""SQL through Amazon Athena for the aws profile's `warehouse.query(sql, parameters)`.

dagster-aws's AthenaClient runs a query and returns CSV strings; the warehouse needs more --
the Glue database as context, an output location, `?` parameters, and a typed DataFrame -- so
this sends the request itself on the client's boto3 client and uses its polling settings.

Parameters: Athena binds `?` positionally from ExecutionParameters, a list of SQL *literals*
(a string is sent as 'text', a time as TIMESTAMP '...'), so values are rendered here.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from decimal import Decimal
from typing import cast

import numpy as np
import pandas as pd
from dagster_aws.athena import AthenaClient, AthenaError

logger = logging.getLogger(__name__)

RUNNING_STATES = ("QUEUED", "RUNNING")


class AthenaQueryError(AthenaError):
    """An Athena query that FAILED, was CANCELLED or did not finish; names its query id."""

    def __init__(self, query_id: str, state: str, reason: str):
        super().__init__(f"Athena query {query_id} {state}: {reason}")
        self.query_id, self.state, self.reason = query_id, state, reason


def athena_literal(value: object) -> str:
    """`value` as the SQL literal Athena's ExecutionParameters expects."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()  # numpy scalars, e.g. taken from a DataFrame column
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            raise ValueError(f"{value} has no Athena literal; pass it in the SQL as infinity()")
        return f"DOUBLE '{value!r}'"
    if isinstance(value, Decimal):
        return f"DECIMAL '{value}'"
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return f"TIMESTAMP '{value.replace(tzinfo=None).isoformat(sep=' ', timespec='milliseconds')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, (list, tuple)):
        return "ARRAY[" + ", ".join(athena_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def wait_for_query(
    client,
    query_id: str,
    *,
    polling_seconds: float = 1.0,
    max_polls: int = 600,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll get_query_execution until the query leaves QUEUED/RUNNING; returns the execution on
    SUCCEEDED, raises AthenaQueryError (query id, state, Athena's StateChangeReason) otherwise."""
    delay = min(0.1, polling_seconds)
    for _ in range(max_polls):
        execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        status = execution["Status"]
        if status["State"] == "SUCCEEDED":
            return execution
        if status["State"] not in RUNNING_STATES:
            raise AthenaQueryError(query_id, status["State"], status.get("StateChangeReason", "no reason given"))
        sleep(delay)
        delay = min(delay * 2, polling_seconds)  # short queries come back fast; long ones are not hammered
    raise AthenaQueryError(query_id, "TIMED OUT", f"still running after {max_polls} polls")


_INTEGER_TYPES = {"tinyint", "smallint", "integer", "int", "bigint"}
_FLOAT_TYPES = {"float", "real", "double", "decimal"}


def _numeric(series: pd.Series) -> pd.Series:
    return cast(pd.Series, pd.to_numeric(series))  # of a Series: a Series


def _typed(values: list[str | None], athena_type: str) -> pd.Series:
    kind = athena_type.lower().split("(")[0]
    series = pd.Series(values, dtype="object")
    if kind in _INTEGER_TYPES:
        numbers = _numeric(series).astype("Int64")
        return numbers.astype("int64") if not numbers.isna().any() else numbers
    if kind in _FLOAT_TYPES:
        return _numeric(series).astype("float64")
    if kind == "boolean":
        flags = series.map({"true": True, "false": False}).astype("boolean")
        return flags.astype(bool) if not flags.isna().any() else flags
    if kind in ("date", "timestamp"):
        return pd.to_datetime(series)
    return series  # varchar, and arrays/maps/rows as Athena's text for them


def results_frame(client, query_id: str) -> pd.DataFrame:
    """Every page of get_query_results as a DataFrame typed from ResultSetMetadata."""
    rows, columns, token, first_page = [], None, None, True
    while True:
        page = client.get_query_results(
            QueryExecutionId=query_id, MaxResults=1000, **({"NextToken": token} if token else {})
        )
        result = page["ResultSet"]
        if columns is None:
            columns = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
        values = [[cell.get("VarCharValue") for cell in row.get("Data", [])] for row in result.get("Rows", [])]
        names = [c.get("Label") or c["Name"] for c in columns]
        if first_page and values and values[0] == names:
            values = values[1:]  # a SELECT's first row is its header
        rows += values
        first_page, token = False, page.get("NextToken")
        if not token:
            break
    names = [c.get("Label") or c["Name"] for c in columns]
    return pd.DataFrame(
        {
            name: _typed([row[i] if i < len(row) else None for row in rows], column["Type"])
            for i, (name, column) in enumerate(zip(names, columns, strict=False))
        }
    )


def run_query(
    athena: AthenaClient,
    sql: str,
    parameters: list | None,
    *,
    database: str,
    output_location: str,
    polling_seconds: float | None = None,
) -> pd.DataFrame:
    """Run `sql` in `database` with `?` bound to `parameters`; the rows as a DataFrame."""
    request = {
        "QueryString": sql,
        "WorkGroup": athena.workgroup,
        "QueryExecutionContext": {"Database": database},
        "ResultConfiguration": {"OutputLocation": output_location},
    }
    if parameters:
        request["ExecutionParameters"] = [athena_literal(v) for v in parameters]
    query_id = athena.client.start_query_execution(**request)["QueryExecutionId"]
    logger.info("athena query %s in %s (workgroup %s): %s", query_id, database, athena.workgroup, sql)
    wait_for_query(
        athena.client,
        query_id,
        max_polls=athena.max_polls,
        polling_seconds=athena.polling_interval if polling_seconds is None else polling_seconds,
    )
    return results_frame(athena.client, query_id)
