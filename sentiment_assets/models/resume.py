"""What a checkpoint holds, so that a resumed run ends with exactly the weights of an
uninterrupted one: weights, optimizer and scheduler state, every RNG, where in the epoch the run
stood, and fingerprints of the config and data that refuse a resume into a different run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from sentiment_assets.models.base import EpochReport
from sentiment_assets.models.debugger import TrainingRecorder

FORMAT_VERSION = 1
# Config fields that change how a run is carried out or reported, never the weights it ends
# with: a run may be resumed with other values (e.g. on a GPU, or with a larger time budget).
NOT_FINGERPRINTED = frozenset({"device", "eval_batch_size", "log_every_steps",
                               "checkpoint_every_steps", "max_seconds", "eval_every_steps"})


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
    """The config fields that decide the weights a run ends with."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in NOT_FINGERPRINTED}


def data_fingerprint(ids: Sequence[Sequence[int]], labels: np.ndarray) -> str:
    """sha256 of the training examples (token ids, in order) and their labels."""
    digest = hashlib.sha256()
    for seq in ids:
        row = np.asarray(seq, dtype=np.int64)
        digest.update(np.int64(len(row)).tobytes() + row.tobytes())
    digest.update(np.asarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def checkpoint_payload(
    model, optimizer, scheduler, progress: TrainingProgress, recorder: TrainingRecorder,
    config_print: dict, data_print: str,
) -> bytes:
    """Everything needed to carry on after the step just done, as bytes for a CheckpointStore."""
    rng = {"python": random.getstate(), "numpy": np.random.get_state(),
           "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    state = {
        "format": FORMAT_VERSION, "config": config_print, "data": data_print,
        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(), "rng": rng,
        "progress": dataclasses.asdict(progress), "record": recorder.to_dict(),
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def restore_checkpoint(
    payload: bytes, model, optimizer, scheduler, config_print: dict, data_print: str, where: str,
) -> tuple[TrainingProgress, TrainingRecorder]:
    """Load a checkpoint into model, optimizer, scheduler (already on the run's device) and the
    global RNGs; return the progress and record it holds. Refuses (ValueError) a checkpoint of a
    different run. A checkpoint written on CUDA resumes on a CPU and the other way round."""
    # weights_only=False: the numpy RNG state is not a tensor. Safe here because the store is our
    # own, written by this code; never point a run's checkpoints at untrusted files.
    # map_location="cpu", then each load_state_dict copies tensors to where their parameter is:
    # the weights and Adam's moments follow the model, while Adam's step counters stay on the
    # CPU as in a fresh run (map_location=cuda would leave them on the GPU), and so do RNG states.
    state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=False)
    _check_same_run(state, config_print, data_print, where)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    rng = state["rng"]
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    torch.set_rng_state(rng["torch"])
    # CUDA's RNG (dropout on a GPU) only when this machine has as many GPUs as the writer had.
    if "cuda" in rng and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(rng["cuda"])
    progress = dict(state["progress"])
    progress["history"] = [EpochReport(**report) for report in progress["history"]]
    return TrainingProgress(**progress), TrainingRecorder.from_dict(state["record"])


def _check_same_run(state: dict, config_print: dict, data_print: str, where: str) -> None:
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"the checkpoint in {where} has format {state.get('format')!r}; "
                         f"this code reads format {FORMAT_VERSION}")
    saved = state["config"]
    changed = [f"{name} {saved.get(name)!r} -> {config_print.get(name)!r}"
               for name in sorted(saved.keys() | config_print.keys())
               if saved.get(name) != config_print.get(name)]
    if changed:
        raise ValueError(f"cannot resume from the checkpoint in {where}: it was written with a "
                         f"different config ({'; '.join(changed)}). Use a new checkpoint "
                         f"location, or the original config.")
    if state["data"] != data_print:
        raise ValueError(f"cannot resume from the checkpoint in {where}: it was written for "
                         f"different training data (fingerprint {state['data'][:12]}, now "
                         f"{data_print[:12]}). Use a new checkpoint location, or the same data.")
