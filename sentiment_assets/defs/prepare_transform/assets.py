"""prepare_transform: the training set, its features, and the feature store that training reads."""

from typing import Literal

import dagster as dg
import pyarrow as pa

from resources import Warehouse
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.metadata import empty_table, frame_markdown, table_metadata
from sentiment_assets.defs.prepare_transform.population import train_partitions
from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP, lookup_latency_ms, records_to_append
from sentiment_assets.features.online_store import OnlineFeatureStore
from sentiment_assets.features.review_features_table import feature_source, review_texts, write_review_features
from sentiment_assets.features.splits import (
    MIN_EVALUATION_REVIEWS_PER_CLASS,
    SPLIT_NAMES,
    assign_splits,
    default_fractions,
    split_report,
    split_sizes_too_small,
)
from sentiment_assets.features.store import OfflineFeatureStore
from sentiment_assets.features.tokenization import load_tokenizer, max_seq_length_from_tokens, tokenize_stream
from sentiment_assets.training.balancing import training_population
from sentiment_assets.training.population import is_course_data, population_settings

GROUP = "prepare_transform"


class BalancedReviewsConfig(dg.Config):
    seed: int = 42
    # none: every review, classes weighted in the losses; downsample: the course's (every
    # sentiment cut to the smallest); upsample: smaller classes repeated up to the largest.
    # auto: downsample when the bundled data is the only training data, else none.
    balancing: Literal["auto", "none", "downsample", "upsample"] = "auto"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    deps=["training_reviews", "excluded_reviews"],
    automation_condition=follow_upstream(),
)
def balanced_reviews(config: BalancedReviewsConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    """The training population: the dbt training slice (reviews of train files only), kept whole
    with class-weighted losses for users' data, or balanced by sentiment as the course does (a
    model trained on 77% positive reviews learns to say 'positive'). Says what it dropped and why."""
    reviews = warehouse.read_table("training_reviews")
    settings = population_settings(train_partitions(warehouse), balancing=config.balancing)
    population = training_population(reviews, settings.balancing, seed=config.seed)
    warehouse.write_table("balanced_reviews", population)
    per_class = population["sentiment"].value_counts().sort_index()
    excluded = warehouse.read_table("excluded_reviews", ["exclusion_reason"])["exclusion_reason"].value_counts()
    return dg.MaterializeResult(
        metadata={
            **table_metadata(population, "balanced_reviews"),
            "balancing": settings.balancing,
            "population_settings": settings.balancing_reason,
            "reviews_per_sentiment": dg.MetadataValue.json({str(k): int(v) for k, v in per_class.items()}),
            "human_labelled_reviews": int((population["label_source"] == "human").sum()),
            "rows_dropped": max(len(reviews) - len(population), 0),
            "rows_added_as_copies": int((population["review_id"] != population["original_review_id"]).sum()),
            "rows_dropped_by_reason": dg.MetadataValue.json(
                {
                    **{f"cleaning: {r}": int(n) for r, n in excluded.items()},
                    **(
                        {f"balancing: {settings.balancing} to the smallest class": len(reviews) - len(population)}
                        if len(population) < len(reviews)
                        else {}
                    ),
                }
            ),
        }
    )


class ReviewFeaturesConfig(dg.Config):
    tokenizer: str = "bundled"  # a local Hugging Face directory or name; "bundled" = MiniLM
    # TOKENS stored per review ([CLS]/[SEP] included); training may cut them further (FineTuneConfig).
    max_seq_length: int | None = None  # None: next power of two at or above the longest review in tokens (cap 512)
    chunk_rows: int = 10_000  # reviews per tokenization chunk (memory stays bounded)
    workers: int | None = None  # None: 1 below 50,000 reviews (a worker takes ~15 s to start), else 2
    # None (all three): 90/5/5 for the course's bundled data, 80/10/10 for a user's (a
    # validation split big enough to fit and measure calibration on). Set all three or none.
    train_fraction: float | None = None
    validation_fraction: float | None = None
    test_fraction: float | None = None

    def fractions(self, course_data: bool) -> tuple[tuple[float, float, float], str]:
        """The split fractions and why they were chosen."""
        train, validation, test = given = (self.train_fraction, self.validation_fraction, self.test_fraction)
        if train is None and validation is None and test is None:
            whose = "the course's bundled data" if course_data else "user data"
            return default_fractions(course_data), f"auto for {whose}"
        if train is None or validation is None or test is None:
            raise ValueError(
                "review_features: set train_fraction, validation_fraction and test_fraction together "
                f"(got {given}), or none of them for the automatic split"
            )
        return (float(train), float(validation), float(test)), "set in run config"


SPLIT_SIZE_CHECK = "evaluation_splits_have_enough_reviews_per_class"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "pytorch", "duckdb"},
    deps=[balanced_reviews],
    automation_condition=follow_upstream(),
    check_specs=[
        dg.AssetCheckSpec(
            SPLIT_SIZE_CHECK,
            asset="review_features",
            description=(
                f"Validation and test splits hold at least {MIN_EVALUATION_REVIEWS_PER_CLASS} reviews of every "
                "sentiment (fewer make accuracy a coin toss)."
            ),
        )
    ],
)
def review_features(config: ReviewFeaturesConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    """Model-ready reviews: token ids from the MiniLM tokenizer (streamed in chunks through
    parallel workers, SageMaker Processing's sharding), label_id, and a train/validation/
    test split (90/5/5 course, 80/10/10 user data) stratified by sentiment, ordered by a hash of
    review_id (see features/splits.py). Each review keeps at most `max_seq_length` TOKENS, by
    default enough for the longest review (not review_profile's `words_limit`, counted in words);
    a training run's own max_seq_length (FineTuneConfig, 64 by default) may cut them shorter."""
    ids = warehouse.read_table("balanced_reviews", ["review_id", "original_review_id", "sentiment"])
    fractions, fractions_reason = config.fractions(is_course_data(train_partitions(warehouse)))
    # An up-sampled copy takes its original's split: the same text never sits on both sides.
    split = assign_splits(ids.assign(review_id=ids["original_review_id"]), fractions)
    splits = pa.table({"review_id": ids["review_id"].astype(str), "split_type": split.astype(str)})
    tokenizer = load_tokenizer(config.tokenizer)
    workers = config.workers or (1 if len(ids) < 50_000 else 2)
    if config.max_seq_length is None:
        max_seq_length, reason = max_seq_length_from_tokens(review_texts(warehouse, config.chunk_rows), tokenizer)
    else:
        max_seq_length, reason = config.max_seq_length, "set in run config"
    source = feature_source(warehouse, config.chunk_rows, ids["review_id"])
    tokens = tokenize_stream(source, config.tokenizer, max_seq_length, chunk_rows=config.chunk_rows, workers=workers)
    summary = write_review_features(warehouse, tokens, splits, max_seq_length)
    too_small = split_sizes_too_small(ids, split, MIN_EVALUATION_REVIEWS_PER_CLASS)
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name=SPLIT_SIZE_CHECK,
                passed=not too_small,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "minimum_per_class": MIN_EVALUATION_REVIEWS_PER_CLASS,
                    "too_small": dg.MetadataValue.json(too_small),
                },
            )
        ],
        metadata={
            **table_metadata(empty_table(warehouse, "review_features"), "review_features"),
            "dagster/row_count": summary.reviews,
            "max_seq_length": max_seq_length,
            "max_seq_length_reason": reason,
            "longest_tokens": summary.longest,
            "reviews_truncated": summary.truncated,
            "tokenization_workers": workers,
            "split_counts": dg.MetadataValue.json(split.value_counts().to_dict()),
            "split_fractions": dg.MetadataValue.json(dict(zip(SPLIT_NAMES, fractions, strict=False))),
            "split_fractions_reason": fractions_reason,
            "split_share_by_sentiment": frame_markdown(split_report(ids, split).reset_index(), floatfmt=".3f"),
        },
    )


@dg.asset(group_name=GROUP, kinds={"python", "duckdb"}, deps=[review_features], automation_condition=follow_upstream())
def feature_store(warehouse: Warehouse) -> dg.MaterializeResult:
    """The feature group `reviews` (the course's Feature Store): record id review_id, event time
    date, an append-only offline table stamped with ingestion time, and an online lookup by
    review_id. Training, tuning and evaluation read their splits from here."""
    group = REVIEWS_FEATURE_GROUP
    offline = OfflineFeatureStore(warehouse)
    offline.create_group(group)
    features = warehouse.read_table("review_features", list(group.columns))
    changed = records_to_append(features, offline.latest(group, columns=list(group.columns)), group)
    appended = offline.ingest(group, changed) if len(changed) else 0
    online = OnlineFeatureStore.load(offline, group)
    latency = lookup_latency_ms(online, features[group.record_identifier].tolist(), lookups=2000, seed=0)
    return dg.MaterializeResult(
        metadata={
            **table_metadata(features, group.table_name),
            "dagster/row_count": offline.row_count(group),
            "feature_group": f"{group.name} v{group.version}",
            "record_identifier": group.record_identifier,
            "event_time": group.event_time,
            "records_appended": appended,
            "records_unchanged": len(features) - len(changed),
            "online_records": len(online),
            "online_lookup_ms": dg.MetadataValue.json(latency),
        }
    )
