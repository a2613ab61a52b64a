"""Labelled reviews from the bundled synthetic generator, as the models read them (not a test
module): the training, tuning, leaderboard, scoring and serving tests fit small models on them."""

import pandas as pd

from sentiment_assets.labels import label_id_from_sentiment, sentiment_from_stars
from sentiment_assets.synthetic.generator import generate_clothing_reviews


def labelled_reviews(n_rows: int, seed: int) -> pd.DataFrame:
    """review_body and label_id (0 negative, 1 neutral, 2 positive) of the generated reviews that
    have a text (fewer than `n_rows`), indexed 0 .. n - 1."""
    raw = generate_clothing_reviews(n_rows, seed=seed).dropna(subset=["Review Text"])
    return pd.DataFrame(
        {
            "review_body": raw["Review Text"].to_numpy(),
            "label_id": label_id_from_sentiment(sentiment_from_stars(raw["Rating"].to_numpy())),
        }
    )
