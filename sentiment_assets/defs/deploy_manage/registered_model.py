"""registered_model: the pipeline's condition step and the MLflow Model Registry (MLflow is
imported when the asset runs)."""

import dagster as dg

from resources import ArtifactStore, MlflowResource
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.models.evaluation_record import Evaluation
from sentiment_assets.registry.approval import APPROVAL_TAG, APPROVED, CHAMPION_ALIAS, initial_status
from sentiment_assets.registry.promotion import decide_promotion

GROUP = "deploy_manage"


def lineage_metadata(client, mlflow_tracking: MlflowResource, name: str, version: int) -> dict:
    """Where the version came from, as the asset's metadata: the chain `lineage model` prints,
    and a link to its training run."""
    from sentiment_assets.lineage.chain import format_model_chain, model_chain

    chain = model_chain(client, name, version)
    metadata: dict = {"lineage": dg.MetadataValue.md(f"```\n{format_model_chain(chain)}\n```")}
    if chain.run_id:
        experiment_id = client.get_run(chain.run_id).info.experiment_id
        metadata["training_run"] = dg.MetadataValue.url(mlflow_tracking.run_link(experiment_id, chain.run_id))
    if chain.training:
        metadata["train_fingerprint"] = chain.training.train_fingerprint
        metadata["code_version"] = chain.training.code_version
    return metadata


CHAMPION_CHECK = "champion_passes_accuracy_gate"


class RegisteredModelConfig(dg.Config):
    min_accuracy: float = 0.33  # chance for three classes
    # The local demo approves a version that passes the gate; set false to wait for a person
    # (`sentiment-assets registry approve` or the model_approval_job).
    auto_approve: bool = True


@dg.asset(
    group_name=GROUP,
    kinds={"mlflow"},
    deps=["model_evaluation"],
    automation_condition=follow_upstream(),
    check_specs=[
        dg.AssetCheckSpec(
            CHAMPION_CHECK,
            asset="registered_model",
            description="A champion exists, is Approved, and its test accuracy is at or above min_accuracy.",
        )
    ],
)
def registered_model(
    context: dg.AssetExecutionContext,
    config: RegisteredModelConfig,
    artifacts: ArtifactStore,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    """A new version of the `review-sentiment` model in the MLflow registry, with an approval
    status. It passes the gate if its test accuracy clears `min_accuracy`, it beats the baselines
    trained in the same run (majority class; TF-IDF + logistic regression) and is not worse than
    the current champion's; then it is Approved (auto_approve) or PendingManualApproval, else
    Rejected with the reason. The `champion` alias moves only to an Approved version."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from sentiment_assets.lineage.records import load_training_lineage

    client = mlflow_tracking.client()
    name = mlflow_tracking.registered_model_name
    evaluation = Evaluation.load(artifacts)
    accuracy = float(evaluation.accuracy)

    try:
        champion = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
        champion_accuracy = float(champion.tags.get("test_accuracy", "nan"))
    except MlflowException:
        champion, champion_accuracy = None, None
    decision = decide_promotion(
        accuracy,
        config.min_accuracy,
        champion_accuracy,
        evaluation.test_reviews_per_class(),
        macro_f1=float(evaluation.macro_f1),
        baselines=evaluation.baselines,
    )
    status = initial_status(decision, config.auto_approve)

    version = mlflow.register_model(
        evaluation.model_uri,
        name,
        tags={
            "test_accuracy": repr(accuracy),  # full precision: the next gate compares with it
            "test_macro_f1": f"{evaluation.macro_f1:.6f}",
            "family": evaluation.family,
            "promoted": str(decision.promote).lower(),
            "promotion_reason": decision.reason,
            APPROVAL_TAG: status,
            "dagster.run_id": context.run.run_id,
        },
    )
    # The training run's lineage (data, raw file hashes, code, seed) goes onto the version too,
    # so the registry alone answers where a version came from.
    training = load_training_lineage(client, version.run_id) if version.run_id else None
    for key, value in (training.tags() if training else {}).items():
        client.set_model_version_tag(name, version.version, key, value)
    if status == APPROVED:
        client.set_registered_model_alias(name, CHAMPION_ALIAS, version.version)
    context.log.info(
        "registered %s version %s; promoted=%s (%s)", name, version.version, decision.promote, decision.reason
    )

    current = client.get_model_version_by_alias(name, CHAMPION_ALIAS) if status == APPROVED or champion else None
    current_accuracy = float(current.tags["test_accuracy"]) if current else None
    return dg.MaterializeResult(
        metadata={
            "model_name": name,
            "version": int(version.version),
            "promoted": status == APPROVED,
            "approval_status": status,
            "promotion_reason": decision.reason,
            "test_accuracy": accuracy,
            "min_accuracy": config.min_accuracy,
            "champion_version": int(current.version) if current else -1,
            "model_link": dg.MetadataValue.url(mlflow_tracking.model_link(version.version)),
            **lineage_metadata(client, mlflow_tracking, name, int(version.version)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=CHAMPION_CHECK,
                passed=current is not None
                and current_accuracy is not None
                and current_accuracy >= config.min_accuracy
                and current.tags.get(APPROVAL_TAG) == APPROVED,
                metadata={
                    "champion_version": int(current.version) if current else -1,
                    "champion_test_accuracy": current_accuracy if current else -1.0,
                },
            )
        ],
    )
