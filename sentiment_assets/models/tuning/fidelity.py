"""Fitting a trial's model while reporting intermediate validation scores, so that a poor trial
can be stopped before it has cost a full fit.

Knows nothing of Optuna or MLflow: `report(step, metrics)` passes the scores on, and may raise
to stop the fit (the objective raises optuna.TrialPruned there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sentiment_assets.models.base import EpochReport, SentimentClassifier
from sentiment_assets.models.cross_validation import out_of_fold_label_ids
from sentiment_assets.models.metrics import classification_scores

Report = Callable[[int, dict[str, float]], None]


def validation_scores(model: SentimentClassifier, valid: pd.DataFrame) -> dict[str, float]:
    """accuracy, macro_f1 and balanced_accuracy on the validation frame."""
    return classification_scores(valid["label_id"].to_numpy(), model.predict(valid))


def fit_by_epochs(
    model: SentimentClassifier, train: pd.DataFrame, valid: pd.DataFrame, report: Report
) -> tuple[SentimentClassifier, dict[str, float]]:
    """One fit; each validation the model makes on its own (after each epoch) is reported at
    steps 1, 2, ... Steps count reports rather than epochs, so that models validating more often
    than once an epoch still report increasing steps."""
    step = 0

    def on_epoch_end(epoch: EpochReport) -> None:
        nonlocal step
        if "val_macro_f1" in epoch.metrics:
            step += 1
            report(step, epoch.metrics)

    model.fit(train, valid, on_epoch_end=on_epoch_end)
    # Scored again rather than read from the last report: a fit may end between validations.
    return model, validation_scores(model, valid)


def fit_by_train_fraction(
    build: Callable[[], SentimentClassifier],
    train: pd.DataFrame,
    valid: pd.DataFrame,
    fractions: Sequence[float],
    seed: int,
    report: Report,
) -> tuple[SentimentClassifier, dict[str, float]]:
    """Fresh models fitted on growing shares of `train` (nested samples: one seeded shuffle, cut
    at each fraction), each scored and reported at steps 1, 2, ...; the last share is all of it."""
    order = np.random.default_rng(seed).permutation(len(train))
    model, scores = None, {}
    for step, fraction in enumerate(fractions, start=1):
        rows = order[: max(1, round(fraction * len(train)))]
        model = build().fit(train.iloc[np.sort(rows)])
        scores = validation_scores(model, valid)
        report(step, {f"val_{name}": value for name, value in scores.items()} | {"train_fraction": fraction})
    if model is None:
        raise ValueError("fit_by_train_fraction needs at least one train fraction")
    return model, scores


def fit_by_cross_validation(
    build: Callable[[], SentimentClassifier],
    train: pd.DataFrame,
    valid: pd.DataFrame,
    folds: int,
    fractions: Sequence[float],
    seed: int,
    report: Report,
) -> tuple[SentimentClassifier, dict[str, float]]:
    """Small data: each step scores out-of-fold predictions of stratified `folds`-fold
    cross-validation over train + validation (fold models fitted on a growing share of their
    folds), so that a trial is judged on every review rather than on a validation split of a few
    dozen. The model handed back is fitted on `train` alone: calibration is fitted on `valid`
    next, which that model must not have seen."""
    pool = pd.concat([train, valid], ignore_index=True)
    labels = pool["label_id"].to_numpy()
    scores: dict[str, float] = {}
    for step, fraction in enumerate(fractions, start=1):
        scores = classification_scores(labels, out_of_fold_label_ids(build, pool, folds, seed, fraction))
        report(step, {f"val_{name}": value for name, value in scores.items()} | {"train_fraction": fraction})
    return build().fit(train), scores
