"""The pipeline's condition step: may a newly registered version become the champion?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Below this many test reviews of some sentiment, an accuracy is mostly luck.
MIN_TEST_REVIEWS_PER_CLASS = 30
#: Half the last digit of the 6-decimal accuracy tags older registry versions carry.
ACCURACY_TAG_TOLERANCE = 5e-7


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str


def small_test_split(
    test_reviews_per_class: Mapping[str, int] | None, minimum: int = MIN_TEST_REVIEWS_PER_CLASS
) -> str | None:
    """ "test split too small: ..." when some class has fewer than `minimum` test reviews, else None."""
    if not test_reviews_per_class or min(test_reviews_per_class.values()) >= minimum:
        return None
    counts = ", ".join(f"{name} {n}" for name, n in test_reviews_per_class.items())
    return (
        f"test split too small: {sum(test_reviews_per_class.values())} reviews ({counts}; "
        f"at least {minimum} per class are needed for a trustworthy accuracy)"
    )


def baseline_failure(macro_f1: float, baselines: Mapping[str, Mapping[str, float]]) -> str | None:
    """Why the candidate loses to a baseline trained in the same run (None if it does not): it
    must beat the majority class's test macro-F1 outright, and must not be worse than the TF-IDF
    + logistic regression baseline beyond doubt -- the paired bootstrap interval of the macro-F1
    difference lying wholly below 0 (on a small test split a few points either way are noise)."""
    from sentiment_assets.models.baselines import BASELINE_NAMES, MAJORITY, TFIDF_BASELINE

    if MAJORITY in baselines and macro_f1 <= baselines[MAJORITY]["macro_f1"]:
        return (
            f"test macro-F1 {macro_f1:.4f} is no better than the {BASELINE_NAMES[MAJORITY]}'s "
            f"{baselines[MAJORITY]['macro_f1']:.4f}"
        )
    tfidf = baselines.get(TFIDF_BASELINE)
    if tfidf and tfidf.get("candidate_high", 0.0) < 0:
        return (
            f"test macro-F1 {macro_f1:.4f} is below the {BASELINE_NAMES[TFIDF_BASELINE]}'s {tfidf['macro_f1']:.4f} "
            f"(difference {tfidf['candidate_difference']:+.4f}, 90% interval {tfidf['candidate_low']:+.4f} to "
            f"{tfidf['candidate_high']:+.4f} on {tfidf['candidate_n']:.0f} reviews)"
        )
    return None


def decide_promotion(
    accuracy: float,
    min_accuracy: float,
    champion_accuracy: float | None,
    test_reviews_per_class: Mapping[str, int] | None = None,
    *,
    macro_f1: float | None = None,
    baselines: Mapping[str, Mapping[str, float]] | None = None,
) -> PromotionDecision:
    """Promote only a model at or above the accuracy gate, better than the baselines trained in
    the same run (when given), and not worse than the current champion. When the test split is
    too small to say much, the reason says so first: a failure then means "too little data to
    judge", not "a bad model"; a pass carries the warning."""
    small = small_test_split(test_reviews_per_class)
    prefix = f"{small}; " if small else ""
    if accuracy < min_accuracy:
        return PromotionDecision(
            False, f"{prefix}test accuracy {accuracy:.4f} is below min_accuracy {min_accuracy:.4f}"
        )
    lost = baseline_failure(macro_f1, baselines) if baselines and macro_f1 is not None else None
    if lost:
        return PromotionDecision(False, prefix + lost)
    # A champion registered before tags kept full precision has 6 decimals ("0.632184" for
    # 55/87): the same model must not count as worse than its own rounded accuracy.
    if champion_accuracy is not None and accuracy < champion_accuracy - ACCURACY_TAG_TOLERANCE:
        return PromotionDecision(
            False, f"{prefix}test accuracy {accuracy:.4f} is worse than the current champion's {champion_accuracy:.4f}"
        )
    if champion_accuracy is None:
        return PromotionDecision(
            True, f"{prefix}test accuracy {accuracy:.4f} >= {min_accuracy:.4f} and there is no champion yet"
        )
    return PromotionDecision(
        True,
        f"{prefix}test accuracy {accuracy:.4f} >= {min_accuracy:.4f} and >= the champion's {champion_accuracy:.4f}",
    )
