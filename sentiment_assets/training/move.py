"""Moving a fine-tune to another machine without losing work: ask the run to stop at its next
step boundary, wait until it has checkpointed that step, and copy its checkpoints (and its
segments) to the store the target machine trains into, e.g. from a laptop's directory to an S3
prefix a GPU pod reads. The target then runs the same entry point with `--checkpoints TARGET`
and resumes from the copied step (`sentiment-assets move` does all of it; the Dagster job
`move_finetuned_minilm` stops and copies, and the next materialization on the target resumes).

Framework-free: only CheckpointStores. What may differ on the target, and what may not, is
resume.py's business (device yes; batch size, data, learning rate no).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sentiment_assets.models.checkpoints import CheckpointStore
from sentiment_assets.models.segments import SEGMENTS_NAME, Segment, read_segments


@dataclass(frozen=True)
class StopRequest:
    """A stop asked of the run training into a store: how many segments it held then."""

    segments_before: int
    after_step: int


@dataclass(frozen=True)
class Moved:
    """What a move did: the step the run resumes from, the steps copied, its segments so far."""

    step: int
    source: str
    target: str
    copied_steps: list[int]
    segments: list[Segment]


def request_stop(store: CheckpointStore, after_step: int = 0) -> StopRequest:
    """Ask the run training into `store` to stop once it has done `after_step` steps (0: at its
    next step boundary)."""
    request = StopRequest(len(read_segments(store)), after_step)
    store.request_stop(after_step)
    return request


def wait_for_stop(
    store: CheckpointStore, request: StopRequest, wait_seconds: float = 600.0, poll_seconds: float = 1.0
) -> Segment:
    """The segment the run ended when it honoured `request` (it clears the marker after recording
    the segment). A RuntimeError when it ended for another reason first (it completed: nothing
    to move); a TimeoutError when nothing happened in `wait_seconds` (no run is training into the
    store: move it as interrupted). The stop request is withdrawn in both cases."""
    deadline = time.monotonic() + wait_seconds
    while True:
        segments = read_segments(store)
        if len(segments) > request.segments_before:
            ended = segments[-1]
            if ended.stop_reason == "stop_requested":
                return ended
            store.clear_stop()
            raise RuntimeError(
                f"the run in {store.describe()} ended ({ended.stop_reason}, step {ended.end_step}) before it saw "
                f"the stop request: there is nothing left to move"
            )
        if time.monotonic() > deadline:
            store.clear_stop()
            raise TimeoutError(
                f"no run training into {store.describe()} stopped within {wait_seconds:g} s; if none is running "
                f"(it died or was stopped), move its newest checkpoint as it is (--interrupted)"
            )
        time.sleep(poll_seconds)


def copy_checkpoints(source: CheckpointStore, target: CheckpointStore) -> list[int]:
    """Copy every checkpoint of `source` (oldest first, so the target's pruning keeps the newest)
    and its segments to `target`, with no stop request there; the steps copied. Refuses a target
    that already holds a checkpoint newer than the source's: the resume would take that one."""
    steps = source.steps()
    if not steps:
        raise ValueError(f"{source.describe()} holds no checkpoint to move")
    newer = [step for step in target.steps() if step > steps[-1]]
    if newer:
        raise ValueError(
            f"{target.describe()} already holds checkpoints after step {steps[-1]} (steps {newer}), of another "
            f"run or a later part of this one; move to an empty location"
        )
    for step in steps:
        target.save(step, source.load(step))
    segments = source.read_object(SEGMENTS_NAME)
    if segments is not None:
        target.write_object(SEGMENTS_NAME, segments)
    target.clear_stop()
    return steps


def move_checkpoints(
    source: CheckpointStore,
    target: CheckpointStore,
    *,
    after_step: int = 0,
    interrupted: bool = False,
    request: StopRequest | None = None,
    wait_seconds: float = 600.0,
    poll_seconds: float = 1.0,
) -> Moved:
    """Stop the run training into `source` (unless `interrupted`: none is; or wait on an earlier
    `request`), then copy its checkpoints to `target`. Source and target may be the same store
    (another device, the same location): then nothing is copied."""
    if not interrupted:
        wait_for_stop(source, request or request_stop(source, after_step), wait_seconds, poll_seconds)
    same = source.describe() == target.describe() and type(source) is type(target)
    copied = [] if same else copy_checkpoints(source, target)
    if same:
        source.clear_stop()
    steps = target.steps()
    if not steps:
        raise ValueError(f"{source.describe()} holds no checkpoint to move")
    return Moved(steps[-1], source.describe(), target.describe(), copied, read_segments(target))
