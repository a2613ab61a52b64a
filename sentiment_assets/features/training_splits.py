"""What every training step reads from the review feature group: one split, the same columns, so
candidates, tuning, the fine-tune, evaluation and `lineage reproduce` see the same reviews.

No Dagster here: `warehouse` is any warehouse of the contract (resources/warehouse.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
from sentiment_assets.features.store import OfflineFeatureStore

TRAINING_COLUMNS = ["review_body", "input_ids", "label_id", "sentiment"]
# How lineage names the feature group training reads (its table is fg_<name>_v<version>).
FEATURE_GROUP_LABEL = f"{REVIEWS_FEATURE_GROUP.name} v{REVIEWS_FEATURE_GROUP.version}"
FEATURE_TABLE = REVIEWS_FEATURE_GROUP.table_name


def read_split(warehouse: Any, split_type: str, as_of: datetime | None = None) -> pd.DataFrame:
    """The latest version of every record in one split ('train' | 'validation' | 'test') of the
    offline feature store, ordered by review_id; with `as_of`, as the store stood at that moment
    (only rows ingested by then count)."""
    return OfflineFeatureStore(warehouse).split(
        REVIEWS_FEATURE_GROUP, split_type, columns=TRAINING_COLUMNS, as_of=as_of
    )
