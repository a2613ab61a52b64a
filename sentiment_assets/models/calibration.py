"""Calibrated probabilities: temperature scaling fitted on validation, and how to measure it.

People act on a prediction's probability (the review queue sends everything below 0.90 to a
person), so a 0.9 must mean right nine times in ten. Temperature scaling (Guo et al., 2017)
divides the log-probabilities by one number T fitted to minimise the validation negative
log-likelihood: it never changes which class wins (accuracy and macro-F1 stay as they are), only
how sure the model says it is. It works for every family, whatever produced the probabilities.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from sentiment_assets.models.base import EpochCallback, SentimentClassifier

CALIBRATION_FILE = "calibration.json"
_EPS = 1e-12


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T), row by row; T > 1 softens, T < 1 sharpens, T = 1 changes nothing."""
    logits = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), _EPS, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, label_ids: np.ndarray) -> float:
    chosen = np.asarray(probabilities)[np.arange(len(label_ids)), np.asarray(label_ids)]
    return float(-np.log(np.clip(chosen, _EPS, 1.0)).mean())


def fit_temperature(probabilities: np.ndarray, label_ids: np.ndarray) -> float:
    """The T in [0.05, 20] that minimises the negative log-likelihood of `label_ids`; 1.0 when
    there is nothing to fit on."""
    if len(label_ids) == 0:
        return 1.0
    found = minimize_scalar(
        lambda log_t: negative_log_likelihood(apply_temperature(probabilities, np.exp(log_t)), label_ids),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
    )
    return float(np.exp(found.x))


def reliability_table(probabilities: np.ndarray, label_ids: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per confidence bin (of the top class's probability): reviews, mean confidence, accuracy."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(label_ids)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "confidence": confidence, "correct": correct})
    table = (
        frame.groupby("bin")
        .agg(reviews=("correct", "size"), confidence=("confidence", "mean"), accuracy=("correct", "mean"))
        .reset_index()
    )
    table.insert(1, "lower", edges[table["bin"]])
    table.insert(2, "upper", edges[table["bin"] + 1])
    return table


def expected_calibration_error(probabilities: np.ndarray, label_ids: np.ndarray, bins: int = 15) -> float:
    """Σ_bins (n_bin / n) · |accuracy_bin - confidence_bin| over the top class (0 = calibrated)."""
    if len(label_ids) == 0:
        return 0.0
    table = reliability_table(probabilities, label_ids, bins)
    return float((table["reviews"] * (table["accuracy"] - table["confidence"]).abs()).sum() / table["reviews"].sum())


def ece_if_calibrated(
    probabilities: np.ndarray, bins: int = 15, draws: int = 200, seed: int = 0
) -> tuple[float, float]:
    """The ECE a perfectly calibrated model with these probabilities would still show on this many
    reviews -- labels drawn from the probabilities themselves -- as (mean, 95th percentile). The
    ECE estimator is biased upwards on small samples (150 reviews in 15 bins: ~0.1 for a perfect
    model), so a measured ECE below the 95th percentile cannot be told from perfect calibration."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if len(probabilities) == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(probabilities, axis=1)
    drawn = (rng.random((draws, len(probabilities)))[..., None] > cumulative[None, :, :-1]).sum(axis=2)
    confidence = probabilities.max(axis=1)
    which = np.clip(np.digitize(confidence, np.linspace(0.0, 1.0, bins + 1)[1:-1], right=True), 0, bins - 1)
    confidence_sum = np.bincount(which, weights=confidence, minlength=bins)
    correct = (drawn == probabilities.argmax(axis=1)[None, :]).astype(np.float64)
    correct_sum = np.stack([np.bincount(which, weights=row, minlength=bins) for row in correct])
    # Σ_bins (n_bin/n)·|acc_bin - conf_bin| = Σ_bins |Σ correct - Σ confidence| / n (empty bins add 0).
    eces = np.abs(correct_sum - confidence_sum[None, :]).sum(axis=1) / len(probabilities)
    return float(eces.mean()), float(np.quantile(eces, 0.95))


class TemperatureScaled(SentimentClassifier):
    """A fitted model whose probabilities are temperature-scaled. It keeps the family of the
    model it wraps (the leaderboard, the registry and the fast scoring engines know that one) and
    is saved as that model plus calibration.json, which `families.load_model` reads back."""

    def __init__(self, base: SentimentClassifier, temperature: float):
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.base = base
        self.temperature = float(temperature)
        self.family = base.family

    @classmethod
    def fitted_on(cls, base: SentimentClassifier, valid: pd.DataFrame) -> TemperatureScaled:
        """`base` with the temperature that calibrates it on `valid` (which needs label_id)."""
        return cls(base, fit_temperature(base.predict_proba(valid), valid["label_id"].to_numpy()))

    def fit(
        self, train: pd.DataFrame, valid: pd.DataFrame | None = None, on_epoch_end: EpochCallback | None = None
    ) -> TemperatureScaled:
        raise TypeError(
            "a TemperatureScaled model wraps a fitted model: fit the base, then TemperatureScaled.fitted_on"
        )

    def predict_proba(self, reviews: pd.DataFrame) -> np.ndarray:
        return apply_temperature(self.base.predict_proba(reviews), self.temperature)

    def params(self) -> dict[str, object]:
        return {**self.base.params(), "calibration_temperature": self.temperature}

    def save(self, directory: Path) -> None:
        self.base.save(directory)
        (Path(directory) / CALIBRATION_FILE).write_text(
            json.dumps({"method": "temperature", "temperature": self.temperature})
        )

    @classmethod
    def load(cls, directory: Path) -> SentimentClassifier:
        raise TypeError("load a saved model with sentiment_assets.models.families.load_model")


def with_saved_calibration(model: SentimentClassifier, directory: Path) -> SentimentClassifier:
    """`model` wrapped in the calibration saved beside it, if there is one (JSON: no code runs)."""
    path = Path(directory) / CALIBRATION_FILE
    if not path.exists():
        return model
    return TemperatureScaled(model, float(json.loads(path.read_text())["temperature"]))
