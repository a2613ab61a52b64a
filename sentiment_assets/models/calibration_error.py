"""How calibrated probabilities are: the reliability table and the expected calibration error.

A prediction's probability is calibrated when, among the predictions given probability 0.9, nine
in ten are right. Both figures bin the predictions by the probability of the label given (the
`predicted` label ids; by default the most probable class) and compare it with how often that
label was right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _given(probabilities: np.ndarray, predicted: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(label given, its probability) per row: `predicted`, else the most probable class."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    given = probabilities.argmax(axis=1) if predicted is None else np.asarray(predicted)
    return given, probabilities[np.arange(len(given)), given]


def _bin_of(confidence: np.ndarray, bins: int) -> np.ndarray:
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)


def reliability_table(
    probabilities: np.ndarray, label_ids: np.ndarray, bins: int = 10, predicted: np.ndarray | None = None
) -> pd.DataFrame:
    """Per confidence bin (of the given label's probability): reviews, mean confidence, accuracy."""
    given, confidence = _given(probabilities, predicted)
    edges = np.linspace(0.0, 1.0, bins + 1)
    frame = pd.DataFrame(
        {"bin": _bin_of(confidence, bins), "confidence": confidence, "correct": given == np.asarray(label_ids)}
    )
    table = (
        frame.groupby("bin")
        .agg(reviews=("correct", "size"), confidence=("confidence", "mean"), accuracy=("correct", "mean"))
        .reset_index()
    )
    table.insert(1, "lower", edges[table["bin"].to_numpy()])
    table.insert(2, "upper", edges[table["bin"].to_numpy() + 1])
    return table


def expected_calibration_error(
    probabilities: np.ndarray, label_ids: np.ndarray, bins: int = 15, predicted: np.ndarray | None = None
) -> float:
    """Σ_bins (n_bin / n) · |accuracy_bin - confidence_bin| over the given label (0 = calibrated)."""
    if len(label_ids) == 0:
        return 0.0
    table = reliability_table(probabilities, label_ids, bins, predicted)
    return float((table["reviews"] * (table["accuracy"] - table["confidence"]).abs()).sum() / table["reviews"].sum())


def ece_if_calibrated(
    probabilities: np.ndarray, bins: int = 15, draws: int = 200, seed: int = 0, predicted: np.ndarray | None = None
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
    given, confidence = _given(probabilities, predicted)
    which = _bin_of(confidence, bins)
    confidence_sum = np.bincount(which, weights=confidence, minlength=bins)
    correct = (drawn == given[None, :]).astype(np.float64)
    correct_sum = np.stack([np.bincount(which, weights=row, minlength=bins) for row in correct])
    # Σ_bins (n_bin/n)·|acc_bin - conf_bin| = Σ_bins |Σ correct - Σ confidence| / n (empty bins add 0).
    eces = np.abs(correct_sum - confidence_sum[None, :]).sum(axis=1) / len(probabilities)
    return float(eces.mean()), float(np.quantile(eces, 0.95))
