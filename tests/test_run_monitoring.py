"""A run killed mid-step does not hold the local run queue: the instance's run monitoring fails it,
and the next run's first warehouse use drops the staging tables it left behind."""

import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration

from resources.warehouse import DuckDBWarehouse
from sentiment_assets.operations.local_run_launcher import LocalRunLauncher

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def dagster_home(tmp_path) -> Path:
    """A DAGSTER_HOME as `make dagster-home` makes it: the project's deploy/dagster.yaml."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return home


def test_the_local_instance_monitors_runs_with_a_launcher_that_can_check_their_workers(dagster_home):
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_poll_interval_seconds == 60
        assert instance.run_monitoring_start_timeout_seconds == 180
        assert instance.run_monitoring_cancel_timeout_seconds == 180
        assert instance.run_monitoring_max_resume_run_attempts == 0  # the default launcher cannot resume
        assert isinstance(instance.run_launcher, LocalRunLauncher)
        assert instance.run_launcher.supports_check_run_worker_health
        run_queue = instance.get_concurrency_config().run_queue_config
        assert run_queue is not None and run_queue.max_concurrent_runs == 1


SLOW_RUN = textwrap.dedent("""
    import sys, time
    import dagster as dg

    @dg.asset
    def slow_step():
        open(sys.argv[1], "w").close()  # the step has started
        time.sleep(300)

    dg.materialize([slow_step], instance=dg.DagsterInstance.get())
""")


def _wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 120) -> None:
    assert process.stderr is not None, "the run's stderr must be piped"
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, f"the run's process exited early:\n{process.stderr.read()}"
        assert time.monotonic() < deadline, "the run's step never started"
        time.sleep(0.2)


def _status(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    run = instance.get_run_by_id(run_id)
    assert run is not None, f"no run {run_id}"
    return run.status


def _monitor_once(instance: dg.DagsterInstance) -> None:
    """One pass of the daemon's run monitoring (what `dagster dev`'s daemon does every poll)."""
    with WorkspaceProcessContext(instance, EmptyWorkspaceTarget()) as context:
        errors = [e for e in execute_run_monitoring_iteration(context, logging.getLogger("run_monitoring")) if e]
    assert not errors, errors


def test_a_run_whose_worker_is_killed_mid_step_is_failed_by_run_monitoring_and_a_live_one_is_not(
    dagster_home, tmp_path
):
    script, started = tmp_path / "slow_run.py", tmp_path / "step_started"
    script.write_text(SLOW_RUN)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    worker = subprocess.Popen(
        [sys.executable, str(script), str(started)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(started, worker)
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            [run] = instance.get_runs()
            assert run.status == dg.DagsterRunStatus.STARTED
            _monitor_once(instance)
            assert _status(instance, run.run_id) == dg.DagsterRunStatus.STARTED  # alive: left alone

            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)  # reaped, as the code server reaps its run workers
            assert _status(instance, run.run_id) == dg.DagsterRunStatus.STARTED  # nothing reported the death
            _monitor_once(instance)
            assert _status(instance, run.run_id) == dg.DagsterRunStatus.FAILURE
            [failure] = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
            assert "no longer running" in failure.event_log_entry.message
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


# --- staging tables left by a killed write ----------------------------------------------------

KILLED_MID_WRITE = textwrap.dedent("""
    import os, signal, sys
    import pandas as pd
    from resources.warehouse import DuckDBWarehouse

    def chunks():
        yield pd.DataFrame({"review_id": ["new-1"]})
        os.kill(os.getpid(), signal.SIGKILL)  # killed mid-write: no swap, no cleanup

    DuckDBWarehouse(path=sys.argv[1]).write_table_in_chunks("scores", chunks())
""")


@pytest.fixture()
def warehouse_after_a_killed_write(tmp_path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.write_table("scores", pd.DataFrame({"review_id": ["kept"]}))
    script = tmp_path / "killed_mid_write.py"
    script.write_text(KILLED_MID_WRITE)
    done = subprocess.run([sys.executable, str(script), warehouse.path], cwd=REPO, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert warehouse.table_exists("scores__staging")  # the half-built copy outlived its process
    return warehouse


def test_the_next_runs_first_warehouse_use_drops_staging_tables_a_killed_run_left(warehouse_after_a_killed_write):
    warehouse = warehouse_after_a_killed_write

    @dg.asset
    def reads_scores(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"scores": len(warehouse.read_table("scores"))})

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([reads_scores], resources={"warehouse": warehouse}, instance=instance)
    assert result.success
    assert not warehouse.table_exists("scores__staging")
    assert warehouse.read_table("scores")["review_id"].tolist() == ["kept"]  # the table itself untouched
    [warning] = [e.user_message for e in instance.all_logs(result.run_id) if "died mid-write" in e.user_message]
    assert warning.endswith("scores__staging")


def test_a_run_can_stage_a_table_of_its_own_after_the_leftovers_are_dropped(warehouse_after_a_killed_write):
    warehouse = warehouse_after_a_killed_write

    @dg.asset
    def rewrites_scores(warehouse: DuckDBWarehouse) -> None:
        warehouse.write_table_in_chunks(
            "scores", iter([pd.DataFrame({"review_id": ["a"]}), pd.DataFrame({"review_id": ["b"]})])
        )

    assert dg.materialize([rewrites_scores], resources={"warehouse": warehouse}).success
    assert warehouse.read_table("scores")["review_id"].tolist() == ["a", "b"]
    with duckdb.connect(warehouse.path, read_only=True) as connection:
        assert connection.execute("SELECT table_name FROM information_schema.tables").fetchall() == [("scores",)]


def test_outside_a_run_the_warehouse_leaves_staging_tables_alone(warehouse_after_a_killed_write):
    # Only a run's start is known to be a moment when nobody is writing (e.g. a script may be).
    warehouse = warehouse_after_a_killed_write
    warehouse.read_table("scores")
    assert warehouse.table_exists("scores__staging")
