"""train_tune: Autopilot-style candidates and their leaderboard.

MLflow and scikit-learn are imported inside the functions that use them, when the asset runs."""

import json
from dataclasses import asdict
from typing import cast

import dagster as dg
import pandas as pd

from resources import ArtifactStore, ComputeResource, MlflowResource, Warehouse
from sentiment_assets.defs.automation_conditions import nightly_retraining
from sentiment_assets.defs.feature_reads import read_holdout
from sentiment_assets.defs.metadata import frame_markdown, table_metadata
from sentiment_assets.defs.train_tune.candidates import CandidateModelsConfig, build_candidate
from sentiment_assets.features.training_splits import FEATURE_GROUP_LABEL, FEATURE_TABLE, read_split
from sentiment_assets.lineage.records import base_model_identity, record_training_lineage, training_lineage
from sentiment_assets.models.base import EpochReport
from sentiment_assets.models.model_card import FinetunedModelCard
from sentiment_assets.redaction import redact
from sentiment_assets.timestamps import naive_utc

GROUP = "train_tune"
SHOWN_COLUMNS = [
    "rank",
    "family",
    "val_accuracy",
    "val_macro_f1",
    "val_macro_f1_low",
    "val_macro_f1_high",
    "validation_reviews",
    "evaluation",
    "val_balanced_accuracy",
    "train_seconds",
    "inference_reviews_per_s",
    "time_budget_s",
    "stopped_by_budget",
    "over_budget",
]
LEADERBOARD_HOLDOUT_COLUMNS = ["holdout_reviews", "holdout_accuracy", "holdout_macro_f1"]


def columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """frame[names]; pandas annotates __getitem__ for any key, and a list of names gives a DataFrame."""
    return cast(pd.DataFrame, frame[names])


def holdout_row(predict_label_ids, holdout: pd.DataFrame) -> dict:
    """The leaderboard's holdout columns for one candidate (pooled over every holdout file)."""
    from sentiment_assets.models.holdout import holdout_scores, pooled

    scores = pooled(holdout_scores(predict_label_ids, holdout))
    return (
        {
            "holdout_reviews": scores["reviews"],
            "holdout_accuracy": scores["accuracy"],
            "holdout_macro_f1": scores["macro_f1"],
        }
        if scores
        else {}
    )


def _log_epoch(report: EpochReport) -> None:
    import mlflow

    mlflow.log_metrics(report.metrics, step=report.epoch)


def finetuned_row(card: FinetunedModelCard) -> dict:
    """The finetuned_minilm asset's result in the leaderboard's shape."""
    metrics = card.metrics
    return {
        "family": card.family,
        "val_accuracy": metrics.get("val_accuracy"),
        "val_macro_f1": metrics.get("val_macro_f1"),
        "val_balanced_accuracy": metrics.get("val_balanced_accuracy"),
        "train_seconds": metrics.get("train_seconds"),
        "inference_reviews_per_s": card.inference_reviews_per_s,
        "validation_reviews": card.validation_reviews,
        "time_budget_s": card.config.get("max_seconds"),
        "stopped_by_budget": bool(metrics.get("stopped_early", False)),
        "over_budget": False,  # the loop stops itself at the budget
        "run_id": card.run_id,
        "model_uri": card.model_uri,
        "config_json": card.config_json,
    }


@dg.asset(
    group_name=GROUP,
    kinds={"python", "scikitlearn", "pytorch", "mlflow"},
    deps=["feature_store", "finetuned_minilm", "holdout_reviews"],
    automation_condition=nightly_retraining(),
)
def candidate_models(
    context: dg.AssetExecutionContext,
    config: CandidateModelsConfig,
    warehouse: Warehouse,
    artifacts: ArtifactStore,
    mlflow_tracking: MlflowResource,
    compute: ComputeResource,
) -> dg.MaterializeResult:
    """Autopilot's job: several model families -- TF-IDF with logistic regression, a linear SVM
    and gradient boosting, frozen MiniLM embeddings with a linear head, and the fine-tuned MiniLM
    -- each trained within a time budget on the feature store's train split, judged on the
    validation split. The leaderboard's winner (by the configured objective) gets tuned."""
    import mlflow

    from sentiment_assets.models.leaderboard import leaderboard_row, rank_candidates, run_candidate
    from sentiment_assets.models.metrics import macro_f1_interval
    from sentiment_assets.models.mlflow_model import load_logged_model, log_sentiment_model, pyfunc_label_ids

    config.check()
    experiment_id = mlflow_tracking.activate()
    read_at = naive_utc().isoformat()  # the feature store as of now: what every candidate trains on
    train, valid = read_split(warehouse, "train"), read_split(warehouse, "validation")
    holdout = read_holdout(warehouse)  # files kept back: scored, never trained on
    cv_folds = config.cv_folds if len(train) + len(valid) < config.cross_validate_below else 0
    rows = []
    with mlflow.start_run(run_name="candidate_models", tags={"dagster.run_id": context.run.run_id}) as parent:
        for family in config.families:
            candidate = build_candidate(family, config, compute.resolve_device())
            model = candidate.model
            context.log.info(
                "candidate %s: training on %d reviews (budget %s s)",
                family,
                len(train),
                config.time_budget_s.get(family, "none"),
            )
            with mlflow.start_run(run_name=f"candidate-{family}", nested=True) as run:
                mlflow.log_params(redact({"family": family, **model.params()}))
                result = run_candidate(model, train, valid, on_epoch_end=_log_epoch, cv_folds=cv_folds)
                figures = {k: v for k, v in asdict(result).items() if isinstance(v, (int, float)) and v is not None}
                mlflow.log_metrics({k: float(v) for k, v in figures.items()})
                model_info = log_sentiment_model(model)
            record_training_lineage(
                mlflow_tracking.client(),
                run.info.run_id,
                training_lineage(
                    warehouse,
                    train,
                    family=family,
                    feature_group=FEATURE_GROUP_LABEL,
                    seed=config.seed,
                    base_model=base_model_identity(family),
                    read_at=read_at,
                    config=model.params(),
                    feature_table=FEATURE_TABLE,
                ),
            )
            context.log.info(
                "candidate %s: val macro-F1 %.3f in %.1f s", family, result.val_macro_f1, result.train_seconds
            )
            rows.append(
                {
                    **leaderboard_row(family, result),
                    "run_id": run.info.run_id,
                    "model_uri": model_info.model_uri,
                    "config_json": json.dumps(asdict(candidate.settings)),
                    **holdout_row(lambda reviews, model=model: model.predict_proba(reviews).argmax(axis=1), holdout),
                }
            )
    card = FinetunedModelCard.load_if_present(artifacts) if config.include_finetuned_minilm else None
    if card is not None:
        predict = pyfunc_label_ids(load_logged_model(card.model_uri))
        low, high = macro_f1_interval(valid["label_id"].to_numpy(), predict(columns(valid, ["review_body"])))
        rows.append(
            {
                **finetuned_row(card),
                "val_macro_f1_low": low,
                "val_macro_f1_high": high,
                "evaluation": "validation split",
                **holdout_row(predict, holdout),
            }
        )
    if not rows:
        raise dg.Failure("candidate_models has no candidate: set families or include_finetuned_minilm")
    leaderboard = rank_candidates(pd.DataFrame(rows), config.objective, config.tie_breaker)
    warehouse.write_table("model_leaderboard", leaderboard)
    shown = columns(leaderboard, SHOWN_COLUMNS + (LEADERBOARD_HOLDOUT_COLUMNS if len(holdout) else []))
    return dg.MaterializeResult(
        metadata={
            **table_metadata(leaderboard, "model_leaderboard"),
            "leaderboard": frame_markdown(shown, floatfmt=".3f"),
            "winner": leaderboard.loc[0, "family"],
            "objective": config.objective,
            "train_reviews": len(train),
            "validation_reviews": len(valid),
            "evaluation": (
                f"{cv_folds}-fold cross-validation over {len(train) + len(valid)} reviews (in-process families)"
                if cv_folds
                else "validation split"
            ),
            "holdout_reviews": len(holdout),
            "mlflow_run": dg.MetadataValue.url(mlflow_tracking.run_link(experiment_id, parent.info.run_id)),
        }
    )
