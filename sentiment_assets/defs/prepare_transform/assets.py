"""prepare_transform: the training set, its features, and the feature store that training reads."""


import dagster as dg

from resources import DuckDBWarehouse
from sentiment_assets.balancing import balance
from sentiment_assets.defs.metadata import frame_markdown, table_metadata
from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP, lookup_latency_ms, records_to_append
from sentiment_assets.features.online_store import OnlineFeatureStore
from sentiment_assets.features.store import OfflineFeatureStore
from sentiment_assets.features.splits import assign_splits, split_report
from sentiment_assets.features.tokenization import load_tokenizer, tokenize
from sentiment_assets.profiling import length_profile

GROUP = "prepare_transform"


class BalancedReviewsConfig(dg.Config):
    seed: int = 42


@dg.asset(group_name=GROUP, kinds={"python", "duckdb"}, deps=["training_reviews"])
def balanced_reviews(config: BalancedReviewsConfig, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
    """The training population: the dbt training slice down-sampled so the three sentiments are
    equally frequent (a model trained on 77% positive reviews learns to say 'positive')."""
    reviews = warehouse.read_table("training_reviews")
    balanced = balance(reviews, by=["sentiment"], seed=config.seed)
    warehouse.write_table("balanced_reviews", balanced)
    per_class = balanced["sentiment"].value_counts().sort_index()
    return dg.MaterializeResult(metadata={
        **table_metadata(balanced, "balanced_reviews"),
        "reviews_per_sentiment": int(per_class.iloc[0]) if len(per_class) else 0,
        "rows_dropped": len(reviews) - len(balanced),
    })


class ReviewFeaturesConfig(dg.Config):
    tokenizer: str = "bundled"  # a local Hugging Face directory or name; "bundled" = MiniLM
    max_seq_length: int | None = None  # None: next power of two above the longest review in words
    train_fraction: float = 0.90
    validation_fraction: float = 0.05
    test_fraction: float = 0.05


@dg.asset(group_name=GROUP, kinds={"python", "pytorch", "duckdb"}, deps=[balanced_reviews])
def review_features(config: ReviewFeaturesConfig, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
    """Model-ready reviews: token ids from the MiniLM tokenizer, label_id, and a 90/5/5
    train/validation/test split decided by a hash of review_id (stable as data is added)."""
    reviews = warehouse.read_table("balanced_reviews", ["review_id", "date", "review_body", "sentiment", "label_id"])
    max_seq_length = config.max_seq_length or length_profile(reviews["review_body"]).max_seq_length
    input_ids, attention_mask = tokenize(reviews["review_body"].tolist(), load_tokenizer(config.tokenizer), max_seq_length)
    split = assign_splits(reviews, (config.train_fraction, config.validation_fraction, config.test_fraction))
    features = reviews.assign(input_ids=input_ids, attention_mask=attention_mask, split_type=split)
    warehouse.write_table("review_features", features)
    truncated = sum(len(ids) >= max_seq_length for ids in input_ids)
    return dg.MaterializeResult(metadata={
        **table_metadata(features, "review_features"),
        "max_seq_length": max_seq_length,
        "reviews_truncated": truncated,
        "split_counts": dg.MetadataValue.json(features["split_type"].value_counts().to_dict()),
        "split_share_by_sentiment": frame_markdown(split_report(reviews, split).reset_index(), floatfmt=".3f"),
    })


@dg.asset(group_name=GROUP, kinds={"python", "duckdb"}, deps=[review_features])
def feature_store(warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
    """The feature group `reviews` (the course's Feature Store): record id review_id, event time
    date, an append-only offline table stamped with ingestion time, and an online lookup by
    review_id. Training, tuning and evaluation read their splits from here."""
    group = REVIEWS_FEATURE_GROUP
    offline = OfflineFeatureStore(warehouse.connect)
    offline.create_group(group)
    features = warehouse.read_table("review_features", list(group.columns))
    changed = records_to_append(features, offline.latest(group, columns=list(group.columns)), group)
    appended = offline.ingest(group, changed) if len(changed) else 0
    online = OnlineFeatureStore.load(offline, group)
    latency = lookup_latency_ms(online, features[group.record_identifier].tolist(), lookups=2000, seed=0)
    return dg.MaterializeResult(metadata={
        **table_metadata(features, group.table_name),
        "dagster/row_count": offline.row_count(group),
        "feature_group": f"{group.name} v{group.version}",
        "record_identifier": group.record_identifier,
        "event_time": group.event_time,
        "records_appended": appended,
        "records_unchanged": len(features) - len(changed),
        "online_records": len(online),
        "online_lookup_ms": dg.MetadataValue.json(latency),
    })
