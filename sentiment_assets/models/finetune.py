"""Fine-tuning a pretrained transformer for 3-class sentiment: the training loop, top to bottom.

Framework-free (no Dagster, no MLflow): it takes a Hugging Face sequence-classification model,
token-id lists and labels, and reports each epoch (and each validation pass) through callbacks.
Given a CheckpointStore it saves its state as it goes and, when the store already holds a
checkpoint, resumes from it and ends with the very weights an uninterrupted run would have.
Every optimizer step is recorded for the debugger rules and the profiler (`debugger.py`).
The loss weighs each class as `FineTuneConfig.class_weighting` says (balanced by default).
Started by torchrun in several processes, they share every batch (`distributed.py`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import get_linear_schedule_with_warmup

from sentiment_assets.models.base import EpochCallback, EpochReport

# Re-exported: callers and tests import the batching helpers from here.
from sentiment_assets.models.batches import (  # noqa: F401
    BUCKET_BATCHES,
    batched_logits,
    epoch_batches,
    evaluate,
    fit_to_length,
    forward,
    length_bucketed_batches,
    pad_batch,
    to_device,
    validation_scores,
)
from sentiment_assets.models.checkpoints import CheckpointStore
from sentiment_assets.models.class_weights import class_weights
from sentiment_assets.models.debugger import (
    TrainingRecorder,
    group_grad_norms,
    memory_mb,
    profiler_summary,
    trainable_layer_groups,
)
from sentiment_assets.models.distributed import World, current_world

# Re-exported: callers import the run's settings from here.
from sentiment_assets.models.finetune_config import DEVICES, FineTuneConfig  # noqa: F401
from sentiment_assets.models.resume import (
    TrainingProgress,
    checkpoint_payload,
    config_fingerprint,
    data_fingerprint,
    restore_checkpoint,
)

# Re-exported: callers import resolve_device and seed_everything from here.
from sentiment_assets.models.torch_setup import (  # noqa: F401
    deterministic,
    freeze_encoder,
    param_groups,
    resolve_device,
    seed_everything,
)

logger = logging.getLogger("sentiment_assets.finetune")

EvaluateCallback = Callable[[int, dict[str, float]], None]
"""Called after every validation pass with the optimizer step and the metrics: `train_loss`
(mean since the previous pass) and the `val_` scores."""


@dataclass
class FineTuneResult:
    """What a run produced besides the trained weights (those stay in the model)."""

    history: list[EpochReport] = field(default_factory=list)
    train_seconds: float = 0.0  # time in the training loop, validation included, over all resumes
    train_samples_per_second: float = 0.0  # training examples per second of optimizer steps
    steps: int = 0
    record: dict = field(default_factory=dict)  # the debugger record (TrainingRecorder.to_dict())
    profile: dict = field(default_factory=dict)  # profiler_summary(record)
    resumed_from_step: int | None = None  # the checkpoint's step when the run was resumed
    stopped_early: bool = False  # max_seconds ran out before the last epoch ended
    class_weights: dict[int, float] = field(default_factory=dict)  # label -> its loss weight


def fine_tune(
    model,
    train_ids: Sequence[Sequence[int]],
    train_labels: np.ndarray,
    config: FineTuneConfig,
    *,
    pad_id: int,
    valid_ids: Sequence[Sequence[int]] | None = None,
    valid_labels: np.ndarray | None = None,
    on_epoch_end: EpochCallback | None = None,
    on_evaluate: EvaluateCallback | None = None,
    checkpoints: CheckpointStore | None = None,
) -> FineTuneResult:
    """Train `model` (a HF sequence-classification model) in place on token-id lists already cut
    to max_seq_length, with labels 0/1/2. Epochs are numbered from 1 in the reports.

    With `checkpoints`: resume from the newest checkpoint there, if any (a checkpoint of another
    config or other data is a ValueError), and save one every `checkpoint_every_steps` steps and
    at the end of every epoch.

    In a torchrun process group (`distributed.process_group`) each process trains on its shard
    of every batch and only rank 0 saves checkpoints; the steps are those of one process."""
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
    # From all the training labels, never a batch's: the same weights on every process and on
    # resume (the labels and class_weighting are in the checkpoint's fingerprints).
    weights = class_weights(train_labels, model.config.num_labels, config.class_weighting)
    example_weights = weights[labels.numpy()]  # each example's, to weigh whole batches by
    # None for "none": the unweighted cross-entropy, computed exactly as before weighting existed.
    weight_per_class = (
        None if config.class_weighting == "none" else torch.tensor(weights, dtype=torch.float32, device=device)
    )
    lengths = np.array([len(s) for s in train_ids])
    total_steps = math.ceil(len(train_ids) / config.batch_size) * config.epochs
    warmup_steps = math.ceil(config.warmup_ratio * total_steps)
    optimizer = torch.optim.AdamW(param_groups(model, config.weight_decay), lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)
    validate = valid_ids is not None and valid_labels is not None and len(valid_ids) > 0
    groups = trainable_layer_groups(model)

    # Fresh state, replaced by the checkpoint's when there is one.
    progress, recorder = TrainingProgress(), TrainingRecorder(list(groups))
    prints = (config_fingerprint(config), data_fingerprint(train_ids, train_labels))
    payload = world.latest_checkpoint(checkpoints) if checkpoints is not None else None
    resumed_from_step = None
    if payload is not None:
        progress, recorder = restore_checkpoint(
            payload, model, optimizer, scheduler, *prints, where=checkpoints.describe()
        )
        resumed_from_step = progress.step
        logger.info(
            "resuming from step %d (epoch %d, batch %d) out of %s",
            progress.step,
            progress.epoch,
            progress.next_batch,
            checkpoints.describe(),
        )
    trainer = world.wrap(model)  # what the steps call; DDP under torchrun, else `model` itself
    samples_here = 0  # examples this process stepped on (its shards), for the record
    # The clock carries on from the checkpoint's, so max_seconds is a budget for the whole run.
    clock_start = time.perf_counter() - progress.elapsed_seconds

    def save_checkpoint() -> None:
        progress.elapsed_seconds = time.perf_counter() - clock_start
        if checkpoints is not None and world.is_main:
            checkpoints.save(
                progress.step, checkpoint_payload(model, optimizer, scheduler, progress, recorder, *prints)
            )

    def validate_now() -> dict[str, float]:
        logits = world.logits(model, valid_ids, pad_id, config.eval_batch_size, config.bf16)
        metrics = validation_scores(logits, valid_labels)
        trainer.train()  # evaluation switched dropout off
        entry = recorder.record_evaluation(step=progress.step, epoch=progress.epoch, metrics=metrics)
        if on_evaluate is not None:
            on_evaluate(progress.step, {k: v for k, v in entry.items() if k not in ("step", "epoch")})
        return metrics

    logger.info(
        "fine-tuning on %d examples for %d epochs: %d steps on %s%s",
        len(train_ids),
        config.epochs,
        total_steps,
        device,
        f" x {world.size} processes" if world.distributed else "",
    )
    logger.info(
        "class weights (%s): %s",
        config.class_weighting,
        ", ".join(f"{label}: {w:.4g}" for label, w in enumerate(weights)),
    )
    out_of_time = stopped_early = False
    log_start, log_samples = time.perf_counter(), 0
    with deterministic(device.type == "cpu"):
        while progress.epoch <= config.epochs:
            batches = epoch_batches(lengths, config.batch_size, config.seed, progress.epoch)
            trainer.train()  # dropout on
            while progress.next_batch < len(batches):
                batch = batches[progress.next_batch]
                # This process's rows (all of them in a world of one), their loss scaled by the
                # weight of the whole batch, so that the shards add up to the batch's weighted mean.
                shard = world.shard(batch, batch_weight=float(example_weights[batch].sum()))
                step = _train_step(
                    trainer,
                    optimizer,
                    scheduler,
                    [train_ids[i] for i in shard.rows],
                    labels[shard.rows],
                    pad_id,
                    config,
                    groups,
                    world,
                    shard.loss_weight,
                    weight_per_class,
                )
                samples_here += shard.examples
                progress.step += 1
                progress.next_batch += 1
                progress.samples += len(batch)
                progress.epoch_samples += len(batch)
                progress.epoch_loss_sum += step["loss"] * len(batch)
                progress.step_seconds += step["step_seconds"]
                recorder.record_step(
                    step=progress.step, epoch=progress.epoch, samples=len(batch), memory=memory_mb(device), **step
                )
                log_samples += len(batch)
                if progress.step % config.log_every_steps == 0 or progress.step == total_steps:
                    rate = log_samples / max(time.perf_counter() - log_start, 1e-9)
                    # Remaining steps at the rate of the last stretch; validation passes not included.
                    eta = (total_steps - progress.step) * config.batch_size / max(rate, 1e-9)
                    logger.info(
                        "step %d/%d | epoch %d | loss %.4f | lr %.2e | %.1f samples/s | ETA %dm %02ds",
                        progress.step,
                        total_steps,
                        progress.epoch,
                        step["loss"],
                        scheduler.get_last_lr()[0],
                        rate,
                        eta // 60,
                        eta % 60,
                    )
                    log_start, log_samples = time.perf_counter(), 0

                # Agreed by all processes: one that stopped alone would leave the others waiting.
                out_of_time = config.max_seconds is not None and world.any(
                    time.perf_counter() - clock_start > config.max_seconds
                )
                if progress.next_batch == len(batches):
                    break  # the epoch's end validates and checkpoints, below
                if validate and (out_of_time or _every(progress.step, config.eval_every_steps)):
                    validate_now()
                if out_of_time or _every(progress.step, config.checkpoint_every_steps):
                    save_checkpoint()
                if out_of_time:
                    break

            if progress.next_batch == len(batches):
                metrics = {
                    "train_loss": progress.epoch_loss_sum / progress.epoch_samples,
                    "learning_rate": scheduler.get_last_lr()[0],
                }
                if validate:
                    metrics.update(validate_now())
                logger.info(
                    "epoch %d/%d | %s",
                    progress.epoch,
                    config.epochs,
                    " | ".join(f"{k} {v:.4g}" for k, v in metrics.items()),
                )
                report = EpochReport(epoch=progress.epoch, metrics=metrics)
                progress.history.append(report)
                progress.epoch, progress.next_batch = progress.epoch + 1, 0
                progress.epoch_loss_sum, progress.epoch_samples = 0.0, 0
                save_checkpoint()  # before the callback, which may raise (e.g. to prune a trial)
                if on_epoch_end is not None:
                    on_epoch_end(report)
            if out_of_time and progress.epoch <= config.epochs:
                stopped_early = True
                logger.info("stopping early after step %d: max_seconds=%g ran out", progress.step, config.max_seconds)
                break

    model.eval()
    progress.elapsed_seconds = time.perf_counter() - clock_start
    record = recorder.to_dict()
    # Per process: the examples of its shards since it started (a resumed run counts from there).
    record["distributed"] = {"world_size": world.size, "samples_seen_per_rank": world.gather(samples_here)}
    return FineTuneResult(
        history=progress.history,
        train_seconds=progress.elapsed_seconds,
        train_samples_per_second=(progress.samples / progress.step_seconds if progress.step_seconds else 0.0),
        steps=progress.step,
        record=record,
        profile=profiler_summary(record),
        resumed_from_step=resumed_from_step,
        stopped_early=stopped_early,
        class_weights={label: float(w) for label, w in enumerate(weights)},
    )


def _train_step(
    model,
    optimizer,
    scheduler,
    seqs,
    labels: torch.Tensor,
    pad_id: int,
    config: FineTuneConfig,
    groups: dict,
    world: World,
    loss_weight: float,
    weight_per_class: torch.Tensor | None,
) -> dict:
    """One optimizer step on one batch (this process's shard of it, under torchrun); what the
    recorder wants to know about it, `loss` being the whole batch's (class-weighted) mean."""
    device = next(model.parameters()).device
    start = time.perf_counter()
    input_ids, attention_mask = to_device(seqs, pad_id, device)
    targets = labels.to(device)
    data_seconds = time.perf_counter() - start

    logits = forward(model, input_ids, attention_mask, config.bf16)
    loss = world.loss(logits, targets, loss_weight, weight_per_class)
    loss.backward()  # under DDP this also averages the gradients over the processes
    group_norms = group_grad_norms(groups)
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
    learning_rate = scheduler.get_last_lr()[0]  # the rate this step uses
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    batch_loss = world.average(loss.item())  # syncs, so step timing is honest on CUDA too
    return {
        "loss": batch_loss,
        "learning_rate": learning_rate,
        "grad_norm": grad_norm.item(),
        "group_grad_norms": group_norms,
        "data_seconds": data_seconds,
        "step_seconds": time.perf_counter() - start,
    }


def _every(step: int, every: int) -> bool:
    return every > 0 and step % every == 0
