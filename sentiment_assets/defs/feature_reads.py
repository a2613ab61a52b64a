"""Reads from the review feature group, so every training step uses the same split of the store
(the splits themselves: `sentiment_assets.features.training_splits`)."""

import pandas as pd

from resources import Warehouse


def read_holdout(warehouse: Warehouse) -> pd.DataFrame:
    """The labelled reviews of every `holdout` file (dbt's holdout_reviews), empty when none landed."""
    from sentiment_assets.models.holdout import HOLDOUT_COLUMNS  # with scikit-learn: when read, not loaded

    if not warehouse.table_exists("holdout_reviews"):
        return pd.DataFrame(columns=pd.Index(HOLDOUT_COLUMNS))
    return warehouse.read_table("holdout_reviews", HOLDOUT_COLUMNS).sort_values("review_id", ignore_index=True)
