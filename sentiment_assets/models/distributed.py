"""Data-parallel fine-tuning over several processes (`torchrun --nproc_per_node N`): which
process this is, its share of every batch, and the few collectives the training loop needs.
Pure torch. Without torchrun the world has one process and every helper is the identity, so a
single-process run takes exactly the steps it took before this module existed.

How the work is split: `FineTuneConfig.batch_size` stays the *global* batch, the examples of
one optimizer step over all processes. Every process draws the same seeded, length-bucketed
epoch of batches (`epoch_batches`) and takes rows rank, rank + N, rank + 2N, ... of each, so
the shards are disjoint and together are the epoch. Each process scales the summed loss of its
rows by N / W, W being the summed weight of the *whole* batch's examples (their class weights,
`FineTuneConfig.class_weighting`; len(batch) when every example weighs 1), so that
DistributedDataParallel's average of the gradients over the processes, (1/N) sum_ranks
N/W sum_rows w_i l_i = sum_batch w_i l_i / W, is the gradient of the whole batch's weighted mean
loss: what one process gets from `cross_entropy(weight=...)`. Every process knows every label,
so W needs no communication. Hence N processes take the very steps one
process would (up to float rounding), only faster: the same config ends with the same weights
whatever the number of GPUs, and the position in an epoch (`next_batch`) means the same thing
to every process, so a checkpoint resumes on all of them, and under another number of
processes than wrote it (1 -> N and back: each rank keeps its own RNG states only when the
number is the same, `rng_states.py`).

Only rank 0 writes: checkpoints, outputs, reports. Validation is sharded the same way and the
logits gathered, so every process computes the same scores on the whole validation set.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from sentiment_assets.models.batches import batched_logits
from sentiment_assets.models.checkpoints import CheckpointStore


@dataclass(frozen=True)
class Shard:
    """One process's part of a global batch."""

    rows: np.ndarray  # example indices this process steps on
    loss_weight: float  # factor on the summed (weighted) loss of those rows (0: a stand-in row)

    @property
    def examples(self) -> int:
        """Examples this process really trained on (a stand-in row does not count)."""
        return len(self.rows) if self.loss_weight > 0 else 0


@dataclass(frozen=True)
class World:
    """The processes of one training run, as seen from one of them. The default is a world of
    one process: no torchrun, nothing to share."""

    rank: int = 0  # this process, 0 .. size - 1; rank 0 is the one that writes
    local_rank: int = 0  # this process on its machine: the GPU it uses
    size: int = 1  # processes in the run (torchrun's WORLD_SIZE)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def device(self, device: torch.device) -> torch.device:
        """This process's device: its own GPU (cuda:LOCAL_RANK) when several share a machine."""
        if self.distributed and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """What the training steps call: DistributedDataParallel around `model` (on its device
        already), which averages gradients over the processes during backward; `model` itself
        in a world of one. Weights, checkpoints and evaluation keep using `model`."""
        if not self.distributed:
            return model
        on_gpu = next(model.parameters()).device.type == "cuda"
        # No buffer sync before every forward: a BERT's buffers (position and token-type ids)
        # never change, and they are synced once when DDP starts.
        return DistributedDataParallel(
            model, device_ids=[self.local_rank] if on_gpu else None, forward_sync_buffers=False
        )

    def shard(self, batch: np.ndarray, batch_weight: float | None = None) -> Shard:
        """This process's rows of a global batch, rank::size (every row in a world of one), and
        the factor on their summed loss, size / batch_weight. `batch_weight`: the summed weight
        of all the batch's examples (> 0); len(batch), every example weighing 1, by default.

        A process left without rows (a batch shorter than the world, only ever an epoch's last)
        steps on one stand-in row with weight 0: every process must take part in every
        gradient all-reduce, and a zero loss adds nothing to the average."""
        total = len(batch) if batch_weight is None else batch_weight
        if not self.distributed:
            return Shard(batch, 1.0 / total)
        rows = batch[self.rank :: self.size]
        if len(rows) == 0:
            return Shard(batch[:1], 0.0)
        return Shard(rows, self.size / total)

    def loss(
        self, logits: torch.Tensor, targets: torch.Tensor, weight: float, class_weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The loss to call backward on: the batch's mean cross-entropy in a world of one (as it
        always was), this shard's summed loss times `weight` otherwise (see `shard`). With
        `class_weights`, each example's loss weighs its class's weight and the mean is
        sum(w_i l_i) / sum(w_i) (torch's `weight=`), to which the shards add up likewise."""
        if not self.distributed:
            return F.cross_entropy(logits, targets, weight=class_weights)
        return F.cross_entropy(logits, targets, weight=class_weights, reduction="sum") * weight

    def average(self, value: float) -> float:
        """The mean of `value` over the processes: the whole batch's (weighted) mean loss from
        the shards' scaled losses."""
        if not self.distributed:
            return value
        total = torch.tensor([value], dtype=torch.float64, device=_collective_device())
        dist.all_reduce(total, op=dist.ReduceOp.SUM)
        return total.item() / self.size

    def any(self, flag: bool) -> bool:
        """True on every process when it is true on one: decisions that end a loop (the time
        budget) must be the same everywhere, or the others would wait forever."""
        if not self.distributed:
            return flag
        value = torch.tensor([int(flag)], device=_collective_device())
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def gather(self, value: Any) -> list:
        """`value` of every process, in rank order (picklable values only)."""
        if not self.distributed:
            return [value]
        values: list = [None] * self.size
        dist.all_gather_object(values, value)
        return values

    def logits(self, model, seqs: Sequence[Sequence[int]], pad_id: int, batch_size: int, bf16: bool) -> np.ndarray:
        """`batched_logits` of all `seqs`, each process computing rows rank::size of them."""
        if not self.distributed:
            return batched_logits(model, seqs, pad_id, batch_size, bf16)
        mine = range(self.rank, len(seqs), self.size)
        parts = self.gather(batched_logits(model, [seqs[i] for i in mine], pad_id, batch_size, bf16))
        out = np.empty((len(seqs), parts[0].shape[1]), dtype=np.float32)
        for rank, part in enumerate(parts):
            out[rank :: self.size] = part
        return out

    def latest_checkpoint(self, store: CheckpointStore) -> bytes | None:
        """The newest checkpoint, the same one on every process: rank 0 picks the step."""
        if not self.distributed:
            return store.latest()
        steps = store.steps() if self.is_main else None
        newest = [steps[-1] if steps else None]
        dist.broadcast_object_list(newest, src=0)
        return None if newest[0] is None else store.load(newest[0])


def current_world() -> World:
    """The world of the process group this process joined (`process_group`); one process when
    it joined none."""
    if not (dist.is_available() and dist.is_initialized()):
        return World()
    return World(rank=dist.get_rank(), local_rank=int(os.environ.get("LOCAL_RANK", "0")), size=dist.get_world_size())


@contextlib.contextmanager
def process_group(device: torch.device) -> Iterator[World]:
    """Join torchrun's process group while inside: NCCL between GPUs, gloo between CPUs.
    Reads torchrun's RANK, LOCAL_RANK and WORLD_SIZE (and MASTER_ADDR/PORT); without torchrun,
    or with WORLD_SIZE=1, joins nothing and yields a world of one."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        yield World()
        return
    world = World(rank=int(os.environ["RANK"]), local_rank=int(os.environ["LOCAL_RANK"]), size=size)
    if device.type == "cuda":
        torch.cuda.set_device(world.local_rank)  # NCCL's object collectives use the current GPU
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=world.rank, world_size=world.size)
    try:
        yield world
    finally:
        dist.destroy_process_group()


def _collective_device() -> torch.device:
    # NCCL moves CUDA tensors only, gloo CPU tensors.
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")
