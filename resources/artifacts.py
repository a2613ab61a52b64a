"""Files a run produces that are not tables: plots, reports, the Optuna study, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg


class LocalArtifactStore(dg.ConfigurableResource):
    """A directory tree on this machine; the aws profile swaps in an S3 prefix."""

    root: str

    def path(self, *parts: str) -> Path:
        """An absolute path under the store, with its parent directories created."""
        target = Path(self.root, *parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_json(self, relative_path: str, payload: Any) -> Path:
        target = self.path(relative_path)
        target.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))
        return target

    def write_bytes(self, relative_path: str, payload: bytes) -> Path:
        target = self.path(relative_path)
        target.write_bytes(payload)
        return target
