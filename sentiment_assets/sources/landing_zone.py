"""Which landed files are new or changed since the last look, and what each one is for: the
landing-zone sensor's logic.

The state is a map file -> sha256 of its content. A file whose path is new and whose content
has not been seen under another name, or whose content changed, needs ingesting; a byte-identical
copy of an ingested file under a new name does not.

Roles by folder: a file directly in the landing directory has the project's default role
(`ingest.role`, else train); a file in its `train/`, `score/` or `holdout/` sub-directory has that
role, and its partition key says so (`score/march.csv`), so the same name can land in two roles.

A partition key is the file's path under the landing directory, verbatim, and only a name of
letters, digits, '.', '_' and '-' can be one: a file named otherwise (`review 1.csv`) is refused,
not renamed, because renaming it could give two files one partition (`review 1.csv` and
`review;1.csv` would both be `review_1.csv`, each run replacing the other's rows). The same rule
guards the way back (key -> path), so a key can never name a file outside the landing directory
or a glob.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sentiment_assets.sources import SourceError, expand_location
from sentiment_assets.sources.roles import ROLES, check_role

_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")


def partition_key_problem(key: str) -> str | None:
    """Why `key` cannot be a raw_reviews partition key for a landed file (None: it can). The one
    rule for the sensor, `register_partition` and the way from a key back to its file."""
    role, _, name = key.rpartition("/")
    if role and role not in ROLES:
        return f"only a role folder may precede the name ({', '.join(ROLES)}), not {role!r}"
    if not _SAFE_NAME.fullmatch(name) or name in (".", ".."):
        return "a name is letters, digits, '.', '_' and '-' only (not '.' or '..')"
    return None


def check_partition_key(key: str) -> str:
    """The key, or a ValueError saying why it cannot be one."""
    problem = partition_key_problem(key)
    if problem:
        raise ValueError(f"partition key {key!r} refused: {problem}")
    return key


def literal_location(path: str) -> str:
    """`path` as a location the reader takes literally: it expands '*', '?' and '[' as a glob, so
    a landing directory named `in[1]` would otherwise read `in1` (or nothing)."""
    return glob.escape(path)


@dataclass(frozen=True)
class LandedFile:
    """A file in the landing zone: its raw_reviews partition key, its role, and where it is."""

    partition_key: str
    role: str
    location: str

    @property
    def read_location(self) -> str:
        """The location to give raw_reviews: this file and nothing else, whatever its path holds."""
        return literal_location(self.location)


def role_folders(landing: str) -> dict[str, str | None]:
    """Each folder the sensor watches -> the role its files get (None: the default role)."""
    root = landing.rstrip("/")
    return {root: None, **{f"{root}/{role}": role for role in ROLES}}


def _stripped(path: str) -> PurePosixPath:
    return PurePosixPath(path.removeprefix("s3://"))


def landed_key(landing: str, uri: str) -> str:
    """The partition key of a file found in `landing` (directly, or in a role folder): its path
    there, as it is; a ValueError if that path cannot be a key (the file is refused, not renamed)."""
    parent = _stripped(uri).parent
    role = None if parent == _stripped(landing) else parent.name
    if role is not None and role not in ROLES:
        raise ValueError(f"{uri}: not directly in {landing} or one of its role folders {list(ROLES)}")
    name = PurePosixPath(uri).name
    problem = partition_key_problem(name)
    if problem:
        suggestion = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "reviews.csv"
        raise ValueError(
            f"{uri}: file name {name!r} cannot be a partition key ({problem}); "
            f"rename it, e.g. to {suggestion!r}, and it is ingested at the next look"
        )
    return f"{role}/{name}" if role else name


def landed_file(landing: str, uri: str, default_role: str) -> LandedFile:
    """What a file found in `landing` (directly, or in a role folder) is for."""
    key = landed_key(landing, uri)
    role = key.rpartition("/")[0] or None
    return LandedFile(key, check_role(role or default_role), uri)


def landed_file_for_key(landing: str, partition_key: str, default_role: str) -> LandedFile:
    """The file a partition key stands for (the reverse of `landed_file`). The key is checked, not
    trusted: only `<name>` or `<role>/<name>` with a plain file name can become a path."""
    problem = partition_key_problem(partition_key)
    if problem:
        raise ValueError(
            f"partition key {partition_key!r} names no landed file: {problem} "
            f"(expected <name> or <role>/<name> with role one of {list(ROLES)})"
        )
    role = partition_key.rpartition("/")[0]
    return LandedFile(partition_key, check_role(role or default_role), f"{landing.rstrip('/')}/{partition_key}")


@dataclass(frozen=True)
class LandingScan:
    new_files: list[str]
    changed_files: list[str]
    duplicate_content: list[str]  # new paths whose bytes equal an already-ingested file
    state: dict[str, str]  # the cursor to store after acting on this scan
    # path -> why its name cannot be a partition key. Left out of `state`: renamed, the file is
    # new (not a copy of something ingested), and until then every look names it again.
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def needs_ingest(self) -> bool:
        return bool(self.new_files or self.changed_files)


def _files_in(folder: str, s3_client) -> list:
    """The review files directly in `folder` (none if it does not exist)."""
    literal = literal_location(folder)
    try:
        if literal == folder:
            return expand_location(folder, s3_client)
        # A folder named with glob characters: list it through an escaped pattern, keeping only
        # its own files (on S3 a '*' also matches deeper keys).
        return [f for f in expand_location(f"{literal}/*", s3_client) if _stripped(f.uri).parent == _stripped(folder)]
    except SourceError:  # no review files there (yet)
        return []


def scan_landing_zone(location: str, cursor: str | None, s3_client=None) -> LandingScan:
    """Compare the files at `location` and in its role folders with the state in `cursor` (JSON,
    or None at first)."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    files = [f for folder in role_folders(location) for f in _files_in(folder, s3_client)]
    known_content = set(seen.values())
    new, changed, duplicates, refused = [], [], [], {}
    state = dict(seen)
    for source in files:
        try:
            landed_key(location, source.uri)
        except ValueError as error:
            refused[source.uri] = str(error)
            continue
        previous = seen.get(source.uri)
        if previous is None and source.sha256 in known_content:
            duplicates.append(source.uri)
        elif previous is None:
            new.append(source.uri)
        elif previous != source.sha256:
            changed.append(source.uri)
        state[source.uri] = source.sha256
        known_content.add(source.sha256)
    return LandingScan(new, changed, duplicates, state, refused)
