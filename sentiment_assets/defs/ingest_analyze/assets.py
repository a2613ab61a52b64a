"""ingest_analyze: reviews in, a profile of them, and the Clarify pre-training bias report."""


from datetime import datetime, timezone

import dagster as dg

from resources import DuckDBWarehouse, LocalArtifactStore
from sentiment_assets.defs.metadata import (
    SYNTHETIC_DATA_NOTE, frame_markdown, png_markdown, saved_png, table_metadata,
)
from sentiment_assets.plots import rating_bars, sentiment_by_category_bars, words_histogram
from sentiment_assets.profiling import length_profile, sentiment_by_category, words_per_review
from sentiment_assets.sources.bundled import SYNTHETIC_NOTICE, bundled_reviews_path
from sentiment_assets.sources.clothing import read_clothing_reviews

GROUP = "ingest_analyze"
ROWS_RECONCILE_CHECK = "accepted_plus_rejected_equals_rows_read"


class RawReviewsConfig(dg.Config):
    """Where the reviews come from. Leave `source_path` empty for the bundled synthetic data."""

    source_path: str | None = None
    synthetic_rows: int = 23_486
    synthetic_seed: int = 42


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    check_specs=[dg.AssetCheckSpec(ROWS_RECONCILE_CHECK, asset="raw_reviews", blocking=True,
                                   description="Every row read is either accepted or kept in rejected_reviews.")],
)
def raw_reviews(
    context: dg.AssetExecutionContext, config: RawReviewsConfig, warehouse: DuckDBWarehouse, artifacts: LocalArtifactStore
) -> dg.MaterializeResult:
    """Product reviews as read from the source, in one normalised schema (review_id, date, title,
    review_body, star_rating, product_category, ...). Rows that cannot be used go to
    `rejected_reviews` with the reason, so nothing read is lost."""
    synthetic = config.source_path is None
    path = (
        bundled_reviews_path(artifacts.path("landing", "bundled"), config.synthetic_rows, config.synthetic_seed)
        if synthetic else config.source_path
    )
    result = read_clothing_reviews(path, ingested_at=datetime.now(timezone.utc))
    warehouse.write_table("raw_reviews", result.accepted)
    warehouse.write_table("rejected_reviews", result.rejected.astype({"source_row": "int64"}))
    if len(result.rejected):
        context.log.warning("%d of %d rows rejected; see the rejected_reviews table", len(result.rejected), result.rows_read)
    reconciled = len(result.accepted) + len(result.rejected) == result.rows_read
    return dg.MaterializeResult(
        metadata={
            **table_metadata(result.accepted, "raw_reviews"),
            "source_file": dg.MetadataValue.path(str(path)),
            "rows_read": result.rows_read,
            "rows_rejected": len(result.rejected),
            "rejection_reasons": dg.MetadataValue.json(result.rejected["reason"].value_counts().to_dict()),
            "data_notice": SYNTHETIC_NOTICE if synthetic else "user-supplied source",
            "date_note": "the clothing schema has no review date: `date` is the ingestion time (UTC)",
        },
        check_results=[dg.AssetCheckResult(
            check_name=ROWS_RECONCILE_CHECK, passed=reconciled,
            metadata={"accepted": len(result.accepted), "rejected": len(result.rejected), "rows_read": result.rows_read},
        )],
    )


@dg.asset(group_name=GROUP, kinds={"python", "matplotlib"}, deps=["cleaned_reviews"])
def review_profile(warehouse: DuckDBWarehouse, artifacts: LocalArtifactStore) -> dg.MaterializeResult:
    """What the cleaned reviews look like: sentiment per category and review length, and the
    max_seq_length that tokenization should use (with the reason)."""
    reviews = warehouse.read_table("cleaned_reviews", ["review_id", "review_body", "product_category", "sentiment", "star_rating"])
    lengths = length_profile(reviews["review_body"])
    counts = sentiment_by_category(reviews)
    histogram = words_histogram(words_per_review(reviews["review_body"]), reviews["sentiment"], lengths.max_seq_length)
    bars = sentiment_by_category_bars(counts)
    ratings = rating_bars(reviews["star_rating"])
    return dg.MaterializeResult(metadata={
        "reviews": len(reviews),
        "categories": len(counts),
        "sentiment_counts": dg.MetadataValue.json({str(k): int(v) for k, v in reviews["sentiment"].value_counts().sort_index().items()}),
        "counts_by_category": frame_markdown(counts.reset_index(), floatfmt=".0f"),
        "words_mean": round(lengths.mean_words, 2),
        "words_max": lengths.max_words,
        "words_quantiles": dg.MetadataValue.json(lengths.quantiles),
        "max_seq_length": lengths.max_seq_length,
        "max_seq_length_reason": lengths.reason,
        "plot_words_per_review": png_markdown(histogram, "Words per review"),
        "plot_sentiment_by_category": png_markdown(bars, "Reviews per category and sentiment"),
        "plot_star_ratings": png_markdown(ratings, "Star ratings"),
        "plot_files": dg.MetadataValue.json({
            "words": str(saved_png(artifacts.path("profile", "words_per_review.png"), histogram).value),
            "categories": str(saved_png(artifacts.path("profile", "sentiment_by_category.png"), bars).value),
            "ratings": str(saved_png(artifacts.path("profile", "star_ratings.png"), ratings).value),
        }),
        "data_notice": SYNTHETIC_DATA_NOTE,
    })
