"""Trials in several processes sharing one study through its database.

Each worker loads the study from the storage URL and runs its share of the trials; the
storage hands every worker the next trial (enqueued ones first), so nothing else needs to be
coordinated. Workers are spawned, not forked: a fork would copy the parent's open database
connections and any torch thread pools into the child.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import mlflow
import optuna

from sentiment_assets.models.tuning.config import TuningConfig, make_pruner, make_sampler, open_storage
from sentiment_assets.models.tuning.objective import Objective, run_trials


def shares(n_trials: int, n_workers: int) -> list[int]:
    """Trials per worker, as even as possible: 7 over 3 workers -> [3, 2, 2]."""
    return [n_trials // n_workers + (worker < n_trials % n_workers) for worker in range(n_workers)]


def run_worker(
    objective: Objective,
    storage_url: str,
    study_name: str,
    config: TuningConfig,
    max_steps: int,
    worker: int,
    n_trials: int,
) -> None:
    """One worker process: load the shared study and optimise `n_trials` trials of it."""
    mlflow.set_tracking_uri(objective.mlflow_parent.tracking_uri)
    study = optuna.load_study(
        study_name=study_name,
        storage=open_storage(storage_url, config),
        sampler=make_sampler(config, worker),
        pruner=make_pruner(config, max_steps),
    )
    run_trials(study, objective, n_trials)


def run_workers(
    objective: Objective,
    storage_url: str,
    study_name: str,
    config: TuningConfig,
    max_steps: int,
    n_trials: int | None = None,
) -> None:
    """Run `n_trials` (default `config.n_trials`) trials in `config.n_workers` processes; returns
    when all are done and re-raises the first worker error. The study must already exist in the
    storage and hold no enqueued (WAITING) trial: on SQLite two workers can claim the same one
    (no row locks), and the second then fails with "Cannot tell a COMPLETE trial"."""
    context = multiprocessing.get_context("spawn")
    n_trials = config.n_trials if n_trials is None else n_trials
    with ProcessPoolExecutor(max_workers=config.n_workers, mp_context=context) as pool:
        futures = [
            pool.submit(run_worker, objective, storage_url, study_name, config, max_steps, worker, share)
            for worker, share in enumerate(shares(n_trials, config.n_workers))
            if share
        ]
        for future in futures:
            future.result()
