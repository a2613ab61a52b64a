"""The chain from a prediction back to the raw files: prediction -> model version (alias,
approval status) -> training run (params, metrics) -> feature group, the point in time it was
read at and the train split's fingerprint -> the raw files and their sha256.

No Dagster here: `client` is an MlflowClient, `warehouse` anything with the warehouse contract's
`read_table` and `table_exists`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sentiment_assets.lineage.records import (
    SOURCE_FILES_TABLE,
    LineageWarehouse,
    SourceFile,
    TrainingLineage,
    iso_timestamp,
    load_training_lineage,
    source_files_of,
)
from sentiment_assets.registry.approval import APPROVAL_TAG

PREDICTIONS_TABLE = "batch_predictions"


class LineageNotFound(LookupError):
    """No prediction, model version or run where the chain points."""


@dataclass(frozen=True)
class ModelChain:
    """A registered model version and what it came from."""

    model_name: str
    version: int
    aliases: list[str]
    approval_status: str | None
    run_id: str | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    training: TrainingLineage | None = None  # None: registered before lineage was recorded


@dataclass(frozen=True)
class PredictionChain:
    """One stored prediction of a review, the file its review came from, and its model's chain."""

    review_id: str
    source_partition: str
    predicted_label: int
    probability: float
    scored_at: str
    review_files: list[SourceFile]  # the files of the prediction's partition, as ingested
    model: ModelChain


def model_chain(client, model_name: str, version: int) -> ModelChain:
    """The chain of registered version `version` of `model_name`."""
    from mlflow.exceptions import MlflowException

    try:
        found = client.get_model_version(model_name, str(version))
    except MlflowException as error:
        raise LineageNotFound(f"no version {version} of registered model {model_name!r}") from error
    run_id = found.run_id or None
    params, metrics = {}, {}
    if run_id is not None:
        run = client.get_run(run_id)
        params, metrics = dict(run.data.params), dict(run.data.metrics)
    return ModelChain(
        model_name=model_name,
        version=int(found.version),
        aliases=sorted(found.aliases or []),
        approval_status=(found.tags or {}).get(APPROVAL_TAG),
        run_id=run_id,
        params=params,
        metrics=metrics,
        training=load_training_lineage(client, run_id) if run_id else None,
    )


def partition_source_files(warehouse: LineageWarehouse, partition: str) -> list[SourceFile]:
    """The raw files of one partition as ingested (empty when none was recorded)."""
    if not warehouse.table_exists(SOURCE_FILES_TABLE):
        return []
    return source_files_of(warehouse.read_table(SOURCE_FILES_TABLE, where={"source_partition": partition}))


def prediction_chains(
    warehouse: LineageWarehouse, client, review_id: str, partition: str | None = None
) -> list[PredictionChain]:
    """Every stored prediction of `review_id` (in `partition` when given), newest model version
    first, each with its chain; LineageNotFound when there is none."""
    where: dict[str, object] = {"review_id": review_id}
    if partition is not None:
        where["source_partition"] = partition
    rows = (
        warehouse.read_table(PREDICTIONS_TABLE, where=where)
        if warehouse.table_exists(PREDICTIONS_TABLE)
        else pd.DataFrame()
    )
    if rows.empty:
        place = f" in partition {partition!r}" if partition is not None else ""
        raise LineageNotFound(f"no prediction of review {review_id!r}{place} in {PREDICTIONS_TABLE}")
    rows = rows.sort_values("model_version", ascending=False, ignore_index=True)
    return [
        PredictionChain(
            review_id=str(row["review_id"]),
            source_partition=str(row["source_partition"]),
            predicted_label=int(row["predicted_label"]),
            probability=float(row["probability"]),
            scored_at=iso_timestamp(row["scored_at"]),
            review_files=partition_source_files(warehouse, str(row["source_partition"])),
            model=model_chain(client, str(row["model_name"]), int(row["model_version"])),
        )
        for _, row in rows.iterrows()
    ]


def format_model_chain(chain: ModelChain, indent: str = "") -> str:
    lines = [
        f"{indent}model version: {chain.model_name} v{chain.version}"
        f"  aliases: {', '.join(chain.aliases) or '-'}  approval: {chain.approval_status or '-'}",
        f"{indent}  training run: {chain.run_id or '- (not recorded)'}",
    ]
    if chain.params:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(chain.params.items()))
        lines.append(f"{indent}    params: {shown}")
    wanted = [k for k in ("val_macro_f1", "val_accuracy", "test_macro_f1", "test_accuracy") if k in chain.metrics]
    if wanted:
        lines.append(f"{indent}    metrics: " + ", ".join(f"{k}={chain.metrics[k]:.4f}" for k in wanted))
    training = chain.training
    if training is None:
        lines.append(f"{indent}  data: not recorded (a run from before lineage was kept)")
        return "\n".join(lines)
    lines += [
        f"{indent}  family: {training.family}  seed: {training.seed}  base model: {training.base_model or '-'}",
        f"{indent}  code: {training.code_version}",
        f"{indent}  feature group: {training.feature_group}, read as of {training.features_read_at}"
        + (f", table snapshot {training.feature_snapshot}" if training.feature_snapshot is not None else ""),
        f"{indent}    train split: {training.train_reviews} reviews, fingerprint {training.train_fingerprint}",
    ]
    if training.steps is not None:
        lines.append(f"{indent}    trained {training.steps} steps, ended: {training.stop_reason or '-'}")
    lines.append(f"{indent}  raw files ({len(training.source_files)}):")
    lines += [
        f"{indent}    {f.source_partition}: {f.source_file}  sha256 {f.sha256}  {f.size_bytes} bytes"
        f"  ingested {f.ingested_at}"
        for f in training.source_files
    ]
    return "\n".join(lines)


def format_prediction_chain(chain: PredictionChain) -> str:
    lines = [
        f"prediction: review {chain.review_id} in {chain.source_partition}: label {chain.predicted_label} "
        f"(probability {chain.probability:.3f}), scored {chain.scored_at}",
    ]
    lines += [f"  review's file: {f.source_file}  sha256 {f.sha256}  {f.size_bytes} bytes" for f in chain.review_files]
    lines.append(format_model_chain(chain.model, indent="  "))
    return "\n".join(lines)
