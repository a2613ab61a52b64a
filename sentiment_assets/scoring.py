"""Batch scoring: every review through a model, in bounded chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from sentiment_assets.models.mlflow_model import predictions_frame


def score_in_chunks(
    reviews: pd.DataFrame,
    predict_proba: Callable[[pd.DataFrame], np.ndarray],
    chunk_size: int = 4096,
) -> Iterator[pd.DataFrame]:
    """Yield review_id + predictions per chunk, so memory holds one chunk's tensors at a time."""
    for start in range(0, len(reviews), chunk_size):
        chunk = reviews.iloc[start : start + chunk_size].reset_index(drop=True)
        scored = predictions_frame(predict_proba(chunk))
        scored.insert(0, "review_id", chunk["review_id"].to_numpy())
        yield scored
