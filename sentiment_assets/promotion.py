"""The pipeline's condition step: may a newly registered version become the champion?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Below this many test reviews of some sentiment, an accuracy is mostly luck.
MIN_TEST_REVIEWS_PER_CLASS = 30


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str


def small_test_split(test_reviews_per_class: Mapping[str, int] | None,
                     minimum: int = MIN_TEST_REVIEWS_PER_CLASS) -> str | None:
    """"test split too small: ..." when some class has fewer than `minimum` test reviews, else None."""
    if not test_reviews_per_class or min(test_reviews_per_class.values()) >= minimum:
        return None
    counts = ", ".join(f"{name} {n}" for name, n in test_reviews_per_class.items())
    return (f"test split too small: {sum(test_reviews_per_class.values())} reviews ({counts}; "
            f"at least {minimum} per class are needed for a trustworthy accuracy)")


def decide_promotion(accuracy: float, min_accuracy: float, champion_accuracy: float | None,
                     test_reviews_per_class: Mapping[str, int] | None = None) -> PromotionDecision:
    """Promote only a model at or above the accuracy gate and not worse than the current champion.
    When the test split is too small to say much, the reason says so first: a failure then
    means "too little data to judge", not "a bad model"; a pass carries the warning."""
    small = small_test_split(test_reviews_per_class)
    prefix = f"{small}; " if small else ""
    if accuracy < min_accuracy:
        return PromotionDecision(False, f"{prefix}test accuracy {accuracy:.4f} is below min_accuracy {min_accuracy:.4f}")
    if champion_accuracy is not None and accuracy < champion_accuracy:
        return PromotionDecision(
            False, f"{prefix}test accuracy {accuracy:.4f} is worse than the current champion's {champion_accuracy:.4f}"
        )
    if champion_accuracy is None:
        return PromotionDecision(True, f"{prefix}test accuracy {accuracy:.4f} >= {min_accuracy:.4f} and there is no champion yet")
    return PromotionDecision(
        True, f"{prefix}test accuracy {accuracy:.4f} >= {min_accuracy:.4f} and >= the champion's {champion_accuracy:.4f}"
    )
