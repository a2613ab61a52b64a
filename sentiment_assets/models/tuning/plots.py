"""Pictures of a study: how the best score moved trial by trial, each trial's intermediate
scores (where the pruner stopped trials), and which hyper-parameters mattered."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

# Tuning runs in headless workers (Dagster runs, spawned processes): never open a window.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import optuna  # noqa: E402
from optuna.trial import TrialState  # noqa: E402
from optuna.visualization import matplotlib as optuna_plots  # noqa: E402


@dataclass(frozen=True)
class StudyPlots:
    """PNG files by plot name, and for each plot not drawn, why."""

    paths: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _history_unavailable(study: optuna.Study) -> str | None:
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return "no complete trial"
    return None


def _intermediate_unavailable(study: optuna.Study) -> str | None:
    if not any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        return "no trial reported intermediate values"
    return None


def importance_unavailable(study: optuna.Study) -> str | None:
    """Why hyper-parameter importances cannot be computed, or None when they can. Importances
    compare complete trials, so they need two of them and a parameter that differs between them."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2:
        return f"importances need at least 2 complete trials; the study has {len(complete)}"
    names = {name for t in complete for name in t.params}
    if not any(len({repr(t.params.get(name)) for t in complete}) > 1 for name in names):
        return "no hyper-parameter took more than one value among the complete trials"
    return None


PLOTS: dict[str, tuple[Callable, Callable[[optuna.Study], str | None]]] = {
    "optimization_history": (optuna_plots.plot_optimization_history, _history_unavailable),
    "intermediate_values": (optuna_plots.plot_intermediate_values, _intermediate_unavailable),
    "param_importances": (optuna_plots.plot_param_importances, importance_unavailable),
}


def study_plots(study: optuna.Study, directory: Path) -> StudyPlots:
    """Draw every plot the study allows as `directory/<name>.png`; the others are listed in
    `skipped` with the reason, so that a short study still yields what it can."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    result = StudyPlots()
    for name, (draw, unavailable) in PLOTS.items():
        reason = unavailable(study)
        if reason is None:
            try:
                with warnings.catch_warnings():
                    # Optuna marks its matplotlib plots experimental; the warning is noise here.
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    figure = draw(study).figure
            except (ValueError, RuntimeError) as error:  # e.g. an importance evaluator giving up
                reason = f"{type(error).__name__}: {error}"
        if reason is not None:
            result.skipped[name] = reason
            continue
        path = directory / f"{name}.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        result.paths[name] = path
    return result
