"""review_profile: what the cleaned reviews look like, and the length limit (in words) they call for.

matplotlib is imported when the plots are drawn, not when the code location loads."""

import dagster as dg

from resources import ArtifactStore, Warehouse
from sentiment_assets.analysis.profiling import (
    data_notice,
    has_category,
    has_star_ratings,
    length_profile,
    sentiment_by_category,
    words_per_review,
)
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION
from sentiment_assets.defs.metadata import frame_markdown, png_markdown, saved_png
from sentiment_assets.frames import column

GROUP = "ingest_analyze"
NO_CATEGORY = "no product category in the source"
NO_STAR_RATINGS = "no star ratings in the source (it has sentiment labels instead)"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "matplotlib"},
    deps=["cleaned_reviews"],
    automation_condition=follow_upstream(),
)
def review_profile(warehouse: Warehouse, artifacts: ArtifactStore) -> dg.MaterializeResult:
    """What the cleaned reviews look like: sentiment per category and review length in words, and
    `words_limit`, the course's sequence length counted in words (with the reason). Tokenization
    chooses its own max_seq_length in tokens (review_features). A plot is drawn only where
    its column has data (no star ratings in a labelled-only source, no category in a source
    without one), and the synthetic-data notice appears only when the bundled data is included."""
    from sentiment_assets.analysis.plots import rating_bars, sentiment_by_category_bars, words_histogram

    reviews = warehouse.read_table(
        "cleaned_reviews",
        ["review_id", "review_body", "product_category", "sentiment", "star_rating", "source_partition"],
    )
    lengths = length_profile(column(reviews, "review_body"))
    counts = sentiment_by_category(reviews)
    histogram = words_histogram(
        words_per_review(column(reviews, "review_body")), column(reviews, "sentiment"), lengths.words_limit
    )
    plots = {"words": ("plot_words_per_review", "words_per_review.png", histogram, "Words per review")}
    skipped = {}
    if has_category(column(reviews, "product_category")):
        plots["categories"] = (
            "plot_sentiment_by_category",
            "sentiment_by_category.png",
            sentiment_by_category_bars(counts),
            "Reviews per category and sentiment",
        )
    else:
        skipped["categories"] = NO_CATEGORY
    if has_star_ratings(column(reviews, "star_rating")):
        plots["ratings"] = (
            "plot_star_ratings",
            "star_ratings.png",
            rating_bars(column(reviews, "star_rating")),
            "Star ratings",
        )
    else:
        skipped["ratings"] = NO_STAR_RATINGS
    return dg.MaterializeResult(
        metadata={
            "reviews": len(reviews),
            "categories": len(counts),
            "sentiment_counts": dg.MetadataValue.json(
                {str(k): int(v) for k, v in reviews["sentiment"].value_counts().sort_index().items()}
            ),
            "counts_by_category": frame_markdown(counts.reset_index(), floatfmt=".0f"),
            "words_mean": round(lengths.mean_words, 2),
            "words_max": lengths.max_words,
            "words_quantiles": dg.MetadataValue.json(lengths.quantiles),
            "words_limit": lengths.words_limit,
            "words_limit_reason": lengths.reason,
            **{key: png_markdown(png, title) for key, _, png, title in plots.values()},
            "plot_files": dg.MetadataValue.json(
                {
                    name: str(saved_png(artifacts.path("profile", file), png).value)
                    for name, (_, file, png, _) in plots.items()
                }
            ),
            **({"plots_skipped": dg.MetadataValue.json(skipped)} if skipped else {}),
            "data_notice": data_notice(column(reviews, "source_partition"), BUNDLED_PARTITION),
        }
    )
