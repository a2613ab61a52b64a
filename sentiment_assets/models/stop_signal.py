"""A stop asked for by a signal: SIGUSR1 (or SIGTERM, what Kubernetes sends a pod it deletes)
makes a run that checkpoints stop at its next step boundary, its checkpoint written, instead of
dying with the steps since the last one lost. The other way to ask is the STOP marker in the
run's CheckpointStore (`CheckpointStore.request_stop`), which any machine that reaches the store
can write.

Signals belong to the process, so only an entry point installs the handlers
(`training/transformer_job.py`); the training loop only asks `received()`, and reads the marker
through a `MarkerPoll`.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator
from typing import Protocol

STOP_SIGNALS = (signal.SIGUSR1, signal.SIGTERM)
# Reading the STOP marker is an S3 GET where the checkpoints are on S3: tens of milliseconds, as
# long as a GPU step. It is read at most this often; the step it names is kept between reads.
MARKER_POLL_SECONDS = 2.0
_received = threading.Event()


def received() -> bool:
    """Whether a stop signal arrived while `stop_on_signals` was in force."""
    return _received.is_set()


@contextlib.contextmanager
def stop_on_signals(signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[None]:
    """While inside, `signals` set the stop flag instead of ending the process; the previous
    handlers (and a clear flag) are back afterwards."""
    _received.clear()
    previous = {number: signal.signal(number, lambda *_: _received.set()) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _received.clear()


class StopMarkers(Protocol):
    def requested_stop_step(self) -> int | None: ...


class MarkerPoll:
    """Whether the store's STOP marker asks a run to stop after its current step, read at most
    every `poll_seconds` (the first ask always reads). The marker names the step to stop after,
    so a request for a later step is honoured exactly there whenever it was read; one for "the
    next boundary" lands within `poll_seconds` of being written."""

    def __init__(self, store: StopMarkers, poll_seconds: float = MARKER_POLL_SECONDS) -> None:
        self.store, self.poll_seconds = store, poll_seconds
        self._read_at, self._after_step = -math.inf, None

    def asked(self, step: int) -> bool:
        now = time.monotonic()
        if now - self._read_at >= self.poll_seconds:
            self._read_at, self._after_step = now, self.store.requested_stop_step()
        return self._after_step is not None and step >= self._after_step
