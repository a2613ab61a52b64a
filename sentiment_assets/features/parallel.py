"""An ordered, memory-bounded map over a pool of worker processes (a Processing job's shards).

Work items are pulled from the input lazily and at most `max_in_flight` are submitted at once,
so a stream of any length is processed with a bounded amount of it in memory. Results come back
in input order, whatever order the workers finish in.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_pool_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    max_in_flight: int | None = None,
) -> Iterator[R]:
    """fn(item) for every item, computed in `workers` spawned processes, yielded in input order.

    `initializer(*initargs)` runs once in each worker (load a model there, not per item).
    `fn`, the items and the results must be picklable; `fn` must be a module-level function.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    limit = max_in_flight or 2 * workers  # enough to keep every worker busy, no more
    # spawn, not fork: the parent may hold threads (Rayon, Dagster) that fork would copy broken.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        # Also reached when the consumer stops early or a worker fails: drop queued work.
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
