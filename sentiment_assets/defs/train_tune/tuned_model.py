"""tuned_model: an Optuna study over the leaderboard winner's hyper-parameters."""

from typing import Literal

import dagster as dg
import mlflow
import optuna

from resources import ArtifactStore, ComputeResource, MlflowResource, Warehouse
from resources.optuna_storage import OptunaStorage
from sentiment_assets.defs.feature_reads import read_split
from sentiment_assets.defs.metadata import png_markdown
from sentiment_assets.models.calibration import TemperatureScaled, ece_if_calibrated, expected_calibration_error
from sentiment_assets.models.families import config_from_json
from sentiment_assets.models.mlflow_model import log_sentiment_model
from sentiment_assets.models.tuning import SearchSpace, TransformerSpace, TuningConfig, tune
from sentiment_assets.redaction import redact, redact_url

GROUP = "train_tune"
MODEL_CARD = "models/tuned_model.json"


class TunedModelConfig(dg.Config):
    n_trials: int = 8  # TF-IDF trials take seconds
    transformer_n_trials: int = 2  # each fine-tune trial takes about a minute on 2 CPU cores
    seed: int = 42
    pruner: Literal["median", "hyperband", "none"] = "median"
    # Trials in parallel worker processes sharing the study's RDB storage (SQLite locally; point
    # optuna_storage at PostgreSQL/MySQL to spread workers over machines).
    n_workers: int = 1
    # This run only; None: the optuna_storage resource's URL. Never one with a password: run
    # config is kept with the run and shown in the UI (SENTIMENT_OPTUNA_STORAGE is for those).
    optuna_storage: str | None = None
    # Each run is a new study, warm-started from the best trials of this family's last study.
    warm_start: bool = True
    warm_start_top_k: int = 3
    # Below this many train + validation reviews, single-pass families' trials are judged by
    # stratified k-fold cross-validation (as the candidate round does), not by the split.
    cross_validate_below: int = 1000
    cv_folds: int = 5
    # Transformer search space. MiniLM needs larger steps than BERT-base (measured); the course's
    # BERT-base range is 1e-5..5e-5 with batch sizes {128, 256} on a GPU.
    learning_rate_min: float = 5e-5
    learning_rate_max: float = 4e-4
    batch_sizes: list[int] = [16, 32]
    epochs_min: int = 1
    epochs_max: int = 1  # CPU-sized; 2-3 on a GPU
    warmup_ratio_min: float = 0.0
    warmup_ratio_max: float = 0.2
    weight_decay_min: float = 0.0
    weight_decay_max: float = 0.1
    max_seq_lengths: list[int] = [64]  # [64, 128] on a GPU
    freeze_encoder: list[bool] = [False, True]

    def search_space(self) -> SearchSpace:
        return SearchSpace(
            transformer=TransformerSpace(
                learning_rate=(self.learning_rate_min, self.learning_rate_max),
                batch_sizes=tuple(self.batch_sizes),
                epochs=(self.epochs_min, self.epochs_max),
                warmup_ratio=(self.warmup_ratio_min, self.warmup_ratio_max),
                weight_decay=(self.weight_decay_min, self.weight_decay_max),
                max_seq_lengths=tuple(self.max_seq_lengths),
                freeze_encoder=tuple(self.freeze_encoder),
            )
        )


def calibration_summary(model, calibrated: TemperatureScaled, valid) -> dict[str, float]:
    """The temperature, the validation expected calibration error before and after it, and the
    ECE a perfectly calibrated model would show on this many reviews (the estimator's noise)."""
    labels = valid["label_id"].to_numpy()
    probabilities = calibrated.predict_proba(valid)
    if_calibrated, if_calibrated_p95 = ece_if_calibrated(probabilities)
    return {
        "temperature": calibrated.temperature,
        "validation_reviews": len(valid),
        "val_ece_before": expected_calibration_error(model.predict_proba(valid), labels),
        "val_ece": expected_calibration_error(probabilities, labels),
        "val_ece_if_calibrated": if_calibrated,
        "val_ece_if_calibrated_p95": if_calibrated_p95,
    }


def previous_study(storage_url: str, family: str) -> str | None:
    """The most recently started study of `family` in the storage, if any."""
    summaries = [
        s
        for s in optuna.get_all_study_summaries(storage_url, include_best_trial=False)
        if s.study_name.startswith(f"tuned_model-{family}-") and s.datetime_start is not None
    ]
    return max(summaries, key=lambda s: s.datetime_start).study_name if summaries else None


@dg.asset(group_name=GROUP, kinds={"python", "optuna", "mlflow"}, deps=["candidate_models"])
def tuned_model(
    context: dg.AssetExecutionContext,
    config: TunedModelConfig,
    warehouse: Warehouse,
    artifacts: ArtifactStore,
    mlflow_tracking: MlflowResource,
    compute: ComputeResource,
    optuna_storage: OptunaStorage,
) -> dg.MaterializeResult:
    """The model that goes to evaluation: the best family from the candidate round, tuned with
    Optuna (TPE, pruning on intermediate validation macro-F1) in a persistent study, every trial
    a nested MLflow run. The untuned candidate runs as a trial, so tuning never makes it worse."""
    experiment_id = mlflow_tracking.activate()
    winner = warehouse.read_table("model_leaderboard").sort_values("rank").iloc[0]
    family = winner["family"]
    base = config_from_json(family, winner["config_json"])
    if hasattr(base, "device"):
        base.device = compute.resolve_device()
    n_trials = config.transformer_n_trials if family == "minilm_finetuned" else config.n_trials
    if config.optuna_storage and redact_url(config.optuna_storage) != config.optuna_storage:
        # Not echoed: the message goes to the run's log.
        raise dg.Failure(
            "the optuna_storage run config holds a password or token, and run config is kept with the run "
            "and shown in the UI: set it in SENTIMENT_OPTUNA_STORAGE (the optuna_storage resource) instead, "
            "and change the password that this run's config now shows"
        )
    storage_url = config.optuna_storage or optuna_storage.storage_url(str(artifacts.path("optuna", "optuna.db")))
    warm_start_from = previous_study(storage_url, family) if config.warm_start else None
    study_name = f"tuned_model-{family}-{context.run.run_id[:8]}"
    train, valid = read_split(warehouse, "train"), read_split(warehouse, "validation")
    tuning = TuningConfig(
        n_trials=n_trials,
        seed=config.seed,
        pruner=config.pruner,
        n_workers=min(config.n_workers, n_trials),
        warm_start_from=warm_start_from,
        warm_start_top_k=config.warm_start_top_k,
        cv_folds=config.cv_folds if len(train) + len(valid) < config.cross_validate_below else 0,
    )
    context.log.info("study %s: %d trials of %s (warm start from %s)", study_name, n_trials, family, warm_start_from)

    with mlflow.start_run(run_name=f"tuned_model-{family}", tags={"dagster.run_id": context.run.run_id}) as run:
        result = tune(
            family,
            train,
            valid,
            study_name=study_name,
            storage_url=storage_url,
            models_dir=artifacts.path("optuna", study_name, "x").parent,
            config=tuning,
            space=config.search_space(),
            base_config=base,
        )
        mlflow.log_params(
            redact({"family": family, "n_trials": n_trials, "study": study_name, **result.best_model.params()})
        )
        mlflow.log_metrics(
            {f"val_{k}": v for k, v in result.best_scores.items()}
            | {"trials_pruned": result.n_pruned, "trials_complete": result.n_complete}
        )
        for path in result.plots.paths.values():
            mlflow.log_artifact(str(path), artifact_path="optuna")
        # Probabilities people can act on: one temperature, fitted on validation (winners unchanged).
        calibrated = TemperatureScaled.fitted_on(result.best_model, valid)
        calibration = calibration_summary(result.best_model, calibrated, valid)
        mlflow.log_metrics({k: v for k, v in calibration.items() if k != "validation_reviews"})
        model_info = log_sentiment_model(calibrated)

    card = {
        "family": family,
        "run_id": run.info.run_id,
        "experiment_id": experiment_id,
        "model_uri": model_info.model_uri,
        "validation": result.best_scores | {"trial_number": result.best_trial_number},
        "evaluation": result.evaluation,
        "calibration": calibration,
        "params": result.best_model.params(),
        "study": {
            "name": study_name,
            "storage": redact_url(storage_url),
            "trials": len(result.study.trials),
            "warm_start_from": warm_start_from,
        },
    }
    card_path = artifacts.write_json(MODEL_CARD, redact(card))
    plots = {
        f"plot_{name}": png_markdown(path.read_bytes(), name.replace("_", " ").capitalize())
        for name, path in result.plots.paths.items()
    }
    return dg.MaterializeResult(
        metadata={
            "family": family,
            "val_macro_f1": result.best_scores["macro_f1"],
            "val_accuracy": result.best_scores["accuracy"],
            "evaluation": result.evaluation,
            "candidate_val_macro_f1": float(winner["val_macro_f1"]),
            "calibration_temperature": calibration["temperature"],
            "val_ece_before_calibration": calibration["val_ece_before"],
            "val_ece": calibration["val_ece"],
            "val_ece_if_perfectly_calibrated": calibration["val_ece_if_calibrated"],
            "calibration_validation_reviews": calibration["validation_reviews"],
            "best_trial": result.best_trial_number,
            "best_params": dg.MetadataValue.json(result.best_params),
            "trials_this_run": n_trials,
            "trials_complete": result.n_complete,
            "trials_pruned": result.n_pruned,
            "trials_failed": result.n_failed,
            "warm_start_from": warm_start_from or "none (first study of this family)",
            "optuna_storage": redact_url(storage_url),  # the password stays in the resource
            "plots_not_drawn": dg.MetadataValue.json(result.plots.skipped),
            **plots,
            "model_uri": model_info.model_uri,
            "model_card": dg.MetadataValue.path(str(card_path)),
            "mlflow_run": dg.MetadataValue.url(mlflow_tracking.run_link(experiment_id, run.info.run_id)),
        }
    )
