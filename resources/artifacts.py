"""Files a run produces that are not tables: plots, reports, the Optuna study, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg


def json_bytes(payload: Any) -> bytes:
    """The one JSON layout of every artifact: indented, keys sorted, anything else as str()."""
    return json.dumps(payload, indent=2, sort_keys=True, default=str).encode()


class ArtifactStore(dg.ConfigurableResource):
    """Where artifacts go, whatever holds them. Assets get a local `path()` to read or write (a
    library writing a PNG needs a file), and `uri()` for tools that take a location themselves."""

    root: str  # a local directory: the store itself, or the cache of a remote one

    def path(self, *parts: str) -> Path:
        """An absolute local path for the artifact, with its parent directories created."""
        raise NotImplementedError

    def uri(self, *parts: str) -> str:
        """Where the artifact lives, as a string: a local path or an s3:// URI."""
        raise NotImplementedError

    def write_json(self, relative_path: str, payload: Any) -> Path:
        raise NotImplementedError

    def write_bytes(self, relative_path: str, payload: bytes) -> Path:
        raise NotImplementedError


class LocalArtifactStore(ArtifactStore):
    """A directory tree on this machine; the aws profile swaps in an S3 prefix."""

    def path(self, *parts: str) -> Path:
        """An absolute path under the store, with its parent directories created."""
        target = Path(self.root, *parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def uri(self, *parts: str) -> str:
        return str(Path(self.root, *parts).absolute())

    def write_json(self, relative_path: str, payload: Any) -> Path:
        target = self.path(relative_path)
        target.write_text(json_bytes(payload).decode())
        return target

    def write_bytes(self, relative_path: str, payload: bytes) -> Path:
        target = self.path(relative_path)
        target.write_bytes(payload)
        return target
