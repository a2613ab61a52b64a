"""The drift baseline's file in the artifact store: drift_baseline writes it, batch_predictions
checks every scored partition against it.

The file is DriftBaseline.to_json() (a "format" marker and the baseline's fields). Framework-free:
`artifacts` is any object with the artifact store's `path` and `write_bytes`.
"""

from __future__ import annotations

from pathlib import Path

from sentiment_assets.artifact_records import (
    ArtifactFiles,
    MalformedArtifact,
    check_keys,
    missing,
    read_json_object,
    record_from_dict,
)
from sentiment_assets.monitoring.baseline import FORMAT, DriftBaseline

BASELINE_FILE = "monitoring/drift_baseline.json"
WRITTEN_BY = "drift_baseline"


def save_drift_baseline(artifacts: ArtifactFiles, baseline: DriftBaseline) -> Path:
    """Write `baseline` to its file in the store; the local path written."""
    return artifacts.write_bytes(BASELINE_FILE, baseline.to_json().encode())


def read_drift_baseline(path: Path) -> DriftBaseline:
    """The baseline in `path`; MalformedArtifact naming the file and the key otherwise."""
    content = read_json_object(path)
    if content.get("format") != FORMAT:
        raise MalformedArtifact(f"{path}: key 'format' should be {FORMAT!r}, found {content.get('format')!r}")
    check_keys(DriftBaseline, content, str(path), ignore=frozenset({"format"}))
    # Every field checked against its annotation; class_shares' keys are JSON strings until
    # from_json makes them sentiments again.
    record_from_dict(DriftBaseline, {k: v for k, v in content.items() if k != "format"}, str(path))
    try:
        return DriftBaseline.from_json(path.read_text())
    except (ValueError, TypeError) as error:
        raise MalformedArtifact(f"{path}: {error}") from error


def load_drift_baseline(artifacts: ArtifactFiles) -> DriftBaseline:
    """The stored baseline; MissingArtifact (saying to materialize drift_baseline) when there is none."""
    path = artifacts.path(BASELINE_FILE)  # a remote store downloads the file first
    if not path.exists():
        raise missing(BASELINE_FILE, path, WRITTEN_BY)
    return read_drift_baseline(path)
