"""tune(): an Optuna study over one model family's hyper-parameters, maximising validation
macro-F1 (cross-validated on small data, `TuningConfig.cv_folds`), each trial a nested MLflow run,
the best model handed back loaded from disk."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import optuna
import pandas as pd
from optuna.distributions import IntDistribution
from optuna.trial import TrialState

from sentiment_assets.models.base import SentimentClassifier
from sentiment_assets.models.families import load_model
from sentiment_assets.models.tuning.checkpoints import keep_only_best, trial_dir
from sentiment_assets.models.tuning.config import TuningConfig, make_pruner, make_sampler, open_storage
from sentiment_assets.models.tuning.objective import SCORE_ATTRS, Objective, run_trials
from sentiment_assets.models.tuning.parallel import run_workers
from sentiment_assets.models.tuning.plots import StudyPlots, study_plots
from sentiment_assets.models.tuning.registry import (
    base_or_default,
    baseline_params,
    distributions_for,
    family_search,
)
from sentiment_assets.models.tuning.search_space import SearchSpace
from sentiment_assets.models.tuning.trial_runs import MlflowParent
from sentiment_assets.models.tuning.warm_start import enqueue_first_trials

log = logging.getLogger(__name__)


@dataclass
class TuningResult:
    """The outcome of one tune() call."""

    study: optuna.Study
    best_model: SentimentClassifier  # loaded from best_model_dir
    best_model_dir: Path
    best_trial_number: int
    best_params: dict[str, object]  # the tuned values only; the full config is best_model.params()
    best_scores: dict[str, float]  # validation (or cross-validated) accuracy, macro_f1, balanced_accuracy
    n_complete: int  # trials of this call that ran to the end
    n_pruned: int  # trials of this call the pruner stopped early
    n_failed: int  # trials of this call that raised one of objective.TRIAL_ERRORS
    plots: StudyPlots
    evaluation: str = "validation split"  # how trials were judged: the split, or k-fold cross-validation


def fidelity_steps(family: str, space: SearchSpace, base_config: object | None, config: TuningConfig) -> int:
    """How many intermediate reports a trial that is never pruned makes (Hyperband's max resource)."""
    if family_search(family).fidelity == "train_fraction":
        return len(config.train_fractions)
    # One report per epoch: the most epochs a trial may draw, or the base config's when untuned.
    epochs = distributions_for(family, space, base_config).get("epochs")
    if epochs is None:
        return base_or_default(family, base_config).epochs
    if not isinstance(epochs, IntDistribution):
        raise TypeError(f"the epochs of {family} are searched by {epochs!r}, not an IntDistribution")
    return epochs.high


def tune(
    family: str,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    study_name: str,
    storage_url: str,
    models_dir: Path,
    config: TuningConfig = TuningConfig(),
    space: SearchSpace = SearchSpace(),
    base_config: object | None = None,
    plots_dir: Path | None = None,
) -> TuningResult:
    """Run `config.n_trials` trials of `family`, starting from `base_config` (the candidate
    round's config; the family's defaults when None), and return the best model.

    Must run inside an active MLflow run: every trial is a child run of it. The study persists
    in `storage_url` (an RDB URL); calling again with the same `study_name` continues it. Trial
    models go to `models_dir/trial-{n}` (one directory per study); only the best is left there.
    Plots go to `plots_dir` (default `models_dir/plots`).
    """
    family_search(family)  # an unknown family fails here, before any trial
    if len(valid) == 0:
        raise ValueError("tune() needs a non-empty validation frame: trials are judged on it")
    parent = MlflowParent.active()
    models_dir = Path(models_dir)
    storage = open_storage(storage_url, config)
    max_steps = fidelity_steps(family, space, base_config, config)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        direction="maximize",
        sampler=make_sampler(config),
        pruner=make_pruner(config, max_steps),
        load_if_exists=True,
    )
    first_trial = len(study.trials)
    enqueue_first_trials(
        study,
        storage,
        baseline_params(family, space, base_config),
        distributions_for(family, space, base_config),
        config.warm_start_from,
        config.warm_start_top_k,
    )

    objective = Objective(family, train, valid, space, config, models_dir, parent, study_name, base_config)
    if config.n_workers == 1:
        run_trials(study, objective, config.n_trials)
    else:
        # The enqueued trials (warm start, the untuned candidate) run here first: parallel
        # workers may both claim one WAITING trial on SQLite. The workers sample the rest.
        waiting = min(sum(t.state == TrialState.WAITING for t in study.get_trials(deepcopy=False)), config.n_trials)
        if waiting:
            run_trials(study, objective, waiting)
        run_workers(objective, storage_url, study_name, config, max_steps, n_trials=config.n_trials - waiting)

    best_number = keep_only_best(study, models_dir, running_too=True)
    this_call = study.trials[first_trial:]
    n_complete, n_pruned, n_failed = (
        sum(t.state == state for t in this_call) for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    )
    if best_number is None:
        raise RuntimeError(
            f"no trial of study {study_name!r} completed with a saved model "
            f"({n_pruned} pruned, {n_failed} failed: see the log for their errors)"
        )
    best = study.trials[best_number]
    log.info(
        "study %s: best trial %d, val macro-F1 %.4f; %d complete, %d pruned",
        study_name,
        best_number,
        best.value,
        n_complete,
        n_pruned,
    )
    return TuningResult(
        study=study,
        best_model=load_model(trial_dir(models_dir, best_number)),
        best_model_dir=trial_dir(models_dir, best_number),
        best_trial_number=best_number,
        best_params=dict(best.params),
        best_scores={name.removeprefix("val_"): best.user_attrs[name] for name in SCORE_ATTRS},
        n_complete=n_complete,
        n_pruned=n_pruned,
        n_failed=n_failed,
        plots=study_plots(study, plots_dir if plots_dir is not None else models_dir / "plots"),
        evaluation=objective.evaluation(),
    )
