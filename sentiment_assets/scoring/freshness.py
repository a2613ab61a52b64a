"""Whether stored predictions still describe the reviews as they are now.

A prediction is for a text, not just for a review id: re-ingesting a changed file can turn a
review's praise into "Absolutely awful" or drop the review altogether, and a prediction kept by
id alone would then go on saying "positive", or describe a review that no longer exists. So each
prediction stores `text_sha256`, the sha256 of the text the model read, and a prediction is
*current* only while its partition still holds an accepted review with that id and that text.

Framework-free, and no SQL: the partition's reviews are fingerprints by review id (`current`),
its predictions a frame read through the warehouse contract. Scoring removes what is not current
before it scores, and the batch_predictions asset check counts what is not current after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sentiment_assets.frames import column

#: The column holding the sha256 (hex) of the text a prediction was made from.
FINGERPRINT_COLUMN = "text_sha256"


def text_fingerprint(text: object) -> str:
    """The sha256 (hex) of a review's text as the model read it; a missing text hashes as ''
    (the same digest DuckDB's sha256(coalesce(text, '')) gave the predictions stored before)."""
    return hashlib.sha256(("" if text is None or text is pd.NA else str(text)).encode("utf-8")).hexdigest()


def current_mask(predictions: pd.DataFrame, current: Mapping[Hashable, str]) -> np.ndarray:
    """For each prediction row, whether its review is still held with the text it was made from.
    A missing fingerprint (predictions stored before there was one) is never current: those
    reviews are scored again."""
    if predictions.empty:
        return np.zeros(0, dtype=bool)
    stored = (
        predictions[FINGERPRINT_COLUMN].tolist() if FINGERPRINT_COLUMN in predictions else [None] * len(predictions)
    )
    return np.array(
        [
            fingerprint is not None and current.get(review_id) == fingerprint
            for review_id, fingerprint in zip(predictions["review_id"].tolist(), stored, strict=True)
        ],
        dtype=bool,
    )


@dataclass(frozen=True)
class PredictionCoverage:
    """How one partition's predictions for one model version match its accepted reviews."""

    reviews: int  # distinct accepted reviews of the partition
    scored: int  # of those, predicted by the version from the text they have now
    duplicated: int  # predictions by the version beyond one per review
    stale: int  # the partition's predictions (any version) made from a text its review no longer has
    orphaned: int  # the partition's predictions (any version) whose review it no longer holds

    @property
    def complete(self) -> bool:
        """Every accepted review scored once from its current text, and nothing else predicted."""
        return self.scored == self.reviews and self.duplicated == self.stale == self.orphaned == 0

    def as_metadata(self) -> dict[str, int]:
        return {
            "reviews": self.reviews,
            "scored": self.scored,
            "duplicated": self.duplicated,
            "stale": self.stale,
            "orphaned": self.orphaned,
        }


def coverage_of(predictions: pd.DataFrame, current: Mapping[Hashable, str], model_version: int) -> PredictionCoverage:
    """Count, for the `every_accepted_review_scored_once` check, how far `predictions` (one
    partition's, every version: review_id, model_version and text_sha256) are from one current
    prediction per review of `current` by `model_version`."""
    if predictions.empty:
        return PredictionCoverage(len(current), 0, 0, 0, 0)
    review_ids = column(predictions, "review_id")
    held = review_ids.isin(list(current)).to_numpy()
    is_current = current_mask(predictions, current)
    by_version = (column(predictions, "model_version") == model_version).to_numpy()
    return PredictionCoverage(
        reviews=len(current),
        scored=len(set(review_ids.to_numpy()[by_version & is_current].tolist())),
        duplicated=int(by_version.sum()) - len(set(review_ids.to_numpy()[by_version].tolist())),
        stale=int((held & ~is_current).sum()),
        orphaned=int((~held).sum()),
    )
