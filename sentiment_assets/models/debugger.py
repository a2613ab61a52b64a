"""What a fine-tuning run did, step by step: the record the debugger rules judge and the profiler
summarises.

Per optimizer step: loss, learning rate, gradient norms (global, before clipping, and per layer
group), time spent on data vs compute, throughput and memory. Per validation pass: the training
loss since the previous pass next to the validation scores. Everything is plain JSON, so a
record travels in checkpoints and lands next to the model as `debugger.json`.
"""

from __future__ import annotations

import math
import os
import re
import resource
import sys
from collections import defaultdict

import numpy as np
import torch

_LAYER = re.compile(r"layer\.(\d+)")
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else None


def layer_group(parameter_name: str) -> str:
    """The part of a BERT-like model a parameter belongs to: "embeddings", "layer.N" (encoder
    layer N), "pooler", "classifier" or "other"."""
    match = _LAYER.search(parameter_name)
    if match:
        return f"layer.{match.group(1)}"
    for group in ("embeddings", "pooler", "classifier"):
        if group in parameter_name:
            return group
    return "other"


def trainable_layer_groups(model) -> dict[str, list[torch.nn.Parameter]]:
    """The parameters that require grad, by layer group, in model order."""
    groups: dict[str, list[torch.nn.Parameter]] = defaultdict(list)
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            groups[layer_group(name)].append(parameter)
    return dict(groups)


def group_grad_norms(groups: dict[str, list[torch.nn.Parameter]]) -> dict[str, float]:
    """L2 norm of each group's gradients; 0.0 for a group none of whose parameters got one."""
    norms = []
    for params in groups.values():
        grads = [p.grad.detach() for p in params if p.grad is not None]
        if grads:
            per_parameter = torch.stack([torch.linalg.vector_norm(g) for g in grads])
            norms.append(torch.linalg.vector_norm(per_parameter))
        else:
            norms.append(torch.zeros((), device=params[0].device))
    # One transfer for all groups: on CUDA each .item() would wait for the GPU separately.
    return dict(zip(groups, torch.stack([n.float().cpu() for n in norms]).tolist(), strict=False))


def memory_mb(device: torch.device) -> dict[str, float]:
    """Resident memory of this process, and on CUDA the peak memory torch has allocated, in MB."""
    memory = {"rss_mb": _rss_mb()}
    if device.type == "cuda":
        memory["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return memory


def _rss_mb() -> float:
    if _PAGE_MB is not None:
        try:  # Linux: current resident set size, the second field of statm, in pages
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * _PAGE_MB
        except OSError:
            pass
    # Elsewhere only the peak is known (kilobytes on Linux, bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


class TrainingRecorder:
    """Filled by the training loop; `steps` and `evaluations` are lists of flat-ish dicts."""

    def __init__(self, trainable_groups: list[str] | None = None) -> None:
        self.trainable_groups = list(trainable_groups or [])
        self.steps: list[dict] = []
        self.evaluations: list[dict] = []
        # Training loss since the last evaluation, weighted by batch size.
        self._loss_sum = 0.0
        self._samples = 0

    def record_step(
        self,
        *,
        step: int,
        epoch: int,
        loss: float,
        learning_rate: float,
        grad_norm: float,
        group_grad_norms: dict[str, float],
        step_seconds: float,
        data_seconds: float,
        samples: int,
        memory: dict[str, float],
    ) -> None:
        """One optimizer step; `grad_norm` is the global norm before clipping."""
        self.steps.append(
            {
                "step": step,
                "epoch": epoch,
                "loss": loss,
                "learning_rate": learning_rate,
                "grad_norm": grad_norm,
                "group_grad_norms": group_grad_norms,
                "step_seconds": step_seconds,
                "data_seconds": data_seconds,
                "samples": samples,
                "samples_per_second": samples / step_seconds if step_seconds > 0 else 0.0,
                **memory,
            }
        )
        self._loss_sum += loss * samples
        self._samples += samples

    def record_evaluation(self, *, step: int, epoch: int, metrics: dict[str, float]) -> dict:
        """One validation pass; returns the entry: `train_loss` (mean since the previous pass)
        followed by `metrics`."""
        train_loss = self._loss_sum / self._samples if self._samples else math.nan
        entry = {"step": step, "epoch": epoch, "train_loss": train_loss, **metrics}
        self.evaluations.append(entry)
        self._loss_sum, self._samples = 0.0, 0
        return entry

    def to_dict(self) -> dict:
        return {
            "trainable_groups": self.trainable_groups,
            "steps": self.steps,
            "evaluations": self.evaluations,
            "since_last_evaluation": {"loss_sum": self._loss_sum, "samples": self._samples},
        }

    @classmethod
    def from_dict(cls, data: dict) -> TrainingRecorder:
        recorder = cls(data.get("trainable_groups", []))
        recorder.steps = list(data.get("steps", []))
        recorder.evaluations = list(data.get("evaluations", []))
        pending = data.get("since_last_evaluation", {})
        recorder._loss_sum = pending.get("loss_sum", 0.0)
        recorder._samples = pending.get("samples", 0)
        return recorder


def as_record(record: TrainingRecorder | dict) -> dict:
    """The dict form of a recorder, or the dict itself."""
    return record.to_dict() if isinstance(record, TrainingRecorder) else record


def profiler_summary(record: TrainingRecorder | dict) -> dict[str, float]:
    """Where the training time went: seconds in optimizer steps, split into data (building,
    padding and moving batches) and compute (forward, backward, optimizer), the data share,
    throughput, step-time percentiles and peak memory."""
    steps = as_record(record)["steps"]
    if not steps:
        return {
            "steps": 0,
            "total_seconds": 0.0,
            "data_seconds": 0.0,
            "compute_seconds": 0.0,
            "data_share": 0.0,
            "samples_per_second": 0.0,
            "p50_step_seconds": 0.0,
            "p95_step_seconds": 0.0,
            "peak_rss_mb": 0.0,
        }
    step_seconds = np.array([s["step_seconds"] for s in steps])
    total = float(step_seconds.sum())
    data = float(sum(s["data_seconds"] for s in steps))
    summary = {
        "steps": len(steps),
        "total_seconds": total,
        "data_seconds": data,
        "compute_seconds": total - data,
        "data_share": data / total if total > 0 else 0.0,
        "samples_per_second": sum(s["samples"] for s in steps) / total if total > 0 else 0.0,
        "p50_step_seconds": float(np.percentile(step_seconds, 50)),
        "p95_step_seconds": float(np.percentile(step_seconds, 95)),
        "peak_rss_mb": max(s.get("rss_mb", 0.0) for s in steps),
    }
    if any("cuda_max_allocated_mb" in s for s in steps):
        summary["peak_cuda_allocated_mb"] = max(s.get("cuda_max_allocated_mb", 0.0) for s in steps)
    return summary
