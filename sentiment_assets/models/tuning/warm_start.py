"""The first trials of a fresh study: what an earlier study found best (warm start), then the
untuned baseline config.

Warm start is for a new data version: scores on different data do not belong in one study, so
the new data gets a new study, which first re-tries the last study's best settings instead of
starting from nothing. The previous study's best come before the baseline because they already
beat it on the previous data.
"""

from __future__ import annotations

import optuna
from optuna.distributions import BaseDistribution
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from sentiment_assets.models.tuning.registry import fitted_params


def _value(trial: FrozenTrial) -> float:
    """A complete trial's objective value (a complete trial of a single-objective study has one)."""
    if trial.value is None:
        raise ValueError(f"complete trial {trial.number} has no objective value")
    return trial.value


def best_params_of(
    storage: optuna.storages.BaseStorage, study_name: str, distributions: dict[str, BaseDistribution], top_k: int
) -> list[tuple[int, dict[str, object]]]:
    """(trial number, params) of the study's `top_k` best complete trials, best first, with the
    params made valid for `distributions` (names outside them dropped, numbers clipped)."""
    if study_name not in optuna.get_all_study_names(storage):
        raise ValueError(f"cannot warm-start from study {study_name!r}: it is not in this storage")
    previous = optuna.load_study(study_name=study_name, storage=storage)
    complete = previous.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best_first = sorted(complete, key=_value, reverse=previous.direction == StudyDirection.MAXIMIZE)
    chosen = [(t.number, fitted_params(t.params, distributions)) for t in best_first[:top_k]]
    return [(number, params) for number, params in chosen if params]


def enqueue_first_trials(
    study: optuna.Study,
    storage: optuna.storages.BaseStorage,
    baseline: dict[str, object],
    distributions: dict[str, BaseDistribution],
    warm_start_from: str | None = None,
    top_k: int = 3,
) -> None:
    """Enqueue the warm-start trials (if any), then the baseline, on a study with no trials yet
    (a resumed study keeps its own course). Repeated parameter sets are enqueued once."""
    if study.trials:
        return
    if warm_start_from is not None:
        if warm_start_from == study.study_name:
            raise ValueError("a study cannot warm-start from itself")
        for number, params in best_params_of(storage, warm_start_from, distributions, top_k):
            study.enqueue_trial(
                params, user_attrs={"warm_start_from": warm_start_from, "warm_start_trial": number}, skip_if_exists=True
            )
    study.enqueue_trial(baseline, user_attrs={"baseline": True}, skip_if_exists=True)
