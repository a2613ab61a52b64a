"""Which landed files are new or changed since the last look, and what each one is for: the
landing-zone sensor's logic.

The state is a map file -> sha256 of its content. A file whose path is new and whose content
has not been seen under another name, or whose content changed, needs ingesting; a byte-identical
copy of an ingested file under a new name does not.

Roles by folder: a file directly in the landing directory has the project's default role
(`ingest.role`, else train); a file in its `train/`, `score/` or `holdout/` sub-directory has that
role, and its partition key says so (`score/march.csv`), so the same name can land in two roles.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from sentiment_assets.roles import ROLES, check_role
from sentiment_assets.sources import SourceError, expand_location

_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")


def file_key(uri: str) -> str:
    """A readable, valid partition key for a file name: anything unusual replaced by "_"."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", PurePosixPath(uri).name)
    return "file" if name in ("", ".", "..") else name


@dataclass(frozen=True)
class LandedFile:
    """A file in the landing zone: its raw_reviews partition key, its role, and where it is."""

    partition_key: str
    role: str
    location: str


def role_folders(landing: str) -> dict[str, str]:
    """Each folder the sensor watches -> the role its files get (None: the default role)."""
    root = landing.rstrip("/")
    return {root: None, **{f"{root}/{role}": role for role in ROLES}}


def landed_file(landing: str, uri: str, default_role: str) -> LandedFile:
    """What a file found in `landing` (directly, or in a role folder) is for."""
    parent = str(PurePosixPath(uri.removeprefix("s3://")).parent)
    role = PurePosixPath(parent).name if parent.rstrip("/") != landing.removeprefix("s3://").rstrip("/") else None
    if role is not None and role not in ROLES:
        raise ValueError(f"{uri}: not directly in {landing} or one of its role folders {list(ROLES)}")
    key = file_key(uri)
    return LandedFile(f"{role}/{key}" if role else key, check_role(role or default_role), uri)


def landed_file_for_key(landing: str, partition_key: str, default_role: str) -> LandedFile:
    """The file a partition key stands for (the reverse of `landed_file`). The key is checked, not
    trusted: only `<name>` or `<role>/<name>` with a plain file name can become a path."""
    role, _, name = partition_key.rpartition("/")
    if (role and role not in ROLES) or not _SAFE_NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"partition key {partition_key!r} names no landed file: expected <name> or "
                         f"<role>/<name> with role one of {list(ROLES)} and a name of letters, digits, '.', '_', '-'")
    return LandedFile(partition_key, check_role(role or default_role), f"{landing.rstrip('/')}/{partition_key}")


@dataclass(frozen=True)
class LandingScan:
    new_files: list[str]
    changed_files: list[str]
    duplicate_content: list[str]  # new paths whose bytes equal an already-ingested file
    state: dict[str, str]  # the cursor to store after acting on this scan

    @property
    def needs_ingest(self) -> bool:
        return bool(self.new_files or self.changed_files)


def scan_landing_zone(location: str, cursor: str | None, s3_client=None) -> LandingScan:
    """Compare the files at `location` and in its role folders with the state in `cursor` (JSON,
    or None at first)."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    files = []
    for folder in role_folders(location):
        try:
            files.extend(expand_location(folder, s3_client))
        except SourceError:  # no review files there (yet)
            pass
    known_content = set(seen.values())
    new, changed, duplicates = [], [], []
    state = dict(seen)
    for source in files:
        previous = seen.get(source.uri)
        if previous is None and source.sha256 in known_content:
            duplicates.append(source.uri)
        elif previous is None:
            new.append(source.uri)
        elif previous != source.sha256:
            changed.append(source.uri)
        state[source.uri] = source.sha256
        known_content.add(source.sha256)
    return LandingScan(new, changed, duplicates, state)
