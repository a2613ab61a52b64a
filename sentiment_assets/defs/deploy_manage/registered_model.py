"""registered_model: the pipeline's condition step and the MLflow Model Registry."""


import json

import dagster as dg
from mlflow.exceptions import MlflowException

from resources import LocalArtifactStore, MlflowResource
from sentiment_assets.defs.deploy_manage.model_evaluation import EVALUATION_FILE
from sentiment_assets.promotion import decide_promotion

GROUP = "deploy_manage"
CHAMPION_ALIAS = "champion"
CHAMPION_CHECK = "champion_passes_accuracy_gate"


class RegisteredModelConfig(dg.Config):
    min_accuracy: float = 0.33  # chance for three classes


@dg.asset(
    group_name=GROUP,
    kinds={"mlflow"},
    deps=["model_evaluation"],
    check_specs=[dg.AssetCheckSpec(CHAMPION_CHECK, asset="registered_model",
                                   description="A champion exists and its test accuracy is at or above min_accuracy.")],
)
def registered_model(
    context: dg.AssetExecutionContext,
    config: RegisteredModelConfig,
    artifacts: LocalArtifactStore,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    """A new version of the `review-sentiment` model in the MLflow registry. The `champion`
    alias moves to it only if its test accuracy clears `min_accuracy` and is not worse than the
    current champion's; otherwise the reason is recorded and the champion stays."""
    client = mlflow_tracking.client()
    name = mlflow_tracking.registered_model_name
    evaluation = json.loads(artifacts.path(EVALUATION_FILE).read_text())
    accuracy = float(evaluation["accuracy"])

    try:
        champion = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
        champion_accuracy = float(champion.tags.get("test_accuracy", "nan"))
    except MlflowException:
        champion, champion_accuracy = None, None
    decision = decide_promotion(accuracy, config.min_accuracy, champion_accuracy)

    import mlflow

    version = mlflow.register_model(evaluation["model_uri"], name, tags={
        "test_accuracy": f"{accuracy:.6f}",
        "test_macro_f1": f"{evaluation['macro_f1']:.6f}",
        "family": evaluation["family"],
        "promoted": str(decision.promote).lower(),
        "promotion_reason": decision.reason,
        "dagster.run_id": context.run.run_id,
    })
    if decision.promote:
        client.set_registered_model_alias(name, CHAMPION_ALIAS, version.version)
    context.log.info("registered %s version %s; promoted=%s (%s)", name, version.version, decision.promote, decision.reason)

    current = client.get_model_version_by_alias(name, CHAMPION_ALIAS) if decision.promote or champion else None
    current_accuracy = float(current.tags["test_accuracy"]) if current else None
    return dg.MaterializeResult(
        metadata={
            "model_name": name,
            "version": int(version.version),
            "promoted": decision.promote,
            "promotion_reason": decision.reason,
            "test_accuracy": accuracy,
            "min_accuracy": config.min_accuracy,
            "champion_version": int(current.version) if current else -1,
            "model_link": dg.MetadataValue.url(mlflow_tracking.model_link(version.version)),
        },
        check_results=[dg.AssetCheckResult(
            check_name=CHAMPION_CHECK,
            passed=current is not None and current_accuracy >= config.min_accuracy,
            metadata={"champion_version": int(current.version) if current else -1,
                      "champion_test_accuracy": current_accuracy if current else -1.0},
        )],
    )
