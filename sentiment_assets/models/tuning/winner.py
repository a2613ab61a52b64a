"""Tuning the leaderboard's winner (the tuned_model asset's work): an Optuna study over its
family, its calibration (a temperature and class biases) fitted on validation, and one MLflow
run that logs both, summed up in a TunedModelCard. Framework-free: no Dagster; the caller has
activated the MLflow experiment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mlflow
import optuna
import pandas as pd

from sentiment_assets.models.calibration import Calibrated, cross_fitted_ece, decide
from sentiment_assets.models.calibration_error import ece_if_calibrated, expected_calibration_error
from sentiment_assets.models.families import config_from_json
from sentiment_assets.models.mlflow_model import log_sentiment_model
from sentiment_assets.models.model_card import Calibration, StudyReference, TunedModelCard
from sentiment_assets.models.tuning.config import TuningConfig
from sentiment_assets.models.tuning.search_space import SearchSpace
from sentiment_assets.models.tuning.study import TuningResult, tune
from sentiment_assets.redaction import redact, redact_url

TRANSFORMER_FAMILY = "minilm_finetuned"  # its trials take minutes, not seconds: a budget of its own


@dataclass(frozen=True)
class StudyPlan:
    """What one tuning run tunes and how: the winner's family and config (its first trial),
    the trial budget, and the study it starts in the storage."""

    family: str
    base_config: object  # the family's config dataclass, as the leaderboard stored it
    candidate_val_macro_f1: float  # the winner's score in the candidate round
    study_name: str
    storage_url: str  # may carry a password: written anywhere only through redact_url
    tuning: TuningConfig

    @property
    def n_trials(self) -> int:
        return self.tuning.n_trials

    @property
    def warm_start_from(self) -> str | None:
        return self.tuning.warm_start_from


@dataclass(frozen=True)
class TunedModel:
    """The outcome of `tune_winner`: the study's result and the card of the model it logged."""

    plan: StudyPlan
    result: TuningResult
    card: TunedModelCard


def winner_of(leaderboard: pd.DataFrame, device: str) -> tuple[str, object, float]:
    """The leaderboard's rank-1 family, its config (on `device` when the family has one) and
    its validation macro-F1."""
    winner = leaderboard.sort_values("rank").iloc[0]
    base = config_from_json(winner["family"], winner["config_json"])
    if hasattr(base, "device"):
        base.device = device
    return winner["family"], base, float(winner["val_macro_f1"])


def previous_study(storage_url: str, family: str) -> str | None:
    """The most recently started study of `family` in the storage, if any."""
    started = [
        (s.datetime_start, s.study_name)
        for s in optuna.get_all_study_summaries(storage_url, include_best_trial=False)
        if s.study_name.startswith(f"tuned_model-{family}-") and s.datetime_start is not None
    ]
    return max(started)[1] if started else None


def calibration_summary(model, calibrated: Calibrated, valid: pd.DataFrame) -> Calibration:
    """The calibration, the validation expected calibration error (of the label the model gives)
    before it, after it in-sample and fitted on other folds, and the ECE a perfectly calibrated
    model would show on this many reviews (the estimator's noise)."""
    labels = valid["label_id"].to_numpy()
    base = model.predict_proba(valid)
    probabilities = calibrated.calibrate(base)
    given = decide(base)  # calibration changes no label
    if_calibrated, if_calibrated_p95 = ece_if_calibrated(probabilities, predicted=given)
    return Calibration(
        temperature=calibrated.temperature,
        validation_reviews=len(valid),
        val_ece_before=expected_calibration_error(base, labels),
        val_ece=expected_calibration_error(probabilities, labels, predicted=given),
        val_ece_if_calibrated=if_calibrated,
        val_ece_if_calibrated_p95=if_calibrated_p95,
        class_bias=[float(b) for b in calibrated.class_bias],
        val_ece_cross_fitted=cross_fitted_ece(base, labels),
    )


def tune_winner(
    plan: StudyPlan,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    models_dir: Path,
    space: SearchSpace,
    experiment_id: str,
    run_tags: dict[str, str],
) -> TunedModel:
    """Run the plan's study (every trial a nested run of one MLflow run), calibrate the best
    model with a temperature and class biases fitted on `valid` (they change no label, only the
    probabilities people act on), and log it: the tuned model and its card."""
    with mlflow.start_run(run_name=f"tuned_model-{plan.family}", tags=run_tags) as run:
        result = tune(
            plan.family,
            train,
            valid,
            study_name=plan.study_name,
            storage_url=plan.storage_url,
            models_dir=models_dir,
            config=plan.tuning,
            space=space,
            base_config=plan.base_config,
        )
        mlflow.log_params(
            redact(
                {"family": plan.family, "n_trials": plan.n_trials, "study": plan.study_name}
                | result.best_model.params()
            )
        )
        mlflow.log_metrics(
            {f"val_{k}": v for k, v in result.best_scores.items()}
            | {"trials_pruned": result.n_pruned, "trials_complete": result.n_complete}
        )
        for path in result.plots.paths.values():
            mlflow.log_artifact(str(path), artifact_path="optuna")
        calibrated = Calibrated.fitted_on(result.best_model, valid)
        calibration = calibration_summary(result.best_model, calibrated, valid)
        mlflow.log_metrics(calibration.metrics())
        model_info = log_sentiment_model(calibrated)

    card = TunedModelCard(
        family=plan.family,
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        model_uri=model_info.model_uri,
        validation=result.best_scores | {"trial_number": result.best_trial_number},
        evaluation=result.evaluation,
        calibration=calibration,
        params=result.best_model.params(),
        study=StudyReference(
            name=plan.study_name,
            storage=redact_url(plan.storage_url),
            trials=len(result.study.trials),
            warm_start_from=plan.warm_start_from,
        ),
    )
    return TunedModel(plan=plan, result=result, card=card)
