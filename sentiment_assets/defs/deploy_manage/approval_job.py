"""model_approval_job: a person's approval decision, launched from the UI with config."""

import dagster as dg

from resources import MlflowResource
from sentiment_assets.registry.approval import record_decision


class ApprovalConfig(dg.Config):
    version: int  # the registry version to decide on
    approve: bool  # true: Approved (and champion); false: Rejected
    reason: str = ""


@dg.op
def record_model_approval(
    context: dg.OpExecutionContext, config: ApprovalConfig, mlflow_tracking: MlflowResource
) -> None:
    """Set the version's approval status; approving moves the `champion` alias to it."""
    outcome = record_decision(
        mlflow_tracking.client(), mlflow_tracking.registered_model_name, config.version, config.approve, config.reason
    )
    context.log.info(outcome.message)


@dg.job(description="Approve or reject a registered review-sentiment version (config: version, approve, reason).")
def model_approval_job():
    record_model_approval()
