"""Fine-tuning a pretrained transformer for 3-class sentiment: the training loop, top to bottom.

Framework-free (no Dagster, no MLflow): it takes a Hugging Face sequence-classification model,
token-id lists and labels, and reports each epoch (and each validation pass) through callbacks.
Given a CheckpointStore it saves its state as it goes and, when the store already holds a
checkpoint, resumes from it and ends with the very weights an uninterrupted run would have.
Every optimizer step is recorded for the debugger rules and the profiler (`debugger.py`).
The loss weighs each class as `FineTuneConfig.class_weighting` says (balanced by default).
With `early_stopping_patience`, the run stops once validation macro-F1 stops improving and ends
with its best evaluation's weights (`early_stopping.py`).
With a CheckpointStore, a stop request (its STOP marker, or a stop signal, `stop_signal.py`) ends
the run after the current step, that step checkpointed: how a run is moved to another machine.
Each run into a store records its segment there when its loop ends (`segments.py`).
Started by torchrun in several processes, they share every batch (`distributed.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sentiment_assets.models.base import EpochCallback, EpochReport
from sentiment_assets.models.checkpoints import CheckpointStore
from sentiment_assets.models.debugger import profiler_summary
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.finetune_run import EvaluateCallback, FineTuneRun
from sentiment_assets.models.segments import Segment, append_segment
from sentiment_assets.models.stop_signal import MarkerPoll
from sentiment_assets.models.stop_signal import received as stop_signal_received
from sentiment_assets.models.torch_setup import deterministic

logger = logging.getLogger("sentiment_assets.finetune")


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
    # Why the loop ended: "completed" (every epoch), "max_seconds", "early_stopping" or
    # "stop_requested" (asked to stop, e.g. to be moved: the model is half-trained).
    stop_reason: str = "completed"
    early_stopping: dict | None = None  # EarlyStopping.summary(): the best evaluation, when on
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
    run = FineTuneRun.start(
        model,
        train_ids,
        train_labels,
        config,
        pad_id=pad_id,
        valid_ids=valid_ids,
        valid_labels=valid_labels,
        checkpoints=checkpoints,
        on_evaluate=on_evaluate,
    )
    progress = run.progress  # epoch, next batch and step: where the run stands (or resumes)
    segment_start = time.perf_counter()
    markers = MarkerPoll(run.checkpoints) if run.checkpoints is not None and run.world.is_main else None
    run.log_plan()
    batches, out_of_time, asked_to_stop = None, False, False
    with deterministic(run.device.type == "cpu"):
        while progress.epoch <= config.epochs and not out_of_time and not run.early_stopped and not asked_to_stop:
            if batches is None:  # a new epoch, or the one the checkpoint stopped in
                batches = run.start_epoch()
            run.train_on(batches[progress.next_batch])
            out_of_time = run.out_of_time()
            asked_to_stop = _stop_requested(run, markers)
            if progress.next_batch == len(batches):
                run.end_epoch(on_epoch_end)  # validates, reports and checkpoints, even out of time
                batches = None
                continue
            if run.validates and (out_of_time or _every(progress.step, config.eval_every_steps)):
                run.validate()
            if (
                out_of_time
                or run.early_stopped
                or asked_to_stop
                or _every(progress.step, config.checkpoint_every_steps)
            ):
                run.save_checkpoint()

    stopped_early = out_of_time and progress.epoch <= config.epochs
    if asked_to_stop and progress.epoch <= config.epochs:
        logger.info("stopping after step %d as asked: its checkpoint is in %s", progress.step, _where(run))
    if stopped_early:
        logger.info("stopping early after step %d: max_seconds=%g ran out", progress.step, config.max_seconds)
    if run.early_stopped and progress.epoch <= config.epochs:
        logger.info(
            "stopping early after step %d: val_macro_f1 has not improved for %d evaluations (early_stopping_patience)",
            progress.step,
            config.early_stopping_patience,
        )
    result = _result(run, stopped_early, asked_to_stop)
    _record_segment(run, result.stop_reason, time.perf_counter() - segment_start)
    return result


def _stop_requested(run: FineTuneRun, markers: MarkerPoll | None) -> bool:
    """Whether to stop after the step just done, agreed by all processes: asked by a stop signal
    (to any of them) or by the store's STOP marker (polled by rank 0). Only a run that checkpoints
    stops: without a store, stopping would throw the steps away as surely as dying."""
    if run.checkpoints is None:
        return False
    asked = stop_signal_received() or (markers is not None and markers.asked(run.progress.step))
    return run.world.any(asked)


def _record_segment(run: FineTuneRun, stop_reason: str, seconds: float) -> None:
    """This process's segment of the run, in the store (rank 0); a stop request it honoured is
    cleared, so that the run's next segment does not stop at once."""
    store = run.checkpoints
    if store is None or not run.world.is_main:
        return
    start = run.resumed_from_step or 0
    append_segment(store, Segment.here(str(run.device), run.world.size, start, run.progress.step, seconds, stop_reason))
    if stop_reason == "stop_requested":
        store.clear_stop()  # after the segment: a mover that sees the marker gone finds the segment


def _where(run: FineTuneRun) -> str:
    return run.checkpoints.describe() if run.checkpoints is not None else "no store"


def _result(run: FineTuneRun, stopped_early: bool, asked_to_stop: bool = False) -> FineTuneResult:
    """The trained model in eval mode (with early stopping, the best evaluation's weights, however
    the run ended), and what the run recorded, over all its resumes."""
    stopping = run.early_stopping
    if stopping is not None:
        stopping.restore_best(run.model)
    run.model.eval()
    progress = run.progress
    progress.elapsed_seconds = time.perf_counter() - run.clock_start
    record = run.recorder.to_dict()
    # Per process: the examples of its shards since it started (a resumed run counts from there).
    record["distributed"] = {"world_size": run.world.size, "samples_seen_per_rank": run.world.gather(run.samples_here)}
    stop_reason = "max_seconds" if stopped_early else "completed"
    if run.early_stopped and run.progress.epoch <= run.config.epochs:
        stop_reason = "early_stopping"
    if asked_to_stop and run.progress.epoch <= run.config.epochs:
        stop_reason = "stop_requested"
    record["stop_reason"] = stop_reason
    if stopping is not None:
        record["early_stopping"] = stopping.summary()
    return FineTuneResult(
        history=progress.history,
        train_seconds=progress.elapsed_seconds,
        train_samples_per_second=(progress.samples / progress.step_seconds if progress.step_seconds else 0.0),
        steps=progress.step,
        record=record,
        profile=profiler_summary(record),
        resumed_from_step=run.resumed_from_step,
        stopped_early=stopped_early,
        stop_reason=stop_reason,
        early_stopping=stopping.summary() if stopping is not None else None,
        class_weights={label: float(w) for label, w in enumerate(run.weights.per_class)},
    )


def _every(step: int, every: int) -> bool:
    return every > 0 and step % every == 0
