"""batch_predictions: the champion scores each landed file's reviews (SageMaker batch transform),
resumably, with Model Monitor's drift checks on every partition.

The scoring engines (torch, ONNX Runtime, MLflow) are imported when a partition is scored, not
when the code location loads."""

from typing import TYPE_CHECKING, Literal

import dagster as dg

from resources import ArtifactStore, MlflowResource, Warehouse
from sentiment_assets.artifact_records import MissingArtifact
from sentiment_assets.defs.automation_conditions import score_landed_files_and_new_champions
from sentiment_assets.defs.ingest_analyze.partitions import review_files
from sentiment_assets.registry.approval import CHAMPION_ALIAS

if TYPE_CHECKING:
    from sentiment_assets.monitoring import DriftBaseline
    from sentiment_assets.monitoring.scored_partition import ScoredPartition

GROUP = "deploy_manage"
ASSET = "batch_predictions"
COVERAGE_CHECK = "every_accepted_review_scored_once"
# One WARN check per drift statistic: drift is a reason to look (and maybe retrain), not to
# withhold predictions.
DRIFT_CHECKS = {
    "review_length_psi": "Review length (words) vs training: population stability index below 0.2.",
    "review_length_ks": "Review length vs training: Kolmogorov-Smirnov statistic below 0.1.",
    "category_mix_psi": "Product category mix vs training: population stability index below 0.2.",
    "oov_rate": "Share of words unseen in training rose by less than 5 points.",
    "prediction_class_psi": "Predicted sentiment shares vs training sentiment shares: PSI below 0.2.",
}


class BatchPredictionsConfig(dg.Config):
    chunk_size: int = 2048  # reviews scored and committed at a time: memory bound and resume unit
    # How a transformer champion scores on the CPU: "torch" (fp32), "torch_int8" (int8 Linear
    # layers) or "onnxruntime_int8" (fused ONNX Runtime graph, int8, exported once per model
    # version into the artifact store). The int8 engines are faster and change a few labels: see
    # benchmarks/batch_inference_vs_pipeline.py for the measured speed and macro-F1.
    engine: Literal["torch", "torch_int8", "onnxruntime_int8"] = "torch"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "mlflow", "duckdb"},
    # Straight from the file's accepted rows: scoring needs no label, no category and no dbt
    # rebuild, and no training-only filter (category size, balancing) can leave a review out.
    deps=["registered_model", "raw_reviews", "drift_baseline"],
    partitions_def=review_files,
    automation_condition=score_landed_files_and_new_champions(),
    check_specs=[
        dg.AssetCheckSpec(
            COVERAGE_CHECK,
            asset=ASSET,
            blocking=True,
            description="One prediction per accepted review of the partition (raw_reviews) for the champion "
            "version, made from the review's current text; no prediction of the partition (any "
            "version) for a text its review no longer has, or for a review it no longer holds.",
        ),
        *[dg.AssetCheckSpec(name, asset=ASSET, description=description) for name, description in DRIFT_CHECKS.items()],
    ],
)
def batch_predictions(
    context: dg.AssetExecutionContext,
    config: BatchPredictionsConfig,
    warehouse: Warehouse,
    artifacts: ArtifactStore,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    """The champion's predicted sentiment (-1/0/1) and its probability for every accepted review of
    one landed file (labelled or not, whatever its role), keyed by review and model version, with the
    sha256 of the text it was made from. A run that dies part-way resumes where it stopped (each chunk
    is committed on its own); a new champion adds its own rows; a re-ingested file's changed reviews
    are scored again and its removed ones lose theirs."""
    from sentiment_assets.monitoring.scored_partition import (
        drop_predictions_table,
        predictions_table_unpartitioned,
        registered_predict_proba,
        score_and_check_partition,
    )

    name = mlflow_tracking.registered_model_name
    version = champion_version(mlflow_tracking, name)
    baseline = training_baseline(artifacts)
    onnx_path = artifacts.path("onnx", name, f"v{version}", "model.onnx")
    predict_proba = registered_predict_proba(name, version, config.engine, onnx_path)
    if predictions_table_unpartitioned(warehouse):
        # Predictions are derived data: a table in the layout before partitioning is rebuilt.
        context.log.warning("dropping %s: written before it was partitioned by source file", ASSET)
        drop_predictions_table(warehouse)
    scored = score_and_check_partition(
        warehouse,
        context.partition_key,
        predict_proba,
        baseline,
        model_name=name,
        model_version=version,
        chunk_size=config.chunk_size,
        log=context.log.info,
    )
    result = materialization(scored)
    return result._replace(
        metadata={**(result.metadata or {}), **provenance_metadata(warehouse, mlflow_tracking, scored)}
    )


def provenance_metadata(warehouse: Warehouse, mlflow_tracking: MlflowResource, scored: "ScoredPartition") -> dict:
    """Where this partition's predictions came from: the model version and its training run, and
    the file's bytes as ingested (`sentiment-assets lineage prediction REVIEW_ID` prints the rest)."""
    from sentiment_assets.lineage.chain import partition_source_files

    client = mlflow_tracking.client()
    name = mlflow_tracking.registered_model_name
    version = client.get_model_version(name, str(scored.model_version))
    metadata: dict = {
        "model_version": scored.model_version,
        "model_link": dg.MetadataValue.url(mlflow_tracking.model_link(scored.model_version)),
    }
    if version.run_id:
        experiment_id = client.get_run(version.run_id).info.experiment_id
        metadata["training_run"] = dg.MetadataValue.url(mlflow_tracking.run_link(experiment_id, version.run_id))
    files = partition_source_files(warehouse, scored.partition)
    if files:
        metadata["source_files"] = dg.MetadataValue.json(
            {f.source_file: {"sha256": f.sha256, "size_bytes": f.size_bytes} for f in files}
        )
    return metadata


def champion_version(mlflow_tracking: MlflowResource, name: str) -> int:
    """The registered version the champion alias points at; the run fails without one."""
    from mlflow.exceptions import MlflowException

    try:
        return int(mlflow_tracking.client().get_model_version_by_alias(name, CHAMPION_ALIAS).version)
    except MlflowException as error:
        raise dg.Failure(
            f"no '{CHAMPION_ALIAS}' version of {name} to score with: materialize registered_model "
            f"with a model that passes the accuracy gate first ({error})"
        ) from error


def training_baseline(artifacts: ArtifactStore) -> "DriftBaseline":
    """The training baseline the predictions are checked against; the run fails without one."""
    from sentiment_assets.monitoring.baseline_file import load_drift_baseline

    try:
        return load_drift_baseline(artifacts)
    except MissingArtifact as error:
        raise dg.Failure("no drift baseline to check predictions against: materialize drift_baseline first") from error


def materialization(scored: "ScoredPartition", provenance: dict | None = None) -> dg.MaterializeResult:
    """The partition's scoring figures, its coverage check and one WARN check per drift statistic."""
    summary, coverage = scored.summary, scored.coverage
    drift_checks = [
        dg.AssetCheckResult(
            check_name=result.name,
            passed=not result.drifted,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "statistic": result.statistic,
                "threshold": result.threshold,
                "details": dg.MetadataValue.json(result.details),
            },
        )
        for result in scored.drift
    ] or [
        dg.AssetCheckResult(check_name=name, passed=True, metadata={"note": "the partition has no reviews"})
        for name in DRIFT_CHECKS
    ]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(scored.predicted["n"].sum()),
            "table": ASSET,
            "model_version": scored.model_version,
            "scored_now": summary.scored_now,
            "removed_outdated": summary.removed_outdated,
            "already_scored": summary.already_scored,
            "reviews_per_s": summary.reviews_per_second,
            "predicted_label_counts": dg.MetadataValue.json(scored.predicted_label_counts()),
            "drift_detected": bool(scored.drifted),
            "reviews_fingerprint": scored.reviews_fingerprint,
            "drifted": dg.MetadataValue.json(scored.drifted),
            **(provenance or {}),
        },
        check_results=[
            dg.AssetCheckResult(check_name=COVERAGE_CHECK, passed=coverage.complete, metadata=coverage.as_metadata()),
            *drift_checks,
        ],
    )
