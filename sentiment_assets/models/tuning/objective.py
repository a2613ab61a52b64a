"""What a trial measures: validation macro-F1 of the model its sampled values make (or, on small
data, its cross-validated macro-F1 over train + validation), with the intermediate scores
reported for pruning, everything logged to a nested MLflow run, and the model saved for the
caller."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import mlflow
import optuna
import pandas as pd

from sentiment_assets.models.base import SentimentClassifier
from sentiment_assets.models.cross_validation import usable_folds
from sentiment_assets.models.families import save_model
from sentiment_assets.models.tuning.checkpoints import keep_only_best_callback, trial_dir
from sentiment_assets.models.tuning.config import TuningConfig
from sentiment_assets.models.tuning.fidelity import fit_by_cross_validation, fit_by_epochs, fit_by_train_fraction
from sentiment_assets.models.tuning.registry import build_model, distributions_for, family_search, suggest_params
from sentiment_assets.models.tuning.search_space import SearchSpace
from sentiment_assets.models.tuning.trial_runs import MlflowParent, trial_run
from sentiment_assets.redaction import redact

# Trial user attributes the caller reads back from the storage (any worker may have run it).
SCORE_ATTRS = ("val_accuracy", "val_macro_f1", "val_balanced_accuracy")
# Errors that fail one trial, not the study: a value the model rejects (min_df above the number
# of reviews in a small training fraction) or a device out of memory at a large batch size.
# Optuna logs each one and records the trial as FAIL.
TRIAL_ERRORS = (ValueError, RuntimeError)


@dataclass
class Objective:
    """Callable on an Optuna trial, returning validation macro-F1. Plain data, so that it can be
    pickled into worker processes."""

    family: str
    train: pd.DataFrame
    valid: pd.DataFrame
    space: SearchSpace
    config: TuningConfig
    models_dir: Path
    mlflow_parent: MlflowParent
    study_name: str
    base_config: object | None = None

    def __call__(self, trial: optuna.Trial) -> float:
        params = suggest_params(trial, distributions_for(self.family, self.space, self.base_config))
        trial.set_user_attr("worker_pid", os.getpid())
        tags = {
            "optuna.study_name": self.study_name,
            "optuna.trial_number": str(trial.number),
            "worker_pid": str(os.getpid()),
        }
        with trial_run(self.mlflow_parent, f"{self.study_name}-trial-{trial.number}", tags) as run:
            trial.set_user_attr("mlflow_run_id", run.info.run_id)
            mlflow.log_params(
                redact({**self._build(params).params(), "family": self.family, "trial_number": trial.number})
            )
            reporter = _Reporter(trial)
            model, scores = self._fit(params, reporter)
            mlflow.log_metrics({f"val_{name}": value for name, value in scores.items()}, step=reporter.last_step)
            save_model(model, trial_dir(self.models_dir, trial.number))
            for name, value in scores.items():
                trial.set_user_attr(f"val_{name}", value)
        return scores["macro_f1"]

    @property
    def folds(self) -> int:
        """Cross-validation folds this objective scores single-pass families by (0: the split)."""
        if not self.config.cv_folds:
            return 0
        labels = cast(pd.Series, pd.concat([self.train["label_id"], self.valid["label_id"]]))  # of two Series
        return usable_folds(labels, self.config.cv_folds)

    def evaluation(self) -> str:
        """How trials of this objective are judged, in words for the model card."""
        if self.folds and family_search(self.family).fidelity != "epochs":
            return f"{self.folds}-fold cross-validation over {len(self.train) + len(self.valid)} reviews"
        return f"validation split ({len(self.valid)} reviews)"

    def _build(self, params: dict[str, object]) -> SentimentClassifier:
        return build_model(self.family, self.base_config, params)

    def _fit(self, params: dict[str, object], report: _Reporter) -> tuple[SentimentClassifier, dict[str, float]]:
        if family_search(self.family).fidelity == "epochs":
            # Fine-tuning k times per trial is beyond a CPU budget: epoch families keep the split.
            return fit_by_epochs(self._build(params), self.train, self.valid, report)
        if self.folds:
            return fit_by_cross_validation(
                lambda: self._build(params),
                self.train,
                self.valid,
                self.folds,
                self.config.train_fractions,
                self.config.seed,
                report,
            )
        return fit_by_train_fraction(
            lambda: self._build(params), self.train, self.valid, self.config.train_fractions, self.config.seed, report
        )


class _Reporter:
    """Passes each intermediate validation to MLflow (as a step) and to Optuna, and stops the
    trial when the pruner says its macro-F1 so far is not worth continuing."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial
        self.last_step = 0

    def __call__(self, step: int, metrics: dict[str, float]) -> None:
        self.last_step = step
        mlflow.log_metrics(metrics, step=step)
        macro_f1 = metrics["val_macro_f1"]
        self.trial.report(macro_f1, step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at step {step} with validation macro-F1 {macro_f1:.4f}")


def run_trials(study: optuna.Study, objective: Objective, n_trials: int) -> None:
    """Optimise `n_trials` trials of `study` in this process, tidying the models directory after
    each one; a trial raising one of TRIAL_ERRORS is recorded as failed and the next one runs."""
    study.optimize(
        objective, n_trials=n_trials, catch=TRIAL_ERRORS, callbacks=[keep_only_best_callback(objective.models_dir)]
    )
