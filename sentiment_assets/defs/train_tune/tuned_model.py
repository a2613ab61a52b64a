"""tuned_model: an Optuna study over the leaderboard winner's hyper-parameters.

Optuna, MLflow and the model families are imported when the study is planned and run, not when
the code location loads."""

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import dagster as dg
import pandas as pd

from resources import ArtifactStore, ComputeResource, MlflowResource, Warehouse
from resources.optuna_storage import OptunaStorage
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.metadata import png_markdown
from sentiment_assets.features.training_splits import FEATURE_GROUP_LABEL, FEATURE_TABLE, read_split
from sentiment_assets.lineage.records import base_model_identity, record_training_lineage, training_lineage
from sentiment_assets.redaction import redact_url
from sentiment_assets.timestamps import naive_utc

if TYPE_CHECKING:
    from sentiment_assets.models.tuning import SearchSpace
    from sentiment_assets.models.tuning.winner import StudyPlan, TunedModel

GROUP = "train_tune"


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
    max_seq_lengths: list[int] = [64]  # in tokens; [64, 128] on a GPU
    freeze_encoder: list[bool] = [False, True]

    def search_space(self) -> "SearchSpace":
        from sentiment_assets.models.tuning import SearchSpace, TransformerSpace

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

    def study_plan(
        self, leaderboard: pd.DataFrame, reviews: int, device: str, storage_url: str, run_id: str
    ) -> "StudyPlan":
        """This run's study of the leaderboard's winner; `reviews`: train + validation reviews."""
        from sentiment_assets.models.tuning import TuningConfig
        from sentiment_assets.models.tuning.winner import TRANSFORMER_FAMILY, StudyPlan, previous_study, winner_of

        family, base, candidate_val_macro_f1 = winner_of(leaderboard, device)
        n_trials = self.transformer_n_trials if family == TRANSFORMER_FAMILY else self.n_trials
        return StudyPlan(
            family=family,
            base_config=base,
            candidate_val_macro_f1=candidate_val_macro_f1,
            study_name=f"tuned_model-{family}-{run_id[:8]}",
            storage_url=storage_url,
            tuning=TuningConfig(
                n_trials=n_trials,
                seed=self.seed,
                pruner=self.pruner,
                n_workers=min(self.n_workers, n_trials),
                warm_start_from=previous_study(storage_url, family) if self.warm_start else None,
                warm_start_top_k=self.warm_start_top_k,
                cv_folds=self.cv_folds if reviews < self.cross_validate_below else 0,
            ),
        )

    def check_storage_url(self) -> None:
        """Fail the run when the run config's storage URL holds a password (not echoed: the
        message goes to the run's log)."""
        if self.optuna_storage and redact_url(self.optuna_storage) != self.optuna_storage:
            raise dg.Failure(
                "the optuna_storage run config holds a password or token, and run config is kept with the run "
                "and shown in the UI: set it in SENTIMENT_OPTUNA_STORAGE (the optuna_storage resource) instead, "
                "and change the password that this run's config now shows"
            )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "optuna", "mlflow"},
    deps=["candidate_models"],
    automation_condition=follow_upstream(),
)
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
    from sentiment_assets.models.tuning.winner import tune_winner

    experiment_id = mlflow_tracking.activate()
    leaderboard = warehouse.read_table("model_leaderboard")
    config.check_storage_url()
    storage_url = config.optuna_storage or optuna_storage.storage_url(str(artifacts.path("optuna", "optuna.db")))
    read_at = naive_utc().isoformat()  # the feature store as of now: what the study trains on
    train, valid = read_split(warehouse, "train"), read_split(warehouse, "validation")
    plan = config.study_plan(
        leaderboard, len(train) + len(valid), compute.resolve_device(), storage_url, context.run.run_id
    )
    context.log.info(
        "study %s: %d trials of %s (warm start from %s)",
        plan.study_name,
        plan.n_trials,
        plan.family,
        plan.warm_start_from,
    )
    tuned = tune_winner(
        plan,
        train,
        valid,
        models_dir=artifacts.path("optuna", plan.study_name, "x").parent,
        space=config.search_space(),
        experiment_id=experiment_id,
        run_tags={"dagster.run_id": context.run.run_id},
    )
    seed = tuned.card.params.get("seed")
    record_training_lineage(
        mlflow_tracking.client(),
        tuned.card.run_id,
        training_lineage(
            warehouse,
            train,
            family=plan.family,
            feature_group=FEATURE_GROUP_LABEL,
            seed=int(seed) if seed is not None else None,
            base_model=base_model_identity(plan.family),
            read_at=read_at,
            config=tuned.card.params,
            calibrated=True,
            feature_table=FEATURE_TABLE,
            # A transformer's steps and how its training ended (saved with the best trial's model).
            steps=getattr(tuned.result.best_model, "steps", None),
            stop_reason=getattr(tuned.result.best_model, "stop_reason", None),
        ),
    )
    card_path = tuned.card.save(artifacts)  # model_evaluation scores the model it names
    mlflow_run = mlflow_tracking.run_link(experiment_id, tuned.card.run_id)
    return dg.MaterializeResult(metadata=tuned_model_metadata(tuned, card_path, mlflow_run))


def tuned_model_metadata(tuned: "TunedModel", card_path: Path, mlflow_run: str) -> dict:
    """What the asset's materialization shows: the tuned scores, the calibration, the study."""
    plan, result, card = tuned.plan, tuned.result, tuned.card
    calibration = card.calibration
    plots = {
        f"plot_{name}": png_markdown(path.read_bytes(), name.replace("_", " ").capitalize())
        for name, path in result.plots.paths.items()
    }
    return {
        "family": plan.family,
        "val_macro_f1": result.best_scores["macro_f1"],
        "val_accuracy": result.best_scores["accuracy"],
        "evaluation": result.evaluation,
        "candidate_val_macro_f1": plan.candidate_val_macro_f1,
        "calibration_temperature": calibration.temperature,
        "calibration_class_bias": dg.MetadataValue.json(calibration.class_bias),
        "val_ece_before_calibration": calibration.val_ece_before,
        "val_ece": calibration.val_ece,
        # Calibration fitted on the other validation folds: the figure that does not flatter.
        "val_ece_cross_fitted": calibration.val_ece_cross_fitted,
        "val_ece_if_perfectly_calibrated": calibration.val_ece_if_calibrated,
        "calibration_validation_reviews": calibration.validation_reviews,
        "best_trial": result.best_trial_number,
        "best_params": dg.MetadataValue.json(result.best_params),
        "trials_this_run": plan.n_trials,
        "trials_complete": result.n_complete,
        "trials_pruned": result.n_pruned,
        "trials_failed": result.n_failed,
        "warm_start_from": plan.warm_start_from or "none (first study of this family)",
        "optuna_storage": redact_url(plan.storage_url),  # the password stays in the resource
        "plots_not_drawn": dg.MetadataValue.json(result.plots.skipped),
        **plots,
        "model_uri": card.model_uri,
        "model_card": dg.MetadataValue.path(str(card_path)),
        "mlflow_run": dg.MetadataValue.url(mlflow_run),
    }
