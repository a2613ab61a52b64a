"""What a checkpoint holds, so that a resumed run ends with exactly the weights of an
uninterrupted one: weights, optimizer and scheduler state, every RNG, where in the epoch the run
stood, and fingerprints of the config and data that refuse a resume into a different run. With
early stopping on, also its state: the best score so far, the evaluations since, the best weights.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from sentiment_assets.models.base import EpochReport
from sentiment_assets.models.debugger import TrainingRecorder
from sentiment_assets.models.rng_states import restore_rng, rng_for_rank, rng_state
from sentiment_assets.models.safe_loading import RefusedUnsafeFile

# 2: every value a tensor or a plain Python value, so checkpoints load with weights_only=True
# (format 1 held the numpy RNG state as an array and needed the full unpickler).
FORMAT_VERSION = 2
# Config fields that change how a run is carried out or reported, never the weights it ends
# with: a run may be resumed with other values (e.g. on a GPU, or with a larger time budget).
NOT_FINGERPRINTED = frozenset(
    {"device", "eval_batch_size", "log_every_steps", "checkpoint_every_steps", "max_seconds", "eval_every_steps"}
)
# Fields added after the others, with the value that turns them off: they enter the fingerprint
# only when on, so that a run without them keeps its fingerprint (its run key and checkpoints).
OPTIONAL_FIELDS = {"layerwise_lr_decay": 1.0, "early_stopping_patience": 0}


@dataclass
class TrainingProgress:
    """Where a run stands: the loop's own state, saved in every checkpoint."""

    epoch: int = 1  # the epoch in progress, from 1
    next_batch: int = 0  # index of the next batch of that epoch
    step: int = 0  # optimizer steps done
    epoch_loss_sum: float = 0.0  # sum of batch loss x batch size in the epoch so far
    epoch_samples: int = 0
    samples: int = 0  # training examples stepped on, over all epochs
    step_seconds: float = 0.0  # time spent in optimizer steps
    elapsed_seconds: float = 0.0  # time spent in the loop, validation included
    history: list[EpochReport] = field(default_factory=list)


def config_fingerprint(config) -> dict:
    """The config fields that decide the weights a run ends with, as a dict (not a digest): a
    checkpoint stores it, and a resume names each field that differs. With early stopping on,
    eval_every_steps decides which evaluations there are, so which weights the run ends with."""
    fields = dataclasses.asdict(config)
    skipped = NOT_FINGERPRINTED - ({"eval_every_steps"} if fields.get("early_stopping_patience") else set())
    return {
        k: v for k, v in fields.items() if k not in skipped and not (k in OPTIONAL_FIELDS and v == OPTIONAL_FIELDS[k])
    }


def data_fingerprint(ids: Sequence[Sequence[int]], labels: np.ndarray) -> str:
    """sha256 of the training examples (token ids, in order) and their labels: a checkpoint is
    resumed only on exactly these examples in this order (unlike `fingerprints.frame_fingerprint`,
    which names a set of rows whatever their order)."""
    digest = hashlib.sha256()
    for seq in ids:
        row = np.asarray(seq, dtype=np.int64)
        digest.update(np.int64(len(row)).tobytes() + row.tobytes())
    digest.update(np.asarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def checkpoint_payload(
    model,
    optimizer,
    scheduler,
    progress: TrainingProgress,
    recorder: TrainingRecorder,
    config_print: dict,
    data_print: str,
    early_stopping: dict | None = None,
    rng_per_rank: list[dict] | None = None,
) -> bytes:
    """Everything needed to carry on after the step just done, as bytes for a CheckpointStore;
    `early_stopping`: EarlyStopping.state_dict() when the run stops early; `rng_per_rank`: every
    process's `rng_state()` in rank order, under torchrun (this process's alone by default).
    The world size is recorded, so that a resume knows whose RNG states it may take back."""
    per_rank = rng_per_rank if rng_per_rank is not None else [rng_state()]
    state = {
        "format": FORMAT_VERSION,
        "world_size": len(per_rank),
        "config": plain(config_print),
        "data": data_print,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": per_rank[0],  # rank 0's: what a resume into another world size takes
        "rng_per_rank": per_rank,
        "progress": plain(dataclasses.asdict(progress)),
        "record": plain(recorder.to_dict()),
    }
    if early_stopping is not None:
        state["early_stopping"] = plain(early_stopping)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def restore_checkpoint(
    payload: bytes,
    model,
    optimizer,
    scheduler,
    config_print: dict,
    data_print: str,
    where: str,
    early_stopping=None,
    rank: int = 0,
    world_size: int = 1,
) -> tuple[TrainingProgress, TrainingRecorder]:
    """Load a checkpoint into model, optimizer, scheduler (already on the run's device), the
    global RNGs and `early_stopping` (an EarlyStopping, when on); return the progress and record
    it holds. Refuses (ValueError) a checkpoint of a different run, or with another batch_size.

    Any number of processes may resume what any number wrote (`rank` of `world_size`, torchrun's):
    the progress counts global batches, the weights and optimizer state are the same on every
    rank, and each rank takes back its own RNG states when the world size is the writer's, rank
    0's otherwise (`rng_states.rng_for_rank`).

    A checkpoint written on CUDA resumes on a CPU and the other way round: every tensor is read
    onto the CPU and copied to where the run's model is. What is per device: the CPU RNGs
    (Python, numpy, torch) are always restored; CUDA's RNG (dropout masks on a GPU) only where the
    writer had one and this machine has as many GPUs, else it stays as seed_everything left it
    (seeded, not the writer's), so dropout after a device change draws other masks than an
    uninterrupted run would. Kernels differ between devices too (and bf16 autocast applies on
    CUDA only), so across devices the run carries on the same optimisation, not the same bits."""
    # map_location="cpu", then each load_state_dict copies tensors to where their parameter is:
    # the weights and Adam's moments follow the model, while Adam's step counters stay on the
    # CPU as in a fresh run (map_location=cuda would leave them on the GPU), and so do RNG states.
    state = load_checkpoint_state(payload, where)
    _check_same_run(state, config_print, data_print, where)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    # CUDA's RNG (dropout on a GPU) only when this machine has as many GPUs as the writer had.
    restore_rng(rng_for_rank(state, rank, world_size))
    if early_stopping is not None:
        if "early_stopping" not in state:
            raise ValueError(f"the checkpoint in {where} holds no early stopping state")
        early_stopping.load_state_dict(state["early_stopping"])
    progress = dict(state["progress"])
    progress["history"] = [EpochReport(**report) for report in progress["history"]]
    return TrainingProgress(**progress), TrainingRecorder.from_dict(state["record"])


def load_checkpoint_state(payload: bytes, where: str) -> dict:
    """The checkpoint's dict, unpickled with weights_only=True: tensors and plain values only, so
    a crafted file (a pickle whose __reduce__ runs a command) is refused before anything runs.
    Checkpoint stores can be shared (S3 prefixes), so their contents are not trusted."""
    try:
        return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as refused:
        raise RefusedUnsafeFile(
            f"refused the checkpoint in {where}: it holds objects other than tensors and plain values "
            f"(written by an older version of this code, format 1, or not by this code at all), and "
            f"unpickling them could run code. Use a new checkpoint location. ({refused})"
        ) from refused


def plain(value):
    """`value` with numpy scalars and arrays turned into Python numbers and lists, which
    torch.load(weights_only=True) accepts; everything else as it is."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return value


def _check_same_run(state: dict, config_print: dict, data_print: str, where: str) -> None:
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(
            f"the checkpoint in {where} has format {state.get('format')!r}; this code reads format {FORMAT_VERSION}"
        )
    saved = state["config"]
    if saved.get("batch_size") != config_print.get("batch_size"):
        raise ValueError(
            f"cannot resume from the checkpoint in {where} with batch_size {config_print.get('batch_size')!r}: it "
            f"was written with batch_size {saved.get('batch_size')!r}. batch_size is the global batch of one optimizer "
            f"step; the epoch's batches, the number of steps and the schedule follow from it, so another size is "
            f"another optimisation. Resume with batch_size={saved.get('batch_size')!r}: a bigger machine takes the "
            f"same batch faster, or shares it over more processes (torchrun --nproc_per_node)."
        )
    default = OPTIONAL_FIELDS.get  # an optional field left out of a fingerprint is off
    changed = [
        f"{name} {saved.get(name, default(name))!r} -> {config_print.get(name, default(name))!r}"
        for name in sorted(saved.keys() | config_print.keys())
        if saved.get(name) != config_print.get(name)
    ]
    if changed:
        raise ValueError(
            f"cannot resume from the checkpoint in {where}: it was written with a "
            f"different config ({'; '.join(changed)}). Use a new checkpoint "
            f"location, or the original config."
        )
    if state["data"] != data_print:
        raise ValueError(
            f"cannot resume from the checkpoint in {where}: it was written for "
            f"different training data, or with early stopping validation data (fingerprint "
            f"{state['data'][:12]}, now {data_print[:12]}). Use a new checkpoint location, or the same data."
        )
