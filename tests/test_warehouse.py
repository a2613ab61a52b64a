import numpy as np
import pandas as pd
import pytest

from resources.warehouse import DuckDBWarehouse


def test_token_id_lists_are_stored_as_integer_lists_not_strings(tmp_path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"))
    frame = pd.DataFrame(
        {
            "review_id": ["a", "b"],
            "input_ids": [np.array([101, 7, 102], dtype=np.int32), np.array([101, 102], dtype=np.int32)],
        }
    )
    warehouse.write_table("features", frame)
    column_type = warehouse.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'features' AND column_name = 'input_ids'"
    )
    assert column_type["data_type"].iloc[0] == "INTEGER[]"
    assert list(warehouse.read_table("features")["input_ids"].iloc[0]) == [101, 7, 102]


def test_chunked_writes_replace_the_table_whole(tmp_path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"))
    warehouse.write_table("scores", pd.DataFrame({"review_id": ["old"]}))
    chunks = (pd.DataFrame({"review_id": [f"r{i}" for i in range(start, start + 3)]}) for start in (0, 3, 6))
    assert warehouse.write_table_in_chunks("scores", chunks) == 9
    assert warehouse.read_table("scores")["review_id"].tolist() == [f"r{i}" for i in range(9)]
    assert not warehouse.table_exists("scores__staging")


def test_a_failed_chunked_write_leaves_the_previous_table_in_place(tmp_path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"))
    warehouse.write_table("scores", pd.DataFrame({"review_id": ["kept"]}))

    def failing_chunks():
        yield pd.DataFrame({"review_id": ["r0"]})
        raise RuntimeError("scoring crashed")

    with pytest.raises(RuntimeError, match="scoring crashed"):
        warehouse.write_table_in_chunks("scores", failing_chunks())
    assert warehouse.read_table("scores")["review_id"].tolist() == ["kept"]
