"""The moving parts of one fine-tuning run, set up once, and the few things `fine_tune`'s loop
asks of them: a step, a validation pass, a checkpoint, an epoch's end.

`FineTuneRun.start` does the set-up in the order a resumed run depends on (seed, model on its
device, loss weights, optimizer and schedule, then the checkpoint's state over all of them);
`fine_tune` (finetune.py) is the loop itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from sentiment_assets.models.base import EpochCallback, EpochReport
from sentiment_assets.models.batches import epoch_batches, forward, to_device, validation_scores
from sentiment_assets.models.checkpoints import CheckpointStore
from sentiment_assets.models.debugger import TrainingRecorder, group_grad_norms, memory_mb, trainable_layer_groups
from sentiment_assets.models.distributed import World, current_world
from sentiment_assets.models.early_stopping import EarlyStopping, run_data_fingerprint
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.finetune_setup import (
    LossWeights,
    Throughput,
    loss_weights,
    optimizer_and_schedule,
    resume_or_start,
)
from sentiment_assets.models.resume import TrainingProgress, checkpoint_payload, config_fingerprint
from sentiment_assets.models.rng_states import rng_state
from sentiment_assets.models.torch_setup import freeze_encoder, resolve_device, seed_everything

logger = logging.getLogger("sentiment_assets.finetune")

EvaluateCallback = Callable[[int, dict[str, float]], None]
"""Called after every validation pass with the optimizer step and the metrics: `train_loss`
(mean since the previous pass) and the `val_` scores."""


@dataclass
class FineTuneRun:
    """One run's model, data, optimizer, progress and record; every field is set by `start`."""

    model: torch.nn.Module
    trainer: torch.nn.Module  # what the steps call; DDP under torchrun, else `model` itself
    world: World
    device: torch.device
    config: FineTuneConfig
    pad_id: int
    train_ids: Sequence[Sequence[int]]
    labels: torch.Tensor
    lengths: np.ndarray
    weights: LossWeights
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    total_steps: int
    groups: dict
    progress: TrainingProgress
    recorder: TrainingRecorder
    prints: tuple[dict, str]  # the config's and the data's fingerprints, checked on resume
    checkpoints: CheckpointStore | None
    resumed_from_step: int | None
    valid_ids: Sequence[Sequence[int]] | None
    valid_labels: np.ndarray | None
    on_evaluate: EvaluateCallback | None
    clock_start: float  # carries on from the checkpoint's, so max_seconds budgets the whole run
    early_stopping: EarlyStopping | None  # None unless config.early_stopping_patience
    samples_here: int = 0  # examples this process stepped on (its shards), for the record
    throughput: Throughput = field(default_factory=Throughput)

    @classmethod
    def start(
        cls,
        model,
        train_ids: Sequence[Sequence[int]],
        train_labels: np.ndarray,
        config: FineTuneConfig,
        *,
        pad_id: int,
        valid_ids: Sequence[Sequence[int]] | None,
        valid_labels: np.ndarray | None,
        checkpoints: CheckpointStore | None,
        on_evaluate: EvaluateCallback | None,
    ) -> FineTuneRun:
        """Everything a run needs before its first step, from scratch or from the newest checkpoint
        in `checkpoints` (a ValueError when that checkpoint is of another config or other data)."""
        if len(train_ids) == 0 or len(train_ids) != len(train_labels):
            raise ValueError(
                f"need as many labels as examples (>= 1): got {len(train_ids)} examples and {len(train_labels)} labels"
            )
        world = current_world()
        device = world.device(resolve_device(config.device))
        seed_everything(config.seed)
        model.to(device)
        if config.freeze_encoder:
            freeze_encoder(model)
        labels = torch.as_tensor(np.asarray(train_labels), dtype=torch.long)
        weights = loss_weights(train_labels, labels, model.config.num_labels, config, device)
        optimizer, scheduler, total_steps = optimizer_and_schedule(model, config, len(train_ids))
        validates = valid_ids is not None and valid_labels is not None and len(valid_ids) > 0
        groups = trainable_layer_groups(model)
        stopping = EarlyStopping.for_run(config.early_stopping_patience, validates)
        data_print = run_data_fingerprint(train_ids, train_labels, valid_ids, valid_labels, stopping)
        prints = (config_fingerprint(config), data_print)
        progress, recorder, resumed_from_step = resume_or_start(
            world, checkpoints, model, optimizer, scheduler, prints, groups, stopping
        )
        return cls(
            model=model,
            trainer=world.wrap(model),
            world=world,
            device=device,
            config=config,
            pad_id=pad_id,
            train_ids=train_ids,
            labels=labels,
            lengths=np.array([len(s) for s in train_ids]),
            weights=weights,
            optimizer=optimizer,
            scheduler=scheduler,
            total_steps=total_steps,
            groups=groups,
            progress=progress,
            recorder=recorder,
            prints=prints,
            checkpoints=checkpoints,
            resumed_from_step=resumed_from_step,
            valid_ids=valid_ids if validates else None,
            valid_labels=valid_labels if validates else None,
            on_evaluate=on_evaluate,
            clock_start=time.perf_counter() - progress.elapsed_seconds,
            early_stopping=stopping,
        )

    @property
    def validates(self) -> bool:
        return self.valid_ids is not None

    def log_plan(self) -> None:
        logger.info(
            "fine-tuning on %d examples for %d epochs: %d steps on %s%s",
            len(self.train_ids),
            self.config.epochs,
            self.total_steps,
            self.device,
            f" x {self.world.size} processes" if self.world.distributed else "",
        )
        logger.info(
            "class weights (%s): %s",
            self.config.class_weighting,
            ", ".join(f"{label}: {w:.4g}" for label, w in enumerate(self.weights.per_class)),
        )
        self.throughput = Throughput()  # the first progress line's rate counts from here

    def start_epoch(self) -> list[np.ndarray]:
        """The batches of the epoch in progress (the same order on resume), dropout on."""
        batches = epoch_batches(self.lengths, self.config.batch_size, self.config.seed, self.progress.epoch)
        self.trainer.train()
        return batches

    def train_on(self, batch: np.ndarray) -> None:
        """One optimizer step on `batch`, counted, recorded and, when due, logged."""
        progress = self.progress
        # This process's rows (all of them in a world of one), their loss scaled by the weight
        # of the whole batch, so that the shards add up to the batch's weighted mean.
        shard = self.world.shard(batch, batch_weight=float(self.weights.per_example[batch].sum()))
        step = _train_step(self, [self.train_ids[i] for i in shard.rows], self.labels[shard.rows], shard.loss_weight)
        self.samples_here += shard.examples
        progress.step += 1
        progress.next_batch += 1
        progress.samples += len(batch)
        progress.epoch_samples += len(batch)
        progress.epoch_loss_sum += step["loss"] * len(batch)
        progress.step_seconds += step["step_seconds"]
        self.recorder.record_step(
            step=progress.step, epoch=progress.epoch, samples=len(batch), memory=memory_mb(self.device), **step
        )
        self.throughput.samples += len(batch)
        if progress.step % self.config.log_every_steps == 0 or progress.step == self.total_steps:
            self._log_step(step["loss"])

    @property
    def early_stopped(self) -> bool:
        """Whether validation macro-F1 has not improved for early_stopping_patience evaluations."""
        return self.early_stopping is not None and self.early_stopping.stopped

    def out_of_time(self) -> bool:
        """Whether max_seconds ran out, agreed by all processes: one that stopped alone would
        leave the others waiting."""
        return self.config.max_seconds is not None and self.world.any(
            time.perf_counter() - self.clock_start > self.config.max_seconds
        )

    def validate(self) -> dict[str, float]:
        if self.valid_ids is None or self.valid_labels is None:
            raise ValueError("this run has no validation data")
        logits = self.world.logits(
            self.model, self.valid_ids, self.pad_id, self.config.eval_batch_size, self.config.bf16
        )
        metrics = validation_scores(logits, self.valid_labels)
        self.trainer.train()  # evaluation switched dropout off
        entry = self.recorder.record_evaluation(step=self.progress.step, epoch=self.progress.epoch, metrics=metrics)
        if self.early_stopping is not None:
            self.early_stopping.observe(self.model, self.progress.step, self.progress.epoch, metrics)
        if self.on_evaluate is not None:
            self.on_evaluate(self.progress.step, {k: v for k, v in entry.items() if k not in ("step", "epoch")})
        return metrics

    def save_checkpoint(self) -> None:
        self.progress.elapsed_seconds = time.perf_counter() - self.clock_start
        if self.checkpoints is None:
            return
        rng_per_rank = self.world.gather(rng_state())  # a collective: every rank's, rank 0 writes
        if self.world.is_main:
            stopping = self.early_stopping.state_dict() if self.early_stopping is not None else None
            parts = (self.model, self.optimizer, self.scheduler, self.progress, self.recorder, *self.prints, stopping)
            self.checkpoints.save(self.progress.step, checkpoint_payload(*parts, rng_per_rank=rng_per_rank))

    def end_epoch(self, on_epoch_end: EpochCallback | None) -> None:
        """The epoch's report (validated when there is validation data), a checkpoint, then the
        callback, and the progress moved on to the next epoch."""
        progress = self.progress
        metrics = {
            "train_loss": progress.epoch_loss_sum / progress.epoch_samples,
            "learning_rate": self.scheduler.get_last_lr()[0],
        }
        if self.validates:
            metrics.update(self.validate())
        logger.info(
            "epoch %d/%d | %s",
            progress.epoch,
            self.config.epochs,
            " | ".join(f"{k} {v:.4g}" for k, v in metrics.items()),
        )
        report = EpochReport(epoch=progress.epoch, metrics=metrics)
        progress.history.append(report)
        progress.epoch, progress.next_batch = progress.epoch + 1, 0
        progress.epoch_loss_sum, progress.epoch_samples = 0.0, 0
        self.save_checkpoint()  # before the callback, which may raise (e.g. to prune a trial)
        if on_epoch_end is not None:
            on_epoch_end(report)

    def _log_step(self, loss: float) -> None:
        progress = self.progress
        rate = self.throughput.rate()
        # Remaining steps at the rate of the last stretch; validation passes not included.
        eta = (self.total_steps - progress.step) * self.config.batch_size / max(rate, 1e-9)
        logger.info(
            "step %d/%d | epoch %d | loss %.4f | lr %.2e | %.1f samples/s | ETA %dm %02ds",
            progress.step,
            self.total_steps,
            progress.epoch,
            loss,
            self.scheduler.get_last_lr()[0],
            rate,
            eta // 60,
            eta % 60,
        )
        self.throughput = Throughput()


def _train_step(run: FineTuneRun, seqs, labels: torch.Tensor, loss_weight: float) -> dict:
    """One optimizer step on one batch (this process's shard of it, under torchrun); what the
    recorder wants to know about it, `loss` being the whole batch's (class-weighted) mean."""
    model, config = run.trainer, run.config
    device = next(model.parameters()).device
    start = time.perf_counter()
    input_ids, attention_mask = to_device(seqs, run.pad_id, device)
    targets = labels.to(device)
    data_seconds = time.perf_counter() - start

    logits = forward(model, input_ids, attention_mask, config.bf16)
    loss = run.world.loss(logits, targets, loss_weight, run.weights.criterion)
    loss.backward()  # under DDP this also averages the gradients over the processes
    group_norms = group_grad_norms(run.groups)
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
    learning_rate = run.scheduler.get_last_lr()[0]  # the rate this step uses
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    batch_loss = run.world.average(loss.item())  # syncs, so step timing is honest on CUDA too
    return {
        "loss": batch_loss,
        "learning_rate": learning_rate,
        "grad_norm": grad_norm.item(),
        "group_grad_norms": group_norms,
        "data_seconds": data_seconds,
        "step_seconds": time.perf_counter() - start,
    }
