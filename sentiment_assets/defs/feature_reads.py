"""Reads from the review feature group, so every training step uses the same split of the store."""


import pandas as pd

from resources import DuckDBWarehouse
from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
from resources.warehouse import quote_identifier


def read_split(warehouse: DuckDBWarehouse, split_type: str) -> pd.DataFrame:
    """Rows of one split ('train' | 'validation' | 'test') from the offline feature store."""
    table = quote_identifier(REVIEWS_FEATURE_GROUP.table_name)
    return warehouse.query(
        f"SELECT review_id, review_body, input_ids, label_id, sentiment FROM {table} "
        "WHERE split_type = ? ORDER BY review_id",
        [split_type],
    )
