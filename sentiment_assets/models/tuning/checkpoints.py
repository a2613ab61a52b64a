"""Trial models on disk. A trial may run in another process, so its model cannot come back in
memory: every complete trial saves its model under `models_dir/trial-{number}`, and the models
of finished trials other than the best one are deleted as trials end.

One `models_dir` per study: trial numbers restart at 0 in every study.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

PREFIX = "trial-"


def trial_dir(models_dir: Path, number: int) -> Path:
    return Path(models_dir) / f"{PREFIX}{number}"


def _saved_models(models_dir: Path) -> dict[int, Path]:
    saved = {}
    for path in Path(models_dir).glob(f"{PREFIX}*"):
        suffix = path.name.removeprefix(PREFIX)
        if path.is_dir() and suffix.isdigit():
            saved[int(suffix)] = path
    return saved


def keep_only_best(study: optuna.Study, models_dir: Path, *, running_too: bool = False) -> int | None:
    """Delete saved models except the best complete trial's; return that trial's number (None
    when no complete trial has a model). Models of still-running trials are kept, since another
    worker may be writing one, unless `running_too` (once every worker has stopped)."""
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    saved = {n: path for n, path in _saved_models(models_dir).items() if n in trials}
    complete = [n for n in saved if trials[n].state == TrialState.COMPLETE]
    # Highest value; on a tie the earlier trial, as Study.best_trial does.
    best = max(complete, key=lambda n: (trials[n].value, -n), default=None)
    for number, path in saved.items():
        if number != best and (running_too or trials[number].state.is_finished()):
            # Another worker may be deleting the same directory at the same moment.
            shutil.rmtree(path, ignore_errors=True)
    return best


def keep_only_best_callback(models_dir: Path) -> Callable[[optuna.Study, FrozenTrial], None]:
    """A Study.optimize callback: tidy the models directory after every trial."""

    def callback(study: optuna.Study, _trial: FrozenTrial) -> None:
        keep_only_best(study, models_dir)

    return callback
