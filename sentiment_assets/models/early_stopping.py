"""Early stopping on validation macro-F1 (`FineTuneConfig.early_stopping_patience`): after every
evaluation, keep the best one's weights (a CPU copy of the state dict) and count the evaluations
since it; once `patience` of them in a row have not improved on it, the run stops, and it ends
with the best weights whatever stopped it.

The whole state, best weights included, travels in every checkpoint (`state_dict`), so that a
resumed run stops at the same evaluation and ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from sentiment_assets.models.resume import data_fingerprint

logger = logging.getLogger("sentiment_assets.finetune")

METRIC = "val_macro_f1"
"""The validation score early stopping watches (higher is better)."""


@dataclass
class EarlyStopping:
    """The best evaluation so far, its weights, and how many evaluations have not improved on it."""

    patience: int
    evaluations: int = 0  # validation passes seen, over all resumes
    best_score: float = -math.inf
    best_evaluation: int = 0  # which pass was best, from 1 (0: none yet)
    best_step: int = 0
    best_epoch: int = 0
    since_best: int = 0  # passes since the best one, none of them better
    stopped: bool = False  # patience ran out
    best_weights: dict[str, torch.Tensor] | None = field(default=None, repr=False)

    @classmethod
    def for_run(cls, patience: int, validates: bool) -> EarlyStopping | None:
        """The run's early stopping: None when off; a ValueError when on without validation data."""
        if patience == 0:
            return None
        if not validates:
            raise ValueError("early_stopping_patience > 0 needs validation data to evaluate on")
        return cls(patience)

    def observe(self, model: torch.nn.Module, step: int, epoch: int, metrics: dict[str, float]) -> None:
        """Judge the evaluation just done on `model`'s current weights (a tie is no improvement)."""
        self.evaluations += 1
        score = float(metrics[METRIC])
        if score > self.best_score:
            self.best_score, self.best_evaluation, self.best_step, self.best_epoch = (
                score,
                self.evaluations,
                step,
                epoch,
            )
            self.since_best = 0
            self.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            self.since_best += 1
            self.stopped = self.since_best >= self.patience
        logger.info(
            "early stopping: evaluation %d (step %d) %s %.4f; best %.4f at evaluation %d (step %d); "
            "%d/%d without improvement",
            self.evaluations,
            step,
            METRIC,
            score,
            self.best_score,
            self.best_evaluation,
            self.best_step,
            self.since_best,
            self.patience,
        )

    def restore_best(self, model: torch.nn.Module) -> None:
        """Load the best evaluation's weights into `model` (nothing to do before the first one)."""
        if self.best_weights is None:
            return
        model.load_state_dict(self.best_weights)
        logger.info(
            "ending with the weights of evaluation %d (step %d, epoch %d): %s %.4f",
            self.best_evaluation,
            self.best_step,
            self.best_epoch,
            METRIC,
            self.best_score,
        )

    def summary(self) -> dict:
        """What the run's record and result say about it (plain JSON)."""
        return {
            "metric": METRIC,
            "patience": self.patience,
            "evaluations": self.evaluations,
            "best_evaluation": self.best_evaluation,
            "best_step": self.best_step,
            "best_epoch": self.best_epoch,
            "best_score": self.best_score if self.best_evaluation else None,
            "evaluations_since_best": self.since_best,
            "stopped": self.stopped,
        }

    def state_dict(self) -> dict:
        """Everything a resumed run needs: tensors and plain values only (weights_only loading)."""
        return {**self.summary(), "best_score": self.best_score, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        if state["patience"] != self.patience:  # the config fingerprint has refused this already
            raise ValueError(f"the checkpoint's early stopping has patience {state['patience']}, not {self.patience}")
        self.evaluations, self.best_score = state["evaluations"], state["best_score"]
        self.best_evaluation, self.best_step, self.best_epoch = (
            state["best_evaluation"],
            state["best_step"],
            state["best_epoch"],
        )
        self.since_best, self.stopped, self.best_weights = (
            state["evaluations_since_best"],
            state["stopped"],
            state["best_weights"],
        )


def run_data_fingerprint(train_ids, train_labels, valid_ids, valid_labels, stopping: EarlyStopping | None) -> str:
    """The training data's fingerprint; with early stopping, the validation data's joined to it,
    as it decides where the run stops and which weights it ends with."""
    train = data_fingerprint(train_ids, train_labels)
    if stopping is None:
        return train
    return f"{train}+valid:{data_fingerprint(valid_ids, np.asarray(valid_labels))}"
