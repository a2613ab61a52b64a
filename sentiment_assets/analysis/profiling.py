"""What the cleaned reviews look like: class balance per category and review length.

Review length here is counted in WORDS, as the course did when it chose its sequence length: the
length profile's `words_limit` is that choice (the next power of two above the longest review in
words). What the model sees is counted in TOKENS, and two other settings decide it:
`review_features`' max_seq_length (the token ids stored per review, chosen from the longest
review in tokens, `features.tokenization.max_seq_length_from_tokens`) and the training config's
max_seq_length (`FineTuneConfig`, default 64 tokens, which cuts the stored ids further).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sentiment_assets.sources.schema import UNKNOWN_CATEGORY

MAX_SEQ_LENGTH_CAP = 512  # BERT-family position embeddings stop here (tokens; also caps words_limit)


def words_per_review(texts: pd.Series) -> pd.Series:
    return texts.fillna("").str.split().str.len()


def next_power_of_two(value: int) -> int:
    """The smallest power of two >= value (and >= 1)."""
    return 1 << max(int(value) - 1, 0).bit_length()


@dataclass(frozen=True)
class LengthProfile:
    """Review length in words; `words_limit` is the course's sequence length, counted in words."""

    quantiles: dict[str, float]
    mean_words: float
    max_words: int
    words_limit: int  # next power of two >= max_words, capped at MAX_SEQ_LENGTH_CAP
    reason: str  # how words_limit was chosen


def length_profile(texts: pd.Series) -> LengthProfile:
    """Words-per-review statistics and the length limit (in words) the course would choose from them."""
    words = words_per_review(texts)
    max_words = int(words.max()) if len(words) else 0
    # The course: next power of two above the longest review in words (122 -> 128).
    chosen = min(next_power_of_two(max_words), MAX_SEQ_LENGTH_CAP)
    levels = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
    quantiles = {name: float(np.quantile(words, q)) if len(words) else 0.0 for name, q in levels.items()}
    reason = f"longest review has {max_words} words; next power of two is {next_power_of_two(max_words)}" + (
        f", capped at {MAX_SEQ_LENGTH_CAP}" if chosen < next_power_of_two(max_words) else ""
    )
    return LengthProfile(quantiles, float(words.mean()) if len(words) else 0.0, max_words, chosen, reason)


def sentiment_by_category(reviews: pd.DataFrame) -> pd.DataFrame:
    """Counts of reviews per product_category (rows) x sentiment (columns -1, 0, 1), largest first."""
    table = pd.crosstab(reviews["product_category"], reviews["sentiment"]).reindex(columns=[-1, 0, 1], fill_value=0)
    table.columns = [str(c) for c in table.columns]
    return table.loc[table.sum(axis=1).sort_values(ascending=False).index]


def has_category(categories: pd.Series, unknown: str = UNKNOWN_CATEGORY) -> bool:
    """Whether the source had a product category: not when every row is null or `unknown` (the
    ingest layer fills that in for a file without a category column)."""
    known = categories.dropna().astype(str)
    return bool((known != unknown).any())


def has_star_ratings(star_rating: pd.Series) -> bool:
    """Whether any review has a star rating (sources with only a sentiment label have none)."""
    return bool(star_rating.notna().any())


def data_notice(partitions: pd.Series, bundled: str) -> str:
    """Where the reviews came from, truthfully: the synthetic warning only when the bundled
    partition is among them; otherwise the user-supplied partitions (landed files) by name."""
    names = sorted(map(str, partitions.dropna().unique()))
    others = [n for n in names if n != bundled]
    user = f"user-supplied data: partitions {', '.join(others)}" if others else ""
    if bundled in names:
        notice = (
            f"Includes the bundled SYNTHETIC data (partition {bundled}): generated in the Kaggle "
            "clothing-reviews layout, not real reviews."
        )
        return f"{notice} Also {user}." if user else notice
    if user:
        return user[0].upper() + user[1:] + "."
    unrecorded = int(partitions.isna().sum())
    return f"User-supplied data ({unrecorded} reviews without a recorded source partition)."
