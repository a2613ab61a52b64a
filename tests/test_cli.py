"""The commands of docs/pipeline.md's "Driving it from the CLI", run as subprocesses against a
temporary SENTIMENT_HOME and DAGSTER_HOME, each checked in the instance's event log and in the
warehouse.

Small data (300 synthetic reviews, two tiny landed files) keeps the file to a few minutes: most of
it is each command loading the definitions."""

import json
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import pytest
from cli_helpers import BIN, REPO, cli_environment, instance_of, materializations, run, warehouse
from source_files import CLOTHING_HEADER

SYNTHETIC_ROWS = 300
LANDED = {  # ids far from the synthetic data's, so no row is a cross-file duplicate
    "march.csv": (
        "90001,1,30,t,Lovely soft knit,5,1,0,General,Tops,Knits\n90002,2,41,t,Too short,2,0,0,General,Dresses,Dresses\n"
    ),
    "april.csv": (
        "90003,1,30,t,Nice fabric,4,1,0,General,Tops,Knits\n90004,2,41,t,Awful zip,1,0,0,General,Dresses,Dresses\n"
        "90005,3,35,t,Fine for the price,3,0,0,General,Dresses,Dresses\n"
    ),
}


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """SENTIMENT_HOME, DAGSTER_HOME (the project's dagster.yaml), a landing directory and the
    environment the Makefile exports, with `bundled` and the two landed files registered."""
    root = tmp_path_factory.mktemp("cli")
    landing = root / "landing"
    landing.mkdir()
    for name, rows in LANDED.items():
        (landing / name).write_text(CLOTHING_HEADER + rows)
    env = cli_environment(root, landing)
    run(env, "sentiment-assets", "register-partition", "bundled", *LANDED)
    return root, env


def rows_read(env: dict, partition: str) -> int:
    [(accepted, rejected)] = warehouse(
        env,
        f"SELECT (SELECT count(*) FROM raw_reviews WHERE source_partition = '{partition}'), "
        f"(SELECT count(*) FROM rejected_reviews WHERE source_partition = '{partition}')",
    )
    return accepted + rejected


@pytest.fixture(scope="module")
def bias_report_with_its_upstream(homes):
    """`dg launch --assets '+key:bias_report'`: the bias report and everything it reads, with run
    config for two of them; afterwards the warehouse holds what the ingest phase job reads."""
    _, env = homes
    config = {
        "ops": {
            "raw_reviews": {"config": {"synthetic_rows": SYNTHETIC_ROWS}},
            "bias_report": {"config": {"facet": "division_name", "bootstrap_resamples": 10}},
        }
    }
    run(
        env,
        "dg",
        "launch",
        "--assets",
        "+key:bias_report",
        "--partition",
        "bundled",
        "--config-json",
        json.dumps(config),
    )
    return env


def test_dg_launch_builds_an_asset_and_its_upstream_with_run_config(bias_report_with_its_upstream):
    env = bias_report_with_its_upstream
    with instance_of(env) as instance:
        assert len(materializations(instance, "raw_reviews", "bundled")) == 1
        assert all(materializations(instance, name) for name in ["cleaned_reviews", "balanced_reviews", "bias_report"])
        assert not materializations(instance, "review_profile")  # not upstream of the bias report
    assert rows_read(env, "bundled") == SYNTHETIC_ROWS
    assert warehouse(env, "SELECT DISTINCT facet FROM bias_report") == [("division_name",)]  # the run config's facet


def test_dg_launch_runs_the_ingest_phase_job_for_a_partition(bias_report_with_its_upstream):
    env = bias_report_with_its_upstream
    config = {
        "ops": {
            "raw_reviews": {"config": {"synthetic_rows": SYNTHETIC_ROWS}},
            "bias_report": {"config": {"bootstrap_resamples": 10}},
        }
    }
    run(
        env,
        "dg",
        "launch",
        "--job",
        "ingest_analyze_job",
        "--partition",
        "bundled",
        "--config-json",
        json.dumps(config),
    )
    with instance_of(env) as instance:
        latest = {
            name: materializations(instance, name, "bundled" if name == "raw_reviews" else None)[0]
            for name in ["raw_reviews", "review_profile", "bias_report"]
        }
        launched = [instance.get_run_by_id(record.run_id) for record in latest.values()]
        assert {r.job_name if r else None for r in launched} == {"ingest_analyze_job"}
    assert rows_read(env, "bundled") == SYNTHETIC_ROWS  # re-ingesting replaced the partition's rows
    assert warehouse(env, "SELECT DISTINCT facet FROM bias_report") == [("product_category",)]  # the default facet


def test_dagster_job_backfill_ingests_each_landed_file_from_its_own_location(homes):
    root, env = homes
    run(
        env,
        "dagster",
        "job",
        "backfill",
        "-m",
        "sentiment_assets.definitions",
        "-j",
        "ingest_job",
        "--partitions",
        ",".join(LANDED),
        "--noprompt",
    )
    with instance_of(env) as instance:
        [backfill] = instance.get_backfills()
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill.backfill_id}))
        assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(LANDED)
        assert {configured_location(r) for r in runs} == {str(root / "landing" / n) for n in LANDED}
        assert {r.status for r in runs} == {dg.DagsterRunStatus.QUEUED}  # the daemon runs them
        finished = run_queue_until_finished(env, instance, [r.run_id for r in runs], root / "daemon.log")
        assert {r.status for r in finished} == {dg.DagsterRunStatus.SUCCESS}, (root / "daemon.log").read_text()[-4000:]
        for name in LANDED:
            [record] = materializations(instance, "raw_reviews", name)
            assert record.run_id in {r.run_id for r in runs}
    assert {name: rows_read(env, name) for name in LANDED} == {name: rows.count("\n") for name, rows in LANDED.items()}


def configured_location(dagster_run: dg.DagsterRun) -> object:
    """The location a raw_reviews run was configured to read."""
    ops = dagster_run.run_config["ops"]
    assert isinstance(ops, dict), ops
    return ops["raw_reviews"]["config"]["location"]


def run_queue_until_finished(
    env: dict, instance: dg.DagsterInstance, run_ids: list[str], log: Path, timeout_s: float = 300
) -> Sequence[dg.DagsterRun]:
    """Start `dagster-daemon run` (what `make ui` runs beside the UI), wait for the runs, stop it."""
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-m", "sentiment_assets.definitions"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                runs = instance.get_runs(dg.RunsFilter(run_ids=run_ids))
                if all(r.is_finished for r in runs):
                    return runs
                time.sleep(3)
            raise TimeoutError(f"runs not finished after {timeout_s} s: {[(r.run_id, r.status) for r in runs]}")
        finally:
            daemon.send_signal(signal.SIGINT)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
