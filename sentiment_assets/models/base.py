"""The one interface every model family implements, so training, tuning, evaluation, MLflow
logging and batch scoring never need to know which family they hold."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class EpochReport:
    """What a model reports after each epoch (or once, for single-pass models)."""

    epoch: int
    metrics: dict[str, float] = field(default_factory=dict)


EpochCallback = Callable[[EpochReport], None]


class SentimentClassifier(ABC):
    """A 3-class sentiment classifier.

    Inputs are DataFrames of reviews. Every family reads the columns it needs:
    `review_body` (text) always; `input_ids` (token id lists from the feature store) when the
    family is a transformer and the column is present; `label_id` (0/1/2) for fitting.
    `predict_proba` returns an (n, 3) array whose columns are label_id 0, 1, 2.
    """

    # Set on each family's class; a wrapper (calibration.Calibrated) sets its model's on itself.
    family: str

    @abstractmethod
    def fit(
        self,
        train: pd.DataFrame,
        valid: pd.DataFrame | None = None,
        on_epoch_end: EpochCallback | None = None,
    ) -> SentimentClassifier: ...

    @abstractmethod
    def predict_proba(self, reviews: pd.DataFrame) -> np.ndarray: ...

    def predict(self, reviews: pd.DataFrame) -> np.ndarray:
        """Most likely label_id per review."""
        return self.predict_proba(reviews).argmax(axis=1)

    @abstractmethod
    def params(self) -> dict[str, object]:
        """Hyper-parameters worth logging (flat, JSON-serialisable)."""

    @abstractmethod
    def save(self, directory: Path) -> None: ...

    @classmethod
    @abstractmethod
    def load(cls, directory: Path) -> SentimentClassifier: ...
