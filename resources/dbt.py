"""The dbt project and the dbt target that goes with each profile."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from resources.environment import Profile

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DUCKDB_PATH_ENV_VAR = "SENTIMENT_DUCKDB_PATH"


def put_interpreter_bin_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH; the dbt installed beside this interpreter must be found
    even when the virtualenv is not activated (e.g. `.venv/bin/dagster ...`)."""
    interpreter_bin = str(Path(sys.executable).parent)
    if interpreter_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = interpreter_bin + os.pathsep + os.environ.get("PATH", "")


@cache
def dbt_project(profile: Profile) -> DbtProject:
    """The dbt project with the target named after the profile (duckdb `local`, athena `aws`).

    The manifest is built on first use when absent (a fresh clone), and on every `dagster dev`
    reload, so the asset graph always matches the SQL on disk.
    """
    put_interpreter_bin_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, target=profile.value)
    if _manifest_is_stale(project):
        project.preparer.prepare(project)
    else:
        project.prepare_if_dev()
    return project


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than any model, macro, schema or project file,
    so a CLI run after editing SQL or YAML never works from yesterday's graph."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    sources = [
        *DBT_PROJECT_DIR.glob("models/**/*"),
        *DBT_PROJECT_DIR.glob("macros/**/*"),
        DBT_PROJECT_DIR / "dbt_project.yml",
        DBT_PROJECT_DIR / "profiles.yml",
    ]
    return any(path.is_file() and path.stat().st_mtime > built for path in sources)


def release_duckdb_adapter() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a build.

    dagster-dbt fetches row counts and column lineage through the dbt adapter in-process, and
    dbt-duckdb caches that database instance; while it lives, DuckDB refuses our own connections
    to the same file ("different configuration"). dbt-duckdb has no public call for this.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (athena): nothing is held in-process
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
