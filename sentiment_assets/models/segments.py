"""The segments of one logical training run: each process that trained into a checkpoint store
(the first start, every resume, each machine a run was moved to) adds one when its loop ends,
so that a run moved from a laptop's CPU to a GPU pod reads as one training with two parts.

They live beside the checkpoints, as `segments.json` in the CheckpointStore, and travel with
them when a run is moved (`training/move.py`). A process killed outright (SIGKILL, a lost
machine) adds none: the next segment then starts after the last one's end, at the checkpoint it
resumed from, and the steps in between were trained twice.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from dataclasses import dataclass

from sentiment_assets.models.checkpoints import CheckpointStore

SEGMENTS_NAME = "segments.json"


@dataclass(frozen=True)
class Segment:
    """One process's part of a run: where it trained and which optimizer steps."""

    host: str  # the machine (its hostname; a pod's name in Kubernetes)
    device: str  # "cpu", "cuda:0", ...
    world_size: int  # processes (torchrun ranks) that trained together
    start_step: int  # the checkpoint's step it resumed from (0: from scratch)
    end_step: int  # optimizer steps done when it ended
    seconds: float  # wall time of this segment's training loop, validation included
    stop_reason: str  # "completed", "stop_requested", "max_seconds" or "early_stopping"

    @classmethod
    def here(
        cls, device: str, world_size: int, start_step: int, end_step: int, seconds: float, stop_reason: str
    ) -> Segment:
        """A segment of this machine."""
        return cls(socket.gethostname(), device, world_size, start_step, end_step, round(seconds, 3), stop_reason)


def read_segments(store: CheckpointStore) -> list[Segment]:
    """The segments recorded in `store`, oldest first ([] for a run that never ended a segment)."""
    data = store.read_object(SEGMENTS_NAME)
    return [Segment(**item) for item in json.loads(data)] if data else []


def append_segment(store: CheckpointStore, segment: Segment) -> list[Segment]:
    """Add `segment` after the recorded ones (one run trains into a store at a time); all of them."""
    segments = [*read_segments(store), segment]
    store.write_object(SEGMENTS_NAME, json.dumps([dataclasses.asdict(s) for s in segments], indent=2).encode())
    return segments


def contiguous(segments: list[Segment]) -> bool:
    """Whether each segment starts where the one before ended (no steps trained twice)."""
    return all(later.start_step == earlier.end_step for earlier, later in zip(segments, segments[1:], strict=False))


def segments_table(segments: list[Segment]) -> str:
    """The segments as a Markdown table, for asset metadata."""
    rows = [
        f"| {i} | {s.host} | {s.device} x {s.world_size} | {s.start_step} -> {s.end_step} | {s.seconds:.1f} | "
        f"{s.stop_reason} |"
        for i, s in enumerate(segments, 1)
    ]
    header = "| segment | host | device | steps | seconds | ended |\n|---|---|---|---|---|---|"
    return "\n".join([header, *rows])
