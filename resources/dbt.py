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
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
    else:
        project.prepare_if_dev()
    return project
