"""The dbt project and its manifest, prepared once per change of the project's files.

Importing the dbt assets never runs dbt: they are built from `dbt_project/target/manifest.json`,
which `make prepare` (part of `make install`, `make demo`, `make test`) or
`python -m resources.dbt` writes, next to `manifest.key`, a fingerprint of every file of the
dbt project and of the dbt version that parsed it. Importing with a missing or outdated
manifest is a DbtManifestNotPrepared error naming the command, except under `dagster dev` / `dg`,
which re-prepare it once after an edit, so the asset graph follows the SQL and YAML on disk.

The manifest is parsed for the `local` target. The target a run uses is the dbt resource's
(`resources["dbt"].target`, decided with the rest of the profile), read at run time: a run on
another target, or on a DuckDB file of another name, first parses the project for itself
(`manifest_for_run`), because dagster-dbt looks up row counts and column types by the relation
names the manifest holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST_PATH = TARGET_DIR / "manifest.json"
MANIFEST_KEY_PATH = TARGET_DIR / "manifest.key"
PREPARED_TARGET = "local"
# The relations of the prepared manifest live in the DuckDB catalog named after this file's stem
# ("warehouse"), the name every local profile gives its file (resources/profiles.py).
PREPARED_DUCKDB_FILE = "warehouse.duckdb"
PREPARE_COMMAND = ".venv/bin/python -m resources.dbt  (or: make prepare)"
# Not part of the project: what dbt writes, and packages it installs.
_NOT_SOURCES = {"target", "logs", "dbt_packages"}
_DBT_PACKAGES = ("dbt-core", "dbt-duckdb", "dbt-athena", "dbt-adapters")


class DbtManifestNotPrepared(RuntimeError):
    """The dbt manifest is missing, or was parsed from other project files than those on disk."""


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 of every file of the dbt project (models, macros, tests, YAML; not target/ or logs/),
    path and contents, and of the installed dbt packages' versions: what the manifest follows from."""
    digest = hashlib.sha256()
    for package in _DBT_PACKAGES:
        try:
            digest.update(f"{package}=={version(package)}\n".encode())
        except PackageNotFoundError:
            digest.update(f"{package} absent\n".encode())
    digest.update(f"target={PREPARED_TARGET}\n".encode())
    for root, dirs, files in os.walk(project_dir):
        here = Path(root)
        # Pruned, not filtered: target/ gains a folder per dbt run.
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here == project_dir and d in _NOT_SOURCES))
        for name in sorted(f for f in files if not f.startswith(".")):
            path = here / name
            digest.update(f"{path.relative_to(project_dir).as_posix()}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def manifest_is_current() -> bool:
    """True when the manifest exists and was prepared from the project files now on disk."""
    if not MANIFEST_PATH.is_file() or not MANIFEST_KEY_PATH.is_file():
        return False
    try:
        key = json.loads(MANIFEST_KEY_PATH.read_text())
    except (OSError, ValueError):
        return False
    return key.get("fingerprint") == project_fingerprint()


def prepare_manifest(*, force: bool = False) -> bool:
    """Parse the dbt project into target/manifest.json (and dbt's partial-parse cache beside it,
    which every `dbt build` then starts from) unless the manifest is current; True when it parsed.

    Safe to run from several processes at once: each parses into its own folder and moves the
    files into place one by one (atomic renames), the key last."""
    if not force and manifest_is_current():
        return False
    fingerprint = project_fingerprint()
    TARGET_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".prepare-", dir=TARGET_DIR) as scratch:
        parse_project(Path(scratch), target=PREPARED_TARGET, duckdb_path=str(Path(scratch) / PREPARED_DUCKDB_FILE))
        for name in ("partial_parse.msgpack", "manifest.json"):
            if (Path(scratch) / name).exists():
                os.replace(Path(scratch) / name, TARGET_DIR / name)
        key = Path(scratch) / "manifest.key"
        key.write_text(json.dumps({"fingerprint": fingerprint, "target": PREPARED_TARGET}) + "\n")
        os.replace(key, MANIFEST_KEY_PATH)
    return True


def parse_project(target_path: Path, *, target: str, duckdb_path: str | None = None) -> Path:
    """`dbt parse` of the project for `target` into `target_path`; its manifest.json. Parsing
    reads the profile but opens no connection (no DuckDB file, no Athena)."""
    from resources.dbt_cli import dbt_executable  # the dbt beside this interpreter

    command = [
        dbt_executable(),
        "parse",
        "--quiet",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        target,
        "--target-path",
        str(target_path),
    ]
    if duckdb_path:
        command += ["--vars", json.dumps({"duckdb_path": duckdb_path})]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_LOG_PATH": str(target_path)}
    done = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (target_path / "manifest.json").exists():
        raise RuntimeError(f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return target_path / "manifest.json"


def prepared_dbt_project():
    """The DbtProject of the prepared manifest, with no target: the dbt resource gives it at run time.

    Under `dagster dev` / `dg` a missing or outdated manifest is prepared here (once per edit);
    anywhere else it is a DbtManifestNotPrepared error saying how to prepare it."""
    from dagster_dbt import DbtProject

    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    if not manifest_is_current():
        if not project.preparer.using_dagster_dev():
            state = "is missing" if not MANIFEST_PATH.exists() else "was parsed from other dbt project files"
            raise DbtManifestNotPrepared(
                f"the dbt manifest {MANIFEST_PATH} {state} (the dbt assets are built from it). "
                f"Prepare it with `{PREPARE_COMMAND}`; `python -m resources.dbt --force` rebuilds it."
            )
        prepare_manifest()
    return project


def manifest_for_run(dbt) -> dict[str, Any] | None:
    """None when the prepared manifest names the relations this run's dbt resource writes (target
    `local` on a `warehouse.duckdb`); else the project parsed for the resource's target and file,
    whose relation names dagster-dbt should use for row counts and column metadata."""
    duckdb_path = getattr(dbt, "duckdb_path", None)
    if dbt.target in (None, PREPARED_TARGET) and (
        duckdb_path is None or Path(duckdb_path).name == PREPARED_DUCKDB_FILE
    ):
        return None
    with tempfile.TemporaryDirectory(prefix="dbt-parse-") as scratch:
        manifest = json.loads(
            parse_project(Path(scratch), target=dbt.target or PREPARED_TARGET, duckdb_path=duckdb_path).read_text()
        )
    prepared = json.loads(MANIFEST_PATH.read_text())
    if set(manifest["nodes"]) != set(prepared["nodes"]) or set(manifest["sources"]) != set(prepared["sources"]):
        raise DbtManifestNotPrepared(
            f"the dbt project parsed for target {dbt.target!r} has other nodes than the prepared manifest: "
            f"prepare it again with `{PREPARE_COMMAND}`"
        )
    return manifest


def use_manifest(invocation, manifest: Mapping[str, Any] | None):
    """The invocation, reading relation names from `manifest` (when given) instead of the asset
    definition's. Same project, same nodes (checked by manifest_for_run): only the relations differ."""
    if manifest is not None:
        invocation.manifest = manifest
    return invocation


def release_duckdb_adapter() -> None:
    """Close the DuckDB database the dbt adapter dagster-dbt opened in this process for row counts
    and column metadata: while it is open, DuckDB refuses our own connections to the same file
    ("different configuration": dagster-dbt opens it read-only).

    Safe without dbt-duckdb's private state: `reset_adapters` is dbt's public call (dagster-dbt
    itself calls it before it opens an adapter) and closes every connection of every adapter
    registered in this process. dbt-duckdb's local environment counts the handles it gave out and
    closes its DuckDB connection when the last one closes (unless the profile sets `keep_open`,
    which ours does not), which releases the file. On Athena nothing is held in-process and the
    call only forgets the adapter."""
    try:
        from dbt.adapters.factory import reset_adapters
    except ImportError:  # dbt-core absent: nothing was opened
        return
    reset_adapters()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m resources.dbt", description="Prepare the dbt manifest the dbt assets are built from."
    )
    parser.add_argument("--force", action="store_true", help="parse even when the manifest is current")
    parser.add_argument("--check", action="store_true", help="only say whether it is current (exit 1 if not)")
    args = parser.parse_args(argv)
    if args.check:
        current = manifest_is_current()
        print(f"{MANIFEST_PATH}: {'current' if current else 'missing or outdated'}")
        return 0 if current else 1
    parsed = prepare_manifest(force=args.force)
    print(f"{MANIFEST_PATH}: {'prepared' if parsed else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
