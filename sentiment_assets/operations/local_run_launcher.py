"""The local instance's run launcher: Dagster's DefaultRunLauncher, plus a health check of the run
worker so that run monitoring can fail a run whose process is gone.

A run worker killed mid-step (SIGKILL, the out-of-memory killer, a closed laptop lid) never
reports an end, so its run stays STARTED; with `max_concurrent_runs: 1` every queued run then
waits behind it forever. Run monitoring (deploy/dagster.yaml) asks the launcher whether each
STARTED run's worker still lives, but DefaultRunLauncher cannot say (only the container
launchers can), so monitoring alone would never notice. Here the answer is the process that
reported the run's start: on the same machine (the local profile's daemon and runs share one),
if it no longer exists, the run is marked failed and the queue moves on.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterEventType, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun

# A process that started this long after the run did is another one that got the same pid.
_PID_REUSE_SLACK_SECONDS = 2.0


class LocalRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher whose run workers run monitoring can check."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        started = self._instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_START, limit=1).records
        event = started[0].event_log_entry if started else None
        if event is None or event.dagster_event is None or event.dagster_event.pid is None:
            # Nothing to judge by: never fail a run on a guess.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run worker pid recorded")
        pid = event.dagster_event.pid
        if process_is_alive(pid, started_by=event.timestamp):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"the run worker (pid {pid}) is no longer running: it was killed or crashed"
        )


def process_is_alive(pid: int, started_by: float) -> bool:
    """Whether process `pid` exists, is not a zombie, and (where /proc says) started no later
    than `started_by` (a Unix time), i.e. is not a newer process that reuses the pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): existence is all we can tell
    state, start_time = stat
    return state != "Z" and (start_time is None or start_time <= started_by + _PID_REUSE_SLACK_SECONDS)


def _proc_stat(pid: int) -> tuple[str, float | None] | None:
    """(state, start time as Unix time) of `pid` from Linux's /proc; None without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    state, start_ticks = fields[0], int(fields[19])
    try:
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
        )
        return state, boot + start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError):
        return state, None
