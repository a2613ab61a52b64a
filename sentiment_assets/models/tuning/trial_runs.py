"""Each trial as an MLflow run nested under the caller's run, from any process.

A worker process has no active run to nest under, so it gets the parent's coordinates
(tracking URI, experiment id, run id) and names the parent explicitly: mlflow.start_run's
`parent_run_id` (the parent must still be RUNNING, which it is while tune() runs inside it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import mlflow
import optuna

STATE_TAG = "optuna.trial_state"


@dataclass(frozen=True)
class MlflowParent:
    """Where trial runs are nested: enough to reach the caller's run from another process."""

    tracking_uri: str
    experiment_id: str
    run_id: str

    @classmethod
    def active(cls) -> MlflowParent:
        run = mlflow.active_run()
        if run is None:
            raise RuntimeError("tune() must run inside an active MLflow run: each trial is logged as a child run of it")
        return cls(mlflow.get_tracking_uri(), run.info.experiment_id, run.info.run_id)


@contextlib.contextmanager
def trial_run(parent: MlflowParent, run_name: str, tags: dict[str, str]) -> Iterator[mlflow.ActiveRun]:
    """A child run of `parent` for one trial. It ends FINISHED when the trial completes, KILLED
    when the pruner stopped it (an early stop, not a crash) and FAILED on an error; the Optuna
    state (COMPLETE, PRUNED, FAIL) is its `optuna.trial_state` tag."""
    run = mlflow.start_run(
        run_name=run_name, experiment_id=parent.experiment_id, parent_run_id=parent.run_id, nested=True, tags=tags
    )
    try:
        yield run
    except optuna.TrialPruned:
        _end(optuna.trial.TrialState.PRUNED, "KILLED")
        raise
    except BaseException:
        _end(optuna.trial.TrialState.FAIL, "FAILED")
        raise
    _end(optuna.trial.TrialState.COMPLETE, "FINISHED")


def _end(state: optuna.trial.TrialState, status: str) -> None:
    mlflow.set_tag(STATE_TAG, state.name)
    mlflow.end_run(status)
