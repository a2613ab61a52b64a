"""Hyper-parameter tuning with Optuna (TPE), each trial a nested MLflow run.

The search space depends on the family that won the candidate round: regularisation and n-grams
for TF-IDF, learning rate and batch size for the fine-tuned transformer (the course's ranges).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Callable

import mlflow
import optuna
import pandas as pd

from sentiment_assets.models.base import SentimentClassifier
from sentiment_assets.models.metrics import classification_scores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchSpace:
    """Ranges Optuna samples from. The transformer defaults suit MiniLM (6 layers, 384 wide),
    which needs larger steps than the course's BERT range 1e-5..5e-5 (set that for BERT-base)."""

    learning_rate: tuple[float, float] = (5e-5, 4e-4)
    batch_sizes: tuple[int, ...] = (16, 32)
    C: tuple[float, float] = (0.1, 30.0)
    max_ngram: tuple[int, int] = (1, 3)
    min_df: tuple[int, int] = (1, 5)


def _covering(bounds: tuple[float, float], value: float) -> tuple[float, float]:
    """The range widened to include the untuned value, which runs as the first trial."""
    return min(bounds[0], value), max(bounds[1], value)


def suggest_tfidf(trial: optuna.Trial, base, space: SearchSpace) -> SentimentClassifier:
    from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression

    base = base or TfidfConfig()
    return TfidfLogisticRegression(replace(
        base,
        C=trial.suggest_float("C", *_covering(space.C, base.C), log=True),
        max_ngram=trial.suggest_int("max_ngram", *space.max_ngram),
        min_df=trial.suggest_int("min_df", *space.min_df),
    ))


def suggest_transformer(trial: optuna.Trial, base, space: SearchSpace) -> SentimentClassifier:
    from sentiment_assets.models.finetune import FineTuneConfig
    from sentiment_assets.models.transformer import TransformerClassifier

    base = base or FineTuneConfig()
    return TransformerClassifier(replace(
        base,
        learning_rate=trial.suggest_float("learning_rate", *_covering(space.learning_rate, base.learning_rate), log=True),
        batch_size=trial.suggest_categorical("batch_size", sorted({*space.batch_sizes, base.batch_size})),
    ))


SEARCH_SPACES: dict[str, Callable[[optuna.Trial, object, SearchSpace], SentimentClassifier]] = {
    "tfidf_logreg": suggest_tfidf,
    "minilm_finetuned": suggest_transformer,
}


def baseline_params(family: str, base) -> dict[str, object]:
    """The untuned configuration as a first trial, so tuning can only match or beat the candidate."""
    if base is None:
        return {}
    if family == "tfidf_logreg":
        return {"C": base.C, "max_ngram": base.max_ngram, "min_df": base.min_df}
    return {"learning_rate": base.learning_rate, "batch_size": base.batch_size}


@dataclass
class TuningResult:
    study: optuna.Study
    best_model: SentimentClassifier
    best_scores: dict[str, float]


def tune(
    family: str,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    n_trials: int,
    storage_url: str,
    study_name: str,
    seed: int = 42,
    base_config: object | None = None,
    space: SearchSpace = SearchSpace(),
) -> TuningResult:
    """Maximise validation macro-F1 over `n_trials`; the study persists in `storage_url`.

    Must run inside an active MLflow run: each trial is logged as a nested child run.
    """
    if family not in SEARCH_SPACES:
        raise ValueError(f"no search space for family {family!r}; known: {sorted(SEARCH_SPACES)}")
    suggest = SEARCH_SPACES[family]
    models: dict[int, tuple[SentimentClassifier, dict[str, float]]] = {}

    def objective(trial: optuna.Trial) -> float:
        model = suggest(trial, base_config, space)
        with mlflow.start_run(run_name=f"{study_name}-trial-{trial.number}", nested=True):
            mlflow.log_params({**model.params(), "trial_number": trial.number, "family": family})
            model.fit(train)
            scores = classification_scores(valid["label_id"].to_numpy(), model.predict(valid))
            mlflow.log_metrics({f"val_{k}": v for k, v in scores.items()})
        # Only the best model so far is kept in memory; others are dropped to bound memory.
        best_so_far = max((s["macro_f1"] for _, s in models.values()), default=-1.0)
        if scores["macro_f1"] > best_so_far:
            models.clear()
            models[trial.number] = (model, scores)
        log.info("trial %d: val macro-F1 %.4f", trial.number, scores["macro_f1"])
        return scores["macro_f1"]

    study = optuna.create_study(
        study_name=study_name,
        storage=storage_url,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        load_if_exists=True,
    )
    if not study.trials:
        study.enqueue_trial(baseline_params(family, base_config), skip_if_exists=True)
    study.optimize(objective, n_trials=n_trials)
    # The best trial of *this* optimisation (earlier sessions of a reused study have no model here).
    trial_number, (best_model, best_scores) = next(iter(models.items()))
    return TuningResult(study=study, best_model=best_model, best_scores=best_scores | {"trial_number": trial_number})
