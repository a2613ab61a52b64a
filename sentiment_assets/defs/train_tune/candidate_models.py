"""train_tune: Autopilot-style candidates, then Optuna tuning of the winning family."""


import json
import time
from dataclasses import asdict

import dagster as dg
import mlflow
import pandas as pd

from resources import ComputeResource, DuckDBWarehouse, LocalArtifactStore, MlflowResource
from sentiment_assets.defs.feature_reads import read_split
from sentiment_assets.defs.metadata import frame_markdown, table_metadata
from sentiment_assets.defs.train_tune.candidates import CandidateModelsConfig, build_candidate
from sentiment_assets.models.base import EpochReport
from sentiment_assets.models.metrics import classification_scores
from sentiment_assets.models.mlflow_model import log_sentiment_model

GROUP = "train_tune"


def _log_epoch(report: EpochReport) -> None:
    mlflow.log_metrics(report.metrics, step=report.epoch)


@dg.asset(group_name=GROUP, kinds={"python", "scikitlearn", "pytorch", "mlflow"}, deps=["feature_store"])
def candidate_models(
    context: dg.AssetExecutionContext,
    config: CandidateModelsConfig,
    warehouse: DuckDBWarehouse,
    mlflow_tracking: MlflowResource,
    compute: ComputeResource,
) -> dg.MaterializeResult:
    """Autopilot's job: try several model families on the feature store's train split and rank
    them on the validation split (macro-F1). The leaderboard decides which family gets tuned."""
    experiment_id = mlflow_tracking.activate()
    train, valid = read_split(warehouse, "train"), read_split(warehouse, "validation")
    rows = []
    with mlflow.start_run(run_name="candidate_models", tags={"dagster.run_id": context.run.run_id}) as parent:
        for family in config.families:
            model = build_candidate(family, config, compute.resolve_device())
            context.log.info("training candidate %s on %d reviews", family, len(train))
            with mlflow.start_run(run_name=f"candidate-{family}", nested=True) as run:
                mlflow.log_params({"family": family, **model.params()})
                started = time.perf_counter()
                model.fit(train, valid, on_epoch_end=_log_epoch)
                train_seconds = time.perf_counter() - started
                started = time.perf_counter()
                predicted = model.predict(valid)
                reviews_per_second = len(valid) / max(time.perf_counter() - started, 1e-9)
                scores = {f"val_{k}": v for k, v in classification_scores(valid["label_id"].to_numpy(), predicted).items()}
                mlflow.log_metrics({**scores, "train_seconds": train_seconds, "inference_reviews_per_s": reviews_per_second})
                model_info = log_sentiment_model(model)
            rows.append({
                "family": family, **scores, "train_seconds": train_seconds,
                "inference_reviews_per_s": reviews_per_second, "run_id": run.info.run_id,
                "model_uri": model_info.model_uri, "config_json": json.dumps(asdict(model.config)),
            })
    leaderboard = pd.DataFrame(rows).sort_values(config.objective, ascending=False).reset_index(drop=True)
    leaderboard.insert(0, "rank", range(1, len(leaderboard) + 1))
    warehouse.write_table("model_leaderboard", leaderboard)
    shown = leaderboard[["rank", "family", "val_accuracy", "val_macro_f1", "val_balanced_accuracy", "train_seconds", "inference_reviews_per_s"]]
    return dg.MaterializeResult(metadata={
        **table_metadata(leaderboard, "model_leaderboard"),
        "leaderboard": frame_markdown(shown, floatfmt=".3f"),
        "winner": leaderboard.loc[0, "family"],
        "objective": config.objective,
        "train_reviews": len(train),
        "validation_reviews": len(valid),
        "mlflow_run": dg.MetadataValue.url(mlflow_tracking.run_link(experiment_id, parent.info.run_id)),
    })
