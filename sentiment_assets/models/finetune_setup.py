"""What a fine-tuning run sets up before its first step: the loss weights, the optimizer and its
schedule, and the state of the newest checkpoint when there is one (`FineTuneRun.start` calls
them in the order a bit-identical resume depends on)."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import get_linear_schedule_with_warmup

from sentiment_assets.models.checkpoints import CheckpointStore
from sentiment_assets.models.class_weights import class_weights
from sentiment_assets.models.debugger import TrainingRecorder
from sentiment_assets.models.distributed import World
from sentiment_assets.models.early_stopping import EarlyStopping
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.resume import TrainingProgress, restore_checkpoint
from sentiment_assets.models.torch_setup import param_groups

logger = logging.getLogger("sentiment_assets.finetune")


@dataclass
class LossWeights:
    """Each class's weight in the loss, from all the training labels, never a batch's: the same
    weights on every process and on resume (the labels and class_weighting are in the
    checkpoint's fingerprints)."""

    per_class: np.ndarray  # label -> its weight
    per_example: np.ndarray  # each training example's, to weigh whole batches by
    # None for "none": the unweighted cross-entropy, computed exactly as before weighting existed.
    criterion: torch.Tensor | None


def loss_weights(train_labels: np.ndarray, labels: torch.Tensor, num_labels: int, config: FineTuneConfig, device):
    weights = class_weights(train_labels, num_labels, config.class_weighting)
    criterion = None if config.class_weighting == "none" else torch.tensor(weights, dtype=torch.float32, device=device)
    return LossWeights(per_class=weights, per_example=weights[labels.numpy()], criterion=criterion)


def optimizer_and_schedule(model, config: FineTuneConfig, examples: int):
    """AdamW and the linear schedule with warm-up, over every step of every epoch; with
    layer-wise decay, the schedule scales each layer's group from its own rate."""
    total_steps = math.ceil(examples / config.batch_size) * config.epochs
    warmup_steps = math.ceil(config.warmup_ratio * total_steps)
    groups = param_groups(model, config.weight_decay, config.learning_rate, config.layerwise_lr_decay)
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps), total_steps


@dataclass
class Throughput:
    """Training examples per second since the previous progress line."""

    start: float = field(default_factory=time.perf_counter)
    samples: int = 0

    def rate(self) -> float:
        return self.samples / max(time.perf_counter() - self.start, 1e-9)


def resume_or_start(
    world: World,
    checkpoints: CheckpointStore | None,
    model,
    optimizer,
    scheduler,
    prints,
    groups: dict,
    early_stopping: EarlyStopping | None = None,
):
    """The progress and record of the newest checkpoint and its step, its weights, optimizer,
    schedule, RNGs (and early stopping state) loaded; a fresh progress and record (and None)
    when there is none."""
    payload = world.latest_checkpoint(checkpoints) if checkpoints is not None else None
    if checkpoints is None or payload is None:
        return TrainingProgress(), TrainingRecorder(list(groups)), None
    where = checkpoints.describe()
    config_print, data_print = prints
    # Any world size resumes any other's checkpoint: the progress counts global batches.
    progress, recorder = restore_checkpoint(
        payload, model, optimizer, scheduler, config_print, data_print, where, early_stopping, world.rank, world.size
    )
    logger.info(
        "resuming from step %d (epoch %d, batch %d) out of %s%s",
        progress.step,
        progress.epoch,
        progress.next_batch,
        checkpoints.describe(),
        f" on {world.size} processes" if world.distributed else "",
    )
    return progress, recorder, progress.step
