"""Reads from the review feature group, so every training step uses the same split of the store."""

import pandas as pd

from resources import Warehouse
from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
from sentiment_assets.features.store import OfflineFeatureStore

TRAINING_COLUMNS = ["review_body", "input_ids", "label_id", "sentiment"]
# How lineage names the feature group training reads (its table is fg_<name>_v<version>).
FEATURE_GROUP_LABEL = f"{REVIEWS_FEATURE_GROUP.name} v{REVIEWS_FEATURE_GROUP.version}"


def read_split(warehouse: Warehouse, split_type: str) -> pd.DataFrame:
    """The latest version of every record in one split ('train' | 'validation' | 'test') of the
    offline feature store, ordered by review_id."""
    return OfflineFeatureStore(warehouse).split(REVIEWS_FEATURE_GROUP, split_type, columns=TRAINING_COLUMNS)


def read_holdout(warehouse: Warehouse) -> pd.DataFrame:
    """The labelled reviews of every `holdout` file (dbt's holdout_reviews), empty when none landed."""
    from sentiment_assets.models.holdout import HOLDOUT_COLUMNS  # with scikit-learn: when read, not loaded

    if not warehouse.table_exists("holdout_reviews"):
        return pd.DataFrame(columns=pd.Index(HOLDOUT_COLUMNS))
    return warehouse.read_table("holdout_reviews", HOLDOUT_COLUMNS).sort_values("review_id", ignore_index=True)
