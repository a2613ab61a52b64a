"""Model approval in the MLflow registry: PendingManualApproval -> Approved or Rejected.

SageMaker's model registry has this status; MLflow keeps it as a version tag. The `champion`
alias only ever points at an Approved version that passed the accuracy gate.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentiment_assets.registry.promotion import PromotionDecision

APPROVAL_TAG = "approval_status"
PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
CHAMPION_ALIAS = "champion"


def initial_status(decision: PromotionDecision, auto_approve: bool) -> str:
    """A version that fails the gate is Rejected; one that passes waits for a person unless the
    deployment approves automatically (the local demo does)."""
    if not decision.promote:
        return REJECTED
    return APPROVED if auto_approve else PENDING


@dataclass(frozen=True)
class ApprovalOutcome:
    version: int
    status: str
    champion_moved: bool
    message: str


def record_decision(client, model_name: str, version: int, approve: bool, reason: str) -> ApprovalOutcome:
    """A person's decision on a version. Approving moves the champion to it, but only if it passed
    the gate at registration; rejecting the current champion is refused (nothing would serve)."""
    model_version = client.get_model_version(model_name, str(version))
    tags = model_version.tags
    if approve:
        if tags.get("promoted") != "true":
            raise ValueError(
                f"{model_name} v{version} did not pass the gate "
                f"({tags.get('promotion_reason', 'no reason recorded')}); it cannot be approved"
            )
        client.set_model_version_tag(model_name, str(version), APPROVAL_TAG, APPROVED)
        client.set_model_version_tag(model_name, str(version), "approval_reason", reason)
        client.set_registered_model_alias(model_name, CHAMPION_ALIAS, str(version))
        return ApprovalOutcome(version, APPROVED, True, f"{model_name} v{version} approved and now '{CHAMPION_ALIAS}'")
    if CHAMPION_ALIAS in (model_version.aliases or []):
        raise ValueError(f"{model_name} v{version} is the current '{CHAMPION_ALIAS}'; approve a replacement first")
    client.set_model_version_tag(model_name, str(version), APPROVAL_TAG, REJECTED)
    client.set_model_version_tag(model_name, str(version), "approval_reason", reason)
    return ApprovalOutcome(version, REJECTED, False, f"{model_name} v{version} rejected")


def pending_versions(client, model_name: str) -> list[dict[str, str]]:
    """Versions waiting for a decision, newest first, with their test accuracy."""
    versions = client.search_model_versions(f"name = '{model_name}'")
    waiting = [v for v in versions if v.tags.get(APPROVAL_TAG) == PENDING]
    return [
        {
            "version": str(v.version),
            "test_accuracy": v.tags.get("test_accuracy", ""),
            "family": v.tags.get("family", ""),
        }
        for v in sorted(waiting, key=lambda v: int(v.version), reverse=True)
    ]
