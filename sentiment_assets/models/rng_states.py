"""The random number generators' states that a checkpoint carries, per process: what makes a
resumed run draw the very dropout masks (and any other random numbers) an uninterrupted one
would.

Under torchrun every process seeds alike (`seed_everything(config.seed)`) but then draws for its
own shard of each batch, so after the first step with dropout the processes' generators differ.
A checkpoint therefore holds every rank's states, gathered to rank 0 (`rng_per_rank`), beside
rank 0's alone (`rng`, all that checkpoints held before, and all a single process has).

On resume with the world size that wrote the checkpoint, each rank takes back its own states:
the run goes on bit for bit. With another world size no rank's states are its own (the shards
were cut differently, so were the masks), and every rank takes rank 0's, as every rank of a
fresh run starts from the same seed. Without dropout nothing in the training steps draws at
all (the batches follow from the seed and the epoch), so this only matters with dropout on.
"""

from __future__ import annotations

import random

import numpy as np
import torch


def rng_state() -> dict:
    """This process's Python, numpy, torch (CPU) and, where there is CUDA, CUDA RNG states, as
    tensors and plain values (loadable with weights_only=True)."""
    rng = {"python": random.getstate(), "numpy": _numpy_rng_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return rng


def restore_rng(rng: dict) -> None:
    """Set this process's RNGs to `rng` (an `rng_state()`). CUDA's only when this machine has as
    many GPUs as the writer had; else it stays as seed_everything left it."""
    random.setstate(rng["python"])
    _set_numpy_rng_state(rng["numpy"])
    torch.set_rng_state(rng["torch"])
    if "cuda" in rng and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(rng["cuda"])


def rng_for_rank(state: dict, rank: int, world_size: int) -> dict:
    """The states rank `rank` of `world_size` processes resumes with from a checkpoint's dict:
    its own when the checkpoint was written by as many processes, else rank 0's (`rng`)."""
    per_rank = state.get("rng_per_rank")
    if per_rank is not None and len(per_rank) == world_size and checkpoint_world_size(state) == world_size:
        return per_rank[rank]
    return state["rng"]


def checkpoint_world_size(state: dict) -> int:
    """How many processes wrote the checkpoint (1 for one written before it was recorded)."""
    return int(state.get("world_size", 1))


def _numpy_rng_state() -> dict:
    """numpy's global RNG state with its key as a list of ints instead of an array."""
    state = np.random.get_state(legacy=False)
    return {**state, "state": {**state["state"], "key": state["state"]["key"].tolist()}}


def _set_numpy_rng_state(state: dict) -> None:
    key = np.asarray(state["state"]["key"], dtype=np.uint32)
    np.random.set_state({**state, "state": {**state["state"], "key": key}})
