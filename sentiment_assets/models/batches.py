"""From token-id lists to padded batches and logits: what training, validation and prediction share.

Batches are padded only to their own longest example, and examples of similar length are batched
together, because on a CPU the cost of a step grows with the padded length, not with the real one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from sentiment_assets.models.metrics import classification_scores

# Batches per length-sorting window: long enough to pad little, short enough to stay random.
BUCKET_BATCHES = 50
# Spreads (seed, epoch) pairs apart so that no two of them seed the same batch order.
EPOCH_SEED_STRIDE = 1_000_003


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


def length_bucketed_batches(lengths: np.ndarray, batch_size: int, generator: torch.Generator) -> list[np.ndarray]:
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


def epoch_batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The batches of one epoch, a pure function of (seed, epoch): a resumed run regenerates the
    epoch it was interrupted in and skips the batches already done."""
    generator = torch.Generator().manual_seed(seed * EPOCH_SEED_STRIDE + epoch)
    return length_bucketed_batches(lengths, batch_size, generator)


def to_device(seqs: Sequence[Sequence[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """A padded batch (input_ids, attention_mask) on `device`: the data side of a step."""
    input_ids, attention_mask = pad_batch(seqs, pad_id)
    return input_ids.to(device), attention_mask.to(device)


def forward(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, bf16: bool) -> torch.Tensor:
    """float32 logits (batch, num_labels) of a batch already on the model's device."""
    device = input_ids.device
    # bfloat16 only on CUDA: CPU autocast is slower than fp32 on most CPUs, and not reproducible.
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16 and device.type == "cuda"):
        out = model(input_ids=input_ids, attention_mask=attention_mask)
    return out.logits.float()


@torch.inference_mode()
def batched_logits(model, seqs: Sequence[Sequence[int]], pad_id: int, batch_size: int, bf16: bool = True) -> np.ndarray:
    """Logits (n, num_labels) as float32, in the order of `seqs`, computed longest-first in
    length-sorted batches so that each batch pads little (and memory runs out early, if at all)."""
    model.eval()
    device = next(model.parameters()).device
    order = np.argsort([-len(s) for s in seqs], kind="stable")
    out = np.zeros((len(seqs), model.config.num_labels), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = to_device([seqs[i] for i in rows], pad_id, device)
        out[rows] = forward(model, *batch, bf16).cpu().numpy()
    return out


def evaluate(
    model,
    seqs: Sequence[Sequence[int]],
    labels: np.ndarray,
    pad_id: int,
    batch_size: int,
    bf16: bool = True,
) -> dict[str, float]:
    """Validation loss (mean cross-entropy) and the project's classification scores (accuracy,
    macro-F1, balanced accuracy), all prefixed `val_`."""
    return validation_scores(batched_logits(model, seqs, pad_id, batch_size, bf16), labels)


def validation_scores(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """`evaluate`'s scores from logits (n, num_labels) already computed, e.g. by several processes."""
    as_tensor = torch.from_numpy(logits)
    labels = np.asarray(labels, dtype=np.int64)
    scores = classification_scores(labels, as_tensor.argmax(dim=1).numpy())
    loss = F.cross_entropy(as_tensor, torch.from_numpy(labels)).item()
    return {"val_loss": loss} | {f"val_{name}": value for name, value in scores.items()}
