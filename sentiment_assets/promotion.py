"""The pipeline's condition step: may a newly registered version become the champion?"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str


def decide_promotion(accuracy: float, min_accuracy: float, champion_accuracy: float | None) -> PromotionDecision:
    """Promote only a model at or above the accuracy gate and not worse than the current champion."""
    if accuracy < min_accuracy:
        return PromotionDecision(False, f"test accuracy {accuracy:.4f} is below min_accuracy {min_accuracy:.4f}")
    if champion_accuracy is not None and accuracy < champion_accuracy:
        return PromotionDecision(
            False, f"test accuracy {accuracy:.4f} is worse than the current champion's {champion_accuracy:.4f}"
        )
    if champion_accuracy is None:
        return PromotionDecision(True, f"test accuracy {accuracy:.4f} >= {min_accuracy:.4f} and there is no champion yet")
    return PromotionDecision(
        True, f"test accuracy {accuracy:.4f} >= {min_accuracy:.4f} and >= the champion's {champion_accuracy:.4f}"
    )
