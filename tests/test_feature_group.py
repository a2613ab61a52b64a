"""Only new or changed feature records are appended to the offline store."""

from datetime import datetime

import numpy as np
import pandas as pd

from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP, records_to_append
from sentiment_assets.features.online_store import OnlineFeatureStore
from sentiment_assets.features.store import OfflineFeatureStore


def features(label_ids, ids=("r1", "r2")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": list(ids),
            "date": [datetime(2026, 1, 1)] * len(ids),
            "sentiment": [label - 1 for label in label_ids],
            "label_id": label_ids,
            "input_ids": [np.array([101, 7, 102], dtype=np.int32)] * len(ids),
            "review_body": ["a"] * len(ids),
            "split_type": ["train"] * len(ids),
        }
    )


def test_rerunning_on_unchanged_features_appends_nothing_and_a_changed_record_appends_one_version(tmp_path):
    store = OfflineFeatureStore.at_path(tmp_path / "features.duckdb")
    group = REVIEWS_FEATURE_GROUP
    store.create_group(group)
    store.ingest(group, records_to_append(features([2, 0]), store.latest(group), group))
    assert len(records_to_append(features([2, 0]), store.latest(group), group)) == 0
    changed = records_to_append(features([2, 1]), store.latest(group), group)
    assert changed["review_id"].tolist() == ["r2"]
    store.ingest(group, changed)
    assert store.row_count(group) == 3
    online = OnlineFeatureStore.load(store, group)
    r2 = online.get("r2")
    assert r2 is not None and r2["label_id"] == 1 and online.get("missing") is None
