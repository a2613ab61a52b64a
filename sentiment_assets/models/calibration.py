"""Calibrated probabilities: one temperature and a bias per class, fitted on validation.

People act on a prediction's probability (the review queue sends everything below 0.90 to a
person), so a 0.9 must mean right nine times in ten. Vector scaling (Guo et al., 2017, with one
shared temperature) replaces log p by log p / T + b_class, T and the biases fitted to minimise
the validation negative log-likelihood. The biases are what matters on real reviews: every family
trains with class-balanced weights (so that rare neutral reviews are not out-voted), which makes
a model speak of a balanced world -- neutral far too often -- and no temperature can correct a
prior (vader_movies champion, ECE on validation fitted on other folds: 0.102 with a temperature
alone, 0.027 with the biases; see docs/models-and-benchmarks.md).

The label stays the model's own balanced decision: argmax(log p / T + b - b) is argmax(p), so
calibration changes no label, accuracy or macro-F1 -- only the probabilities, and with them the
probability of the label given, which the review queue reads. On a close call the label can be
a rare class that is not the most probable one; `probability` is then the calibrated chance that
this label is right. `decide` applies that rule; every scoring path goes through it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize, minimize_scalar
from sklearn.model_selection import StratifiedKFold

from sentiment_assets.models.base import EpochCallback, SentimentClassifier
from sentiment_assets.models.calibration_error import expected_calibration_error

CALIBRATION_FILE = "calibration.json"
# Below this many validation reviews of some class its bias cannot be estimated: temperature only.
MIN_REVIEWS_PER_CLASS_FOR_BIASES = 10
_EPS = 1e-12
_TEMPERATURE_BOUNDS = (np.log(0.05), np.log(20.0))
_BIAS_BOUND = 5.0  # |b| <= 5: a factor of ~150 between classes, far beyond any real prior shift


def _log(probabilities: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(probabilities, dtype=np.float64), _EPS, 1.0))


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def apply_calibration(
    probabilities: np.ndarray, temperature: float, class_bias: np.ndarray | None = None
) -> np.ndarray:
    """softmax(log p / T + b), row by row; T = 1 and b = 0 change nothing."""
    logits = _log(probabilities) / temperature
    return _softmax(logits if class_bias is None else logits + np.asarray(class_bias, dtype=np.float64))


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): T > 1 softens, T < 1 sharpens; the winner never changes."""
    return apply_calibration(probabilities, temperature)


def decide(probabilities: np.ndarray, decision_offsets: np.ndarray | None = None) -> np.ndarray:
    """The label id given per row: argmax(log p + offsets). With a calibrated model's offsets
    (minus its biases) that is the model's own decision before calibration."""
    if decision_offsets is None:
        return np.asarray(probabilities).argmax(axis=1)
    return (_log(probabilities) + np.asarray(decision_offsets, dtype=np.float64)).argmax(axis=1)


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
        bounds=_TEMPERATURE_BOUNDS,
        method="bounded",
    )
    return float(np.exp(found.x))


def fit_calibration(probabilities: np.ndarray, label_ids: np.ndarray) -> tuple[float, np.ndarray]:
    """(T, b) minimising the negative log-likelihood of `label_ids` under softmax(log p / T + b),
    b[0] = 0 (only differences matter). Temperature only, b = 0, when some class has fewer than
    MIN_REVIEWS_PER_CLASS_FOR_BIASES reviews."""
    probabilities, label_ids = np.asarray(probabilities), np.asarray(label_ids)
    classes = probabilities.shape[1]
    temperature = fit_temperature(probabilities, label_ids)
    if len(label_ids) == 0 or np.bincount(label_ids, minlength=classes).min() < MIN_REVIEWS_PER_CLASS_FOR_BIASES:
        return temperature, np.zeros(classes)
    logits = _log(probabilities)

    def loss(w: np.ndarray) -> float:
        return negative_log_likelihood(_softmax(logits * np.exp(-w[0]) + np.r_[0.0, w[1:]]), label_ids)

    start = np.r_[np.log(temperature), np.zeros(classes - 1)]
    bounds = [_TEMPERATURE_BOUNDS] + [(-_BIAS_BOUND, _BIAS_BOUND)] * (classes - 1)
    found = minimize(loss, start, method="L-BFGS-B", bounds=bounds)
    return float(np.exp(found.x[0])), np.r_[0.0, found.x[1:]]


def cross_fitted_ece(probabilities: np.ndarray, label_ids: np.ndarray, folds: int = 5, seed: int = 0) -> float | None:
    """The ECE of calibrated probabilities on validation reviews the calibration was not fitted
    on: each fold calibrated by the other folds (an in-sample ECE flatters). None below `folds`
    reviews of some class."""
    probabilities, label_ids = np.asarray(probabilities), np.asarray(label_ids)
    if len(label_ids) == 0 or np.bincount(label_ids, minlength=probabilities.shape[1]).min() < folds:
        return None
    calibrated = np.empty_like(probabilities, dtype=np.float64)
    for fit_rows, held_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(probabilities, label_ids):
        temperature, bias = fit_calibration(probabilities[fit_rows], label_ids[fit_rows])
        calibrated[held_rows] = apply_calibration(probabilities[held_rows], temperature, bias)
    return expected_calibration_error(calibrated, label_ids, predicted=decide(probabilities))


class Calibrated(SentimentClassifier):
    """A fitted model whose probabilities are calibrated (temperature and class biases) and
    whose labels are the wrapped model's own. It keeps the family of the model it wraps (the
    leaderboard, the registry and the fast scoring engines know that one) and is saved as that
    model plus calibration.json, which `families.load_model` reads back."""

    def __init__(self, base: SentimentClassifier, temperature: float, class_bias: np.ndarray | None = None):
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.base = base
        self.temperature = float(temperature)
        self.class_bias = np.zeros(3) if class_bias is None else np.asarray(class_bias, dtype=np.float64)
        self.family = base.family

    @classmethod
    def fitted_on(cls, base: SentimentClassifier, valid: pd.DataFrame) -> Calibrated:
        """`base` with the calibration fitted on `valid` (which needs label_id)."""
        return cls(base, *fit_calibration(base.predict_proba(valid), valid["label_id"].to_numpy()))

    @property
    def decision_offsets(self) -> np.ndarray:
        """What `decide` adds to the log of calibrated probabilities to give the base model's label."""
        return -self.class_bias

    def calibrate(self, base_probabilities: np.ndarray) -> np.ndarray:
        return apply_calibration(base_probabilities, self.temperature, self.class_bias)

    def fit(
        self, train: pd.DataFrame, valid: pd.DataFrame | None = None, on_epoch_end: EpochCallback | None = None
    ) -> Calibrated:
        raise TypeError("a Calibrated model wraps a fitted model: fit the base, then Calibrated.fitted_on")

    def predict_proba(self, reviews: pd.DataFrame) -> np.ndarray:
        return self.calibrate(self.base.predict_proba(reviews))

    def predict(self, reviews: pd.DataFrame) -> np.ndarray:
        return decide(self.predict_proba(reviews), self.decision_offsets)

    def params(self) -> dict[str, object]:
        return {
            **self.base.params(),
            "calibration_temperature": self.temperature,
            "calibration_class_bias": [round(float(b), 6) for b in self.class_bias],
        }

    def save(self, directory: Path) -> None:
        self.base.save(directory)
        calibration = {"method": "vector", "temperature": self.temperature, "class_bias": self.class_bias.tolist()}
        (Path(directory) / CALIBRATION_FILE).write_text(json.dumps(calibration))

    @classmethod
    def load(cls, directory: Path) -> SentimentClassifier:
        raise TypeError("load a saved model with sentiment_assets.models.families.load_model")


class CalibratedScores:
    """A faster engine's predict_proba for a calibrated model: the engine runs the network, the
    calibration follows, and `decide` gets the model's decision offsets."""

    def __init__(self, base_predict_proba: Callable[[pd.DataFrame], np.ndarray], calibrated: Calibrated):
        self.base_predict_proba, self.calibrated = base_predict_proba, calibrated
        self.decision_offsets = calibrated.decision_offsets

    def __call__(self, reviews: pd.DataFrame) -> np.ndarray:
        return self.calibrated.calibrate(self.base_predict_proba(reviews))


def decision_offsets_of(predict_proba: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray | None:
    """The decision offsets that go with a predict_proba (a calibrated model's bound method or a
    CalibratedScores); None for an uncalibrated one, whose label is the most probable class."""
    owner = getattr(predict_proba, "__self__", predict_proba)
    return owner.decision_offsets if isinstance(owner, Calibrated | CalibratedScores) else None


def with_saved_calibration(model: SentimentClassifier, directory: Path) -> SentimentClassifier:
    """`model` wrapped in the calibration saved beside it, if there is one (JSON: no code runs).
    A temperature-only file (method "temperature", older models) has no biases."""
    path = Path(directory) / CALIBRATION_FILE
    if not path.exists():
        return model
    saved = json.loads(path.read_text())
    bias = saved.get("class_bias")
    return Calibrated(model, float(saved["temperature"]), None if bias is None else np.asarray(bias, dtype=np.float64))
