"""The label scheme shared by every step: stars -> sentiment -> label_id.

Stars {1,2} are negative (-1), 3 is neutral (0), {4,5} positive (1); models see label_id 0/1/2
because classifiers want non-negative class indices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SENTIMENTS: tuple[int, ...] = (-1, 0, 1)
SENTIMENT_NAMES: dict[int, str] = {-1: "negative", 0: "neutral", 1: "positive"}
LABEL_IDS: tuple[int, ...] = (0, 1, 2)
NUM_LABELS = len(SENTIMENTS)


def sentiment_from_stars(stars: pd.Series | np.ndarray) -> np.ndarray:
    """Map star ratings 1..5 to sentiment -1/0/1; anything else raises ValueError."""
    values = np.asarray(stars, dtype="int64")
    if ((values < 1) | (values > 5)).any():
        bad = sorted(set(values[(values < 1) | (values > 5)].tolist()))
        raise ValueError(f"star_rating must be 1..5, found {bad}")
    return np.where(values <= 2, -1, np.where(values == 3, 0, 1))


def label_id_from_sentiment(sentiment: pd.Series | np.ndarray) -> np.ndarray:
    """-1 -> 0, 0 -> 1, 1 -> 2."""
    return np.asarray(sentiment, dtype="int64") + 1


def sentiment_from_label_id(label_id: pd.Series | np.ndarray) -> np.ndarray:
    """0 -> -1, 1 -> 0, 2 -> 1."""
    return np.asarray(label_id, dtype="int64") - 1
