"""review_profile: what the cleaned reviews look like, and the max_seq_length they call for."""

import dagster as dg

from resources import ArtifactStore, Warehouse
from sentiment_assets.defs.metadata import SYNTHETIC_DATA_NOTE, frame_markdown, png_markdown, saved_png
from sentiment_assets.plots import rating_bars, sentiment_by_category_bars, words_histogram
from sentiment_assets.profiling import length_profile, sentiment_by_category, words_per_review

GROUP = "ingest_analyze"


@dg.asset(group_name=GROUP, kinds={"python", "matplotlib"}, deps=["cleaned_reviews"])
def review_profile(warehouse: Warehouse, artifacts: ArtifactStore) -> dg.MaterializeResult:
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
