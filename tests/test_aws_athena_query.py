"""The Iceberg warehouse's Athena path through dagster-aws's client: SQL, parameters, workgroup and
database as sent (moto's Athena on loopback records them and returns canned results), typed
results, and the failures moto cannot produce, with a stand-in client."""

import json
import logging
import urllib.request
from datetime import datetime

import boto3
import numpy as np
import pandas as pd
import pytest
from loopback_aws import KEY_ID, SECRET

from resources.athena_query import AthenaQueryError, athena_literal, wait_for_query


def seed_athena_results(endpoint: str, rows: list[list[str | None]], columns: list[tuple[str, str]]) -> None:
    """Queue canned results on moto's server: its next Athena query returns them."""
    body = {
        "region": "us-east-1",
        "results": [
            {
                "rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows],
                "column_info": [{"Name": name, "Label": name, "Type": kind} for name, kind in columns],
            }
        ],
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201


def test_an_athena_query_sends_sql_parameters_workgroup_and_database_and_returns_typed_rows(
    iceberg_warehouse, aws, caplog
):
    athena = iceberg_warehouse
    columns = [
        ("review_id", "varchar"),
        ("n", "bigint"),
        ("mean_probability", "double"),
        ("scored_at", "timestamp"),
        ("drifted", "boolean"),
        ("note", "varchar"),
    ]
    seed_athena_results(
        aws,
        [
            [c for c, _ in columns],
            ["r1", "3", "0.5", "2024-01-02 03:04:05.000", "true", None],
            ["r2", "4", "0.25", "2024-02-03 00:00:00.000", "false", "it's"],
        ],
        columns,
    )
    sql = "SELECT * FROM batch_predictions WHERE source_partition = ? AND model_version = ? AND scored_at > ?"
    caplog.set_level(logging.INFO)
    frame = athena.query(sql, ["o'hara.csv", np.int64(3), datetime(2024, 1, 1, 12, 30)])

    [query_id] = [r.args[0] for r in caplog.records if r.name == "resources.athena_query"]
    client = boto3.client("athena", endpoint_url=aws, region_name="us-east-1")
    execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert "Query" in execution and "ExecutionParameters" in execution and "WorkGroup" in execution
    assert "QueryExecutionContext" in execution and "ResultConfiguration" in execution
    assert "OutputLocation" in execution["ResultConfiguration"]
    assert execution["Query"] == sql
    assert execution["ExecutionParameters"] == ["'o''hara.csv'", "3", "TIMESTAMP '2024-01-01 12:30:00.000'"]
    assert execution["WorkGroup"] == "primary"
    assert execution["QueryExecutionContext"] == {"Database": athena.glue_database}
    assert execution["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{athena.bucket}/athena-results/")
    assert frame.columns.tolist() == [c for c, _ in columns]
    assert frame.dtypes.astype(str).tolist() == ["object", "int64", "float64", "datetime64[ns]", "bool", "object"]
    assert frame["review_id"].tolist() == ["r1", "r2"] and frame["n"].tolist() == [3, 4]
    assert frame["scored_at"].tolist() == [pd.Timestamp("2024-01-02 03:04:05"), pd.Timestamp("2024-02-03")]
    assert frame["note"].tolist() == [None, "it's"]
    assert sql in caplog.text and SECRET not in caplog.text and KEY_ID not in caplog.text


class FailingAthena:
    """A stand-in Athena client for the failure path moto cannot produce: RUNNING, then `state`."""

    def __init__(self, state: str):
        self.states = ["RUNNING", state]

    def get_query_execution(self, QueryExecutionId):
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {
            "QueryExecution": {
                "QueryExecutionId": QueryExecutionId,
                "Status": {
                    "State": state,
                    "StateChangeReason": "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved",
                },
            }
        }


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_a_failed_athena_query_raises_an_error_naming_its_query_id_and_athenas_reason(state):
    with pytest.raises(AthenaQueryError, match=f"query q-123 {state}: COLUMN_NOT_FOUND") as error:
        wait_for_query(FailingAthena(state), "q-123", polling_seconds=0, sleep=lambda seconds: None)
    assert error.value.query_id == "q-123"


def test_a_query_still_running_after_the_last_poll_raises_with_its_id():
    with pytest.raises(AthenaQueryError, match="q-9 TIMED OUT"):
        wait_for_query(FailingAthena("RUNNING"), "q-9", max_polls=3, sleep=lambda seconds: None)


def test_parameters_become_the_sql_literals_athena_binds():
    from datetime import date
    from decimal import Decimal

    assert [athena_literal(v) for v in [None, True, np.int32(7), 0.5, Decimal("1.10"), date(2024, 5, 6), ["a", 1]]] == [
        "NULL",
        "true",
        "7",
        "DOUBLE '0.5'",
        "DECIMAL '1.10'",
        "DATE '2024-05-06'",
        "ARRAY['a', 1]",
    ]
