"""How a fine-tuning run prepares torch: which device, seeded RNGs, deterministic kernels, the
optimizer's parameter groups and, when asked, a frozen encoder."""

from __future__ import annotations

import contextlib
import random
import re
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


def param_groups(model, weight_decay: float, learning_rate: float | None = None, layerwise_lr_decay: float = 1.0):
    """AdamW parameter groups of the trainable parameters: decayed, and not decayed.

    With `layerwise_lr_decay` < 1, one such pair per depth, each with its own "lr" and a "layer"
    name, the top first: the head (and pooler, everything outside the encoder) at
    `learning_rate`, encoder layer i of L at learning_rate * decay ** (L - i), the embeddings at
    learning_rate * decay ** (L + 1). The schedule scales every group's rate alike."""
    # No decay for 1-D parameters: the biases and LayerNorm weights of run_glue's rule, found by
    # shape so that it also holds for models whose norm layers are named differently.
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if layerwise_lr_decay == 1.0:
        params = [p for _, p in named]
        return [
            {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
        ]
    if learning_rate is None:
        raise ValueError("layer-wise learning-rate decay needs the learning_rate of the top layer")
    layers = encoder_layers(model)
    depth = {}  # parameter name -> how many steps of decay below the head
    for name, _ in named:
        match = _ENCODER_LAYER.search(name)
        depth[name] = layers - int(match.group(1)) if match else layers + 1 if "embeddings" in name else 0
    groups = []
    for level in sorted(set(depth.values())):
        at_level = [(n, p) for n, p in named if depth[n] == level]
        label = "head" if level == 0 else "embeddings" if level == layers + 1 else f"layer.{layers - level}"
        for decayed, rate in ((True, weight_decay), (False, 0.0)):
            params = [p for _, p in at_level if (p.ndim >= 2) == decayed]
            if params:
                lr = learning_rate * layerwise_lr_decay**level
                groups.append({"params": params, "weight_decay": rate, "lr": lr, "layer": label})
    return groups


# BERT-like encoders name their blocks "<...>.layer.<i>." (BERT, RoBERTa, MiniLM, DistilBERT's
# "transformer.layer.<i>") or "<...>.layers.<i>." (e.g. ModernBERT).
_ENCODER_LAYER = re.compile(r"(?:^|\.)layers?\.(\d+)\.")


def encoder_layers(model) -> int:
    """How many numbered encoder layers the model has (all parameters, trainable or not); a
    ValueError when its parameter names show none, so layer-wise decay cannot be applied."""
    found = {int(m.group(1)) for n, _ in model.named_parameters() if (m := _ENCODER_LAYER.search(n))}
    if not found:
        raise ValueError(
            f"layerwise_lr_decay < 1 needs a model whose encoder layers are named '<...>.layer.<i>.' "
            f"(BERT-style); {type(model).__name__} has no such parameters. Use layerwise_lr_decay=1.0."
        )
    if found != set(range(len(found))):
        raise ValueError(f"the encoder layers of {type(model).__name__} are not numbered 0..L-1: {sorted(found)}")
    return len(found)


def freeze_encoder(model) -> None:
    """Stop gradients into the pretrained encoder, so that only the classification head learns."""
    # HF models keep the pretrained encoder under `base_model` and the task head beside it.
    if model.base_model is model:
        raise ValueError("freeze_encoder needs a model with a head separate from its base model")
    for parameter in model.base_model.parameters():
        parameter.requires_grad_(False)
