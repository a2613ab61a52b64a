"""A stop asked for by a signal: SIGUSR1 (or SIGTERM, what Kubernetes sends a pod it deletes)
makes a run that checkpoints stop at its next step boundary, its checkpoint written, instead of
dying with the steps since the last one lost. The other way to ask is the STOP marker in the
run's CheckpointStore (`CheckpointStore.request_stop`), which any machine that reaches the store
can write.

Signals belong to the process, so only an entry point installs the handlers
(`training/transformer_job.py`); the training loop only asks `received()`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGUSR1, signal.SIGTERM)
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
