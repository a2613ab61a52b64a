"""dagster-dbt's CLI resource, told what it needs through its own config instead of os.environ.

`dbt_project/profiles.yml` takes the local DuckDB file from the dbt var `duckdb_path` (then
SENTIMENT_DUCKDB_PATH, then `../.sentiment/warehouse.duckdb`), and dbt runs from an absolute
path beside this interpreter, so building the resource changes no environment variable: not
SENTIMENT_DUCKDB_PATH, not PATH.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from dagster_dbt import DbtCliResource

DUCKDB_PATH_VAR = "duckdb_path"


def dbt_executable() -> str:
    """The dbt installed beside this interpreter (found even when the virtualenv is not
    activated, e.g. `.venv/bin/dagster ...`), else `dbt` from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.is_file() else "dbt"


def with_dbt_vars(args: Sequence[str], extra: Mapping[str, Any]) -> list[str]:
    """`args` with `extra` merged into its `--vars` (added when absent; the call's own values win)."""
    args = list(args)
    if not extra:
        return args
    for index, arg in enumerate(args):
        if arg == "--vars" and index + 1 < len(args):
            given = yaml.safe_load(args[index + 1]) or {}
            args[index + 1] = json.dumps({**extra, **given})
            return args
        if arg.startswith("--vars="):
            given = yaml.safe_load(arg.removeprefix("--vars=")) or {}
            args[index] = "--vars=" + json.dumps({**extra, **given})
            return args
    return [*args, "--vars", json.dumps(dict(extra))]


class SentimentDbtCliResource(DbtCliResource):
    """DbtCliResource plus the DuckDB file the local target opens (None on Athena).

    The path travels as the dbt var `duckdb_path` on every command, so the dbt process and the
    adapter dagster-dbt opens in this process (for row counts and column lineage) read the same
    file the Python assets write, without SENTIMENT_DUCKDB_PATH in the environment.
    """

    duckdb_path: str | None = None

    def cli(self, args: Sequence[str], **kwargs: Any):
        extra = {DUCKDB_PATH_VAR: self.duckdb_path} if self.duckdb_path else {}
        return super().cli(with_dbt_vars(args, extra), **kwargs)
