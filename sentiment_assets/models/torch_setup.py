"""How a fine-tuning run prepares torch: which device, seeded RNGs, deterministic kernels, the
optimizer's parameter groups and, when asked, a frozen encoder."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch


def resolve_device(name: str) -> torch.device:
    """ "auto" -> cuda when available; asking for cuda without one is an error, not a fallback."""
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


@contextlib.contextmanager
def deterministic(enabled: bool) -> Iterator[None]:
    """Deterministic kernels while inside, when enabled: same seed -> same weights on CPU."""
    # Restored afterwards: it is a process-wide switch. (Not on CUDA, where it would need
    # CUBLAS_WORKSPACE_CONFIG and cost speed.)
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    if enabled:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)


def param_groups(model, weight_decay: float) -> list[dict]:
    """AdamW parameter groups of the trainable parameters: decayed, and not decayed."""
    # No decay for 1-D parameters: the biases and LayerNorm weights of run_glue's rule, found by
    # shape so that it also holds for models whose norm layers are named differently.
    params = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]


def freeze_encoder(model) -> None:
    """Stop gradients into the pretrained encoder, so that only the classification head learns."""
    # HF models keep the pretrained encoder under `base_model` and the task head beside it.
    if model.base_model is model:
        raise ValueError("freeze_encoder needs a model with a head separate from its base model")
    for parameter in model.base_model.parameters():
        parameter.requires_grad_(False)
