"""tuned_model: an Optuna study over the leaderboard winner's main hyper-parameters."""


import dagster as dg
import mlflow

from resources import ComputeResource, DuckDBWarehouse, LocalArtifactStore, MlflowResource
from sentiment_assets.defs.feature_reads import read_split
from sentiment_assets.models.families import config_from_json
from sentiment_assets.models.mlflow_model import log_sentiment_model
from sentiment_assets.models.tuning import SearchSpace, tune

GROUP = "train_tune"
MODEL_CARD = "models/tuned_model.json"


class TunedModelConfig(dg.Config):
    n_trials: int = 8  # TF-IDF trials take seconds
    transformer_n_trials: int = 2  # each fine-tune trial takes about a minute on 2 CPU cores
    seed: int = 42
    # Transformer search space; the course's BERT-base range is 1e-5..5e-5 with batch {128, 256}.
    learning_rate_min: float = 5e-5
    learning_rate_max: float = 4e-4
    batch_sizes: list[int] = [16, 32]


@dg.asset(group_name=GROUP, kinds={"python", "optuna", "mlflow"}, deps=["candidate_models"])
def tuned_model(
    context: dg.AssetExecutionContext,
    config: TunedModelConfig,
    warehouse: DuckDBWarehouse,
    artifacts: LocalArtifactStore,
    mlflow_tracking: MlflowResource,
    compute: ComputeResource,
) -> dg.MaterializeResult:
    """The model that goes to evaluation: the best family from the candidate round, tuned with
    Optuna (TPE) on validation macro-F1, its study kept in a SQLite Optuna storage."""
    experiment_id = mlflow_tracking.activate()
    winner = warehouse.read_table("model_leaderboard").sort_values("rank").iloc[0]
    family = winner["family"]
    base = config_from_json(family, winner["config_json"])
    if hasattr(base, "device"):
        base.device = compute.resolve_device()
    n_trials = config.transformer_n_trials if family == "minilm_finetuned" else config.n_trials
    storage_url = f"sqlite:///{artifacts.path('optuna', 'optuna.db')}"
    study_name = f"tuned_model-{family}"
    train, valid = read_split(warehouse, "train"), read_split(warehouse, "validation")

    with mlflow.start_run(run_name=f"tuned_model-{family}", tags={"dagster.run_id": context.run.run_id}) as run:
        result = tune(family, train, valid, n_trials=n_trials, storage_url=storage_url,
                      study_name=study_name, seed=config.seed, base_config=base,
                      space=SearchSpace(learning_rate=(config.learning_rate_min, config.learning_rate_max),
                                        batch_sizes=tuple(config.batch_sizes)))
        mlflow.log_params({"family": family, "n_trials": n_trials, **result.best_model.params()})
        mlflow.log_metrics({f"val_{k}": v for k, v in result.best_scores.items() if k != "trial_number"})
        model_info = log_sentiment_model(result.best_model)

    card = {
        "family": family,
        "run_id": run.info.run_id,
        "experiment_id": experiment_id,
        "model_uri": model_info.model_uri,
        "validation": result.best_scores,
        "params": result.best_model.params(),
        "study": {"name": study_name, "storage": storage_url, "trials": len(result.study.trials)},
    }
    card_path = artifacts.write_json(MODEL_CARD, card)
    return dg.MaterializeResult(metadata={
        "family": family,
        "val_macro_f1": result.best_scores["macro_f1"],
        "val_accuracy": result.best_scores["accuracy"],
        "candidate_val_macro_f1": float(winner["val_macro_f1"]),
        "best_params": dg.MetadataValue.json(result.best_model.params()),
        "trials_this_run": n_trials,
        "trials_in_study": len(result.study.trials),
        "optuna_storage": storage_url,
        "model_uri": model_info.model_uri,
        "model_card": dg.MetadataValue.path(str(card_path)),
        "mlflow_run": dg.MetadataValue.url(mlflow_tracking.run_link(experiment_id, run.info.run_id)),
    })
