"""Autopilot's leaderboard: train a candidate, measure what a buyer of the model cares about
(how right it is, how long it took to train, how fast it scores), and rank candidates by one
chosen objective. Framework-free: no Dagster, no MLflow."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from sentiment_assets.frames import column as col
from sentiment_assets.models.base import EpochCallback, SentimentClassifier
from sentiment_assets.models.cross_validation import out_of_fold_label_ids, usable_folds
from sentiment_assets.models.metrics import classification_scores, macro_f1_interval

MAXIMIZE, MINIMIZE = "maximize", "minimize"

OBJECTIVES: dict[str, str] = {
    "val_accuracy": MAXIMIZE,
    "val_macro_f1": MAXIMIZE,  # the default: every class counts alike, whatever its share
    "val_balanced_accuracy": MAXIMIZE,
    "train_seconds": MINIMIZE,
    "inference_reviews_per_s": MAXIMIZE,
}
"""What a leaderboard can be ranked by, and which way is better."""


@dataclass
class CandidateResult:
    """One trained candidate, judged on the validation split."""

    val_accuracy: float
    val_macro_f1: float
    val_balanced_accuracy: float
    train_seconds: float  # wall time of fit, measured here so that every family is timed alike
    inference_reviews_per_s: float  # validation reviews scored per second by predict_proba
    validation_reviews: int
    time_budget_s: float | None  # the budget the model was configured with (None = unlimited)
    stopped_by_budget: bool  # the model cut its own training short to keep the budget
    over_budget: bool  # training took longer than the budget (one-shot trainers cannot stop)
    # 90% bootstrap interval of val_macro_f1 over the validation reviews: on a small split two
    # candidates a few points apart may not differ at all.
    val_macro_f1_low: float = float("nan")
    val_macro_f1_high: float = float("nan")
    # How the val_* figures were measured: "validation split", or "k-fold cross-validation" over
    # train + validation when the data is small (validation_reviews is then every review).
    evaluation: str = "validation split"


def time_budget_of(model: SentimentClassifier) -> float | None:
    """The training budget in the model's config: `time_budget_s`, or the fine-tune's `max_seconds`."""
    config = cast(Any, model).config  # every family keeps its hyper-parameters as `config`
    for name in ("time_budget_s", "max_seconds"):
        budget = getattr(config, name, None)
        if budget is not None:
            return float(budget)
    return None


def run_candidate(
    model: SentimentClassifier,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    on_epoch_end: EpochCallback | None = None,
    cv_folds: int = 0,
) -> CandidateResult:
    """Fit `model` on `train` and judge it on `valid` (which needs `label_id`). With `cv_folds`
    (small data, where a validation split of a few dozen reviews says little), the val_* figures
    come from stratified k-fold cross-validation over train + validation instead; the model
    returned for registration is still the one fitted on `train`."""
    if len(valid) == 0:
        raise ValueError("run_candidate needs at least one validation review to judge the model by")
    started = time.perf_counter()
    model.fit(train, valid, on_epoch_end=on_epoch_end)
    train_seconds = time.perf_counter() - started

    started = time.perf_counter()
    probabilities = model.predict_proba(valid)
    inference_seconds = time.perf_counter() - started

    judged, predicted, evaluation = valid, probabilities.argmax(axis=1), "validation split"
    pool = pd.concat([train, valid], ignore_index=True)
    folds = usable_folds(col(pool, "label_id"), cv_folds) if cv_folds else 0
    if folds:
        family: Any = type(model)  # every family is built from its `config`
        judged, predicted = pool, out_of_fold_label_ids(lambda: family(cast(Any, model).config), pool, folds)
        evaluation = f"{folds}-fold cross-validation"
    scores = classification_scores(judged["label_id"].to_numpy(), predicted)
    low, high = macro_f1_interval(judged["label_id"].to_numpy(), predicted)
    budget = time_budget_of(model)
    return CandidateResult(
        val_accuracy=scores["accuracy"],
        val_macro_f1=scores["macro_f1"],
        val_balanced_accuracy=scores["balanced_accuracy"],
        train_seconds=train_seconds,
        inference_reviews_per_s=len(valid) / max(inference_seconds, 1e-9),
        validation_reviews=len(judged),
        time_budget_s=budget,
        stopped_by_budget=bool(getattr(model, "stopped_by_budget", False)),
        over_budget=budget is not None and train_seconds > budget,
        val_macro_f1_low=low,
        val_macro_f1_high=high,
        evaluation=evaluation,
    )


def leaderboard_row(family: str, result: CandidateResult) -> dict[str, object]:
    """One flat leaderboard row: the family, then every figure of its result."""
    return {"family": family, **asdict(result)}


def _check_objective(name: str, role: str) -> None:
    if name not in OBJECTIVES:
        raise ValueError(f"unknown {role} {name!r}; known: {', '.join(OBJECTIVES)}")


def rank_candidates(rows: list[dict] | pd.DataFrame, objective: str, tie_breaker: str = "val_macro_f1") -> pd.DataFrame:
    """The rows best first by `objective` (in its direction), ties broken by `tie_breaker`, with
    a `rank` column (1 = best) first. Rows missing a figure rank last."""
    _check_objective(objective, "objective")
    _check_objective(tie_breaker, "tie_breaker")
    board = pd.DataFrame(rows).drop(columns="rank", errors="ignore")
    keys = list(dict.fromkeys([objective, tie_breaker]))  # once each, objective first
    missing = [key for key in keys if key not in board.columns]
    if missing and len(board):
        raise ValueError(f"leaderboard rows have no {', '.join(missing)} column")
    if len(board):
        ascending = [OBJECTIVES[key] == MINIMIZE for key in keys]
        board = board.sort_values(keys, ascending=ascending, na_position="last", kind="stable")
    board = board.reset_index(drop=True)
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board
