"""batch_predictions: the champion scores each landed file's reviews (SageMaker batch transform),
resumably, with Model Monitor's drift checks on every partition."""

import hashlib
import time
from typing import Literal

import dagster as dg
import mlflow
import pandas as pd

from resources import ArtifactStore, MlflowResource, Warehouse
from sentiment_assets.approval import CHAMPION_ALIAS
from sentiment_assets.defs.deploy_manage.drift_baseline import load_baseline
from sentiment_assets.defs.ingest_analyze.partitions import review_files
from sentiment_assets.models.fast_inference import fast_predict_proba
from sentiment_assets.models.mlflow_model import load_logged_model
from sentiment_assets.monitoring import data_drift, prediction_drift
from sentiment_assets.scoring import SCORING_SOURCE_TABLE, SCORING_TEXT_SQL, score_partition

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


def progress_line(key: str, version: int, done: int, total: int, scored_this_run: int, seconds: float) -> str:
    """A scoring progress line: reviews done of the partition, this run's rate and the time left."""
    rate = scored_this_run / seconds if scored_this_run > 0 and seconds > 0 else 0.0
    left = (total - done) / rate if rate else None
    eta = "unknown" if left is None else f"{int(left // 60)}m {int(left % 60):02d}s"
    share = done / total if total else 1.0
    return (
        f"{key}: {done} / {total} reviews scored by version {version} ({share:.0%}) | {rate:.0f} reviews/s | ETA {eta}"
    )


def reviews_fingerprint(reviews: pd.DataFrame) -> str:
    """16 hex digits that change when the partition's reviews change (and only then)."""
    hashed = pd.util.hash_pandas_object(reviews.sort_values(list(reviews.columns)), index=False)
    return hashlib.blake2b(hashed.to_numpy().tobytes(), digest_size=8).hexdigest()


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
    one landed file (labelled or not, whatever its role), keyed by review and model version, with the sha256 of the text
    it was made from. A run that dies part-way resumes where it stopped (each chunk is committed on its own); a new
    champion adds its own rows; a re-ingested file's changed reviews are scored again and its removed ones lose theirs."""
    key = context.partition_key
    client = mlflow_tracking.client()
    name = mlflow_tracking.registered_model_name
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except mlflow.exceptions.MlflowException as error:
        raise dg.Failure(
            f"no '{CHAMPION_ALIAS}' version of {name} to score with: materialize registered_model "
            f"with a model that passes the accuracy gate first ({error})"
        ) from error
    baseline = load_baseline(artifacts)
    if baseline is None:
        raise dg.Failure("no drift baseline to check predictions against: materialize drift_baseline first")
    version = int(champion.version)
    model = load_logged_model(f"models:/{name}/{version}").model
    onnx_path = artifacts.path("onnx", name, f"v{version}", "model.onnx")
    predict_proba = fast_predict_proba(model, engine=config.engine, onnx_path=onnx_path)

    if (
        warehouse.table_exists(ASSET)
        and warehouse.query(
            "SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = 'source_partition'",
            [ASSET],
        ).empty
    ):
        # Predictions are derived data: a table in the layout before partitioning is rebuilt.
        context.log.warning("dropping %s: written before it was partitioned by source file", ASSET)
        with warehouse.connect() as connection:
            connection.execute(f"DROP TABLE {ASSET}").fetchall()

    started, resumed_from = time.perf_counter(), None

    def progress(done: int, total: int) -> None:
        nonlocal resumed_from
        if resumed_from is None:  # `done` includes what an interrupted run scored before this one
            resumed_from = max(done - config.chunk_size, 0)
        context.log.info(progress_line(key, version, done, total, done - resumed_from, time.perf_counter() - started))

    summary = score_partition(
        warehouse.connect,
        partition_key=key,
        predict_proba=predict_proba,
        model_name=name,
        model_version=version,
        chunk_size=config.chunk_size,
        on_chunk=progress,
    )
    reviews = warehouse.query(
        f"SELECT {SCORING_TEXT_SQL} AS review_body, product_category FROM {SCORING_SOURCE_TABLE} "
        "WHERE source_partition = ?",
        [key],
    )
    predicted = warehouse.query(
        "SELECT predicted_label, count(*) AS n, avg(probability) AS mean_probability FROM batch_predictions "
        "WHERE source_partition = ? AND model_version = ? GROUP BY 1 ORDER BY 1",
        [key, version],
    )
    coverage = summary.coverage  # counted on the scoring connection, after its last chunk

    drift = (
        [
            *data_drift(baseline, reviews),
            prediction_drift(baseline, predicted["predicted_label"].repeat(predicted["n"]).to_numpy()),
        ]
        if len(reviews)
        else []
    )
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
        for result in drift
    ] or [
        dg.AssetCheckResult(check_name=name, passed=True, metadata={"note": "the partition has no reviews"})
        for name in DRIFT_CHECKS
    ]
    drifted = [result.name for result in drift if result.drifted]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(predicted["n"].sum()),
            "table": ASSET,
            "model_version": version,
            "scored_now": summary.scored_now,
            "removed_outdated": summary.removed_outdated,
            "already_scored": summary.already_scored,
            "reviews_per_s": summary.reviews_per_second,
            "predicted_label_counts": dg.MetadataValue.json(
                dict(zip(predicted["predicted_label"].astype(str), predicted["n"].astype(int), strict=False))
            ),
            "drift_detected": bool(drifted),
            "reviews_fingerprint": reviews_fingerprint(reviews),
            "drifted": dg.MetadataValue.json(drifted),
        },
        check_results=[
            dg.AssetCheckResult(check_name=COVERAGE_CHECK, passed=coverage.complete, metadata=coverage.as_metadata()),
            *drift_checks,
        ],
    )
