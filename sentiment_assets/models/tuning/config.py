"""How a tuning run searches: trial budget, pruner, fidelities, warm start, parallel workers, and
the Optuna objects (storage, sampler, pruner) those settings make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import optuna

PRUNERS = ("median", "hyperband", "none")


@dataclass(frozen=True)
class TuningConfig:
    """Settings of one tuning run (the search space is separate: `SearchSpace`).

    warm_start_from: the name of an earlier study in the same storage whose best `warm_start_top_k`
    complete trials are tried first. Use it when the data changes (a new data version): start a
    new study, since scores on different data are not comparable inside one study, and warm-start
    it from the last one, whose best settings are the likeliest to stay good.

    n_workers > 1 runs trials in that many processes sharing the study's storage. SQLite (the
    local storage) serialises writers, which wait up to `sqlite_timeout_seconds` for the lock;
    on a cluster use a server database instead, e.g. "postgresql+psycopg2://user:pw@host/optuna"
    or "mysql+pymysql://user:pw@host/optuna", with workers on several machines.
    """

    n_trials: int = 8
    seed: int = 42
    # Pruning acts on intermediate validation macro-F1 (per epoch, or per training fraction).
    pruner: Literal["median", "hyperband", "none"] = "median"
    pruner_startup_trials: int = 3  # median: complete trials needed before anything is pruned
    pruner_warmup_steps: int = 0  # median: steps of every trial that are never pruned
    # Single-pass families refit on these growing shares of the training set; the last must be 1.
    train_fractions: tuple[float, ...] = (0.25, 0.5, 1.0)
    warm_start_from: str | None = None
    warm_start_top_k: int = 3
    n_workers: int = 1
    sqlite_timeout_seconds: float = 60.0
    # > 1: single-pass families are judged by this many folds of stratified cross-validation
    # over train + validation instead of on the validation split (small data); 0: the split.
    cv_folds: int = 0

    def __post_init__(self) -> None:
        fractions = self.train_fractions
        rules = [
            (self.n_trials >= 1, "n_trials", ">= 1"),
            (self.pruner in PRUNERS, "pruner", f"one of {PRUNERS}"),
            (self.pruner_startup_trials >= 0, "pruner_startup_trials", ">= 0"),
            (self.pruner_warmup_steps >= 0, "pruner_warmup_steps", ">= 0"),
            (
                bool(fractions)
                and fractions[-1] == 1.0
                and all(0 < a < b for a, b in zip(fractions, fractions[1:], strict=False))
                and fractions[0] > 0,
                "train_fractions",
                "increasing, in (0, 1], ending with 1.0",
            ),
            (self.warm_start_top_k >= 1, "warm_start_top_k", ">= 1"),
            (1 <= self.n_workers <= self.n_trials, "n_workers", "in 1..n_trials"),
            (self.sqlite_timeout_seconds > 0, "sqlite_timeout_seconds", "> 0"),
            (self.cv_folds == 0 or self.cv_folds >= 2, "cv_folds", "0 (validation split) or >= 2"),
        ]
        for ok, name, rule in rules:
            if not ok:
                raise ValueError(f"TuningConfig.{name} must be {rule}, got {getattr(self, name)!r}")


def make_pruner(config: TuningConfig, max_steps: int) -> optuna.pruners.BasePruner:
    """The configured pruner; `max_steps` is how many intermediate reports a full trial makes."""
    if config.pruner == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=config.pruner_startup_trials, n_warmup_steps=config.pruner_warmup_steps
        )
    if config.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_steps)
    return optuna.pruners.NopPruner()


def make_sampler(config: TuningConfig, worker: int = 0) -> optuna.samplers.TPESampler:
    """TPE, seeded per worker: workers with one seed would draw the same values. With several
    workers the constant liar treats running trials as poor, so they do not all pick one spot."""
    return optuna.samplers.TPESampler(seed=config.seed + worker, constant_liar=config.n_workers > 1)


def open_storage(url: str, config: TuningConfig) -> optuna.storages.RDBStorage:
    """The study's database. For SQLite, a writer waits for the file lock instead of failing."""
    engine_kwargs = {"connect_args": {"timeout": config.sqlite_timeout_seconds}} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
