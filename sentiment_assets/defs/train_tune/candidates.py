"""Configuration of the candidate round and how each family is built from it."""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import dagster as dg

from sentiment_assets.models.base import SentimentClassifier
from sentiment_assets.models.families import FAMILY_NAMES, config_class, family_class

# The fine-tuned transformer trains in its own process (the finetuned_minilm asset) and joins the
# leaderboard from there; the others train here, one after another.
IN_PROCESS_FAMILIES = [f for f in FAMILY_NAMES if f != "minilm_finetuned"]


class CandidateModelsConfig(dg.Config):
    """Autopilot's settings: which families, each family's time budget, and what wins.

    Budgets are seconds of training on this machine; iterative trainers (gradient boosting, the
    embedding pass) stop when theirs is spent, one-shot fits (logistic regression, SVM) are
    flagged over_budget instead. objective: one of val_macro_f1, val_accuracy,
    val_balanced_accuracy, train_seconds (lower wins), inference_reviews_per_s."""

    families: list[str] = IN_PROCESS_FAMILIES
    include_finetuned_minilm: bool = True  # the finetuned_minilm asset's result joins the board
    objective: str = "val_macro_f1"
    tie_breaker: str = "val_macro_f1"
    seed: int = 42
    # Below this many train + validation reviews a validation split of a few dozen says little:
    # the in-process families are judged by stratified k-fold cross-validation over both instead
    # (the fine-tuned transformer, trained in its own asset, keeps its validation split).
    cross_validate_below: int = 1000
    cv_folds: int = 5
    time_budget_s: dict[str, float] = {
        "tfidf_logreg": 120.0,
        "tfidf_linear_svm": 120.0,
        "tfidf_gbm": 240.0,
        "minilm_embeddings_linear": 240.0,
    }

    def check(self) -> None:
        from sentiment_assets.models.leaderboard import OBJECTIVES  # with scikit-learn: at run time

        for name, value in (("objective", self.objective), ("tie_breaker", self.tie_breaker)):
            if value not in OBJECTIVES:
                raise dg.Failure(f"candidate_models.{name} {value!r} is not one of {', '.join(OBJECTIVES)}")
        unknown = [f for f in self.families if f not in FAMILY_NAMES]
        if unknown:
            raise dg.Failure(f"candidate_models.families: unknown {unknown}; known: {', '.join(FAMILY_NAMES)}")


@dataclass(frozen=True)
class Candidate:
    """A fresh, unfitted model of one family and the family's config dataclass it was built
    from (the leaderboard stores it as JSON, so the winner can be rebuilt and tuned)."""

    model: SentimentClassifier
    settings: Any  # an instance of config_class(family)


def build_candidate(family: str, config: CandidateModelsConfig, device: str) -> Candidate:
    """A model of `family` with its defaults, the round's seed, the family's time budget and the
    compute resource's device where the family has one."""
    fields = {f.name for f in dataclasses.fields(config_class(family))}
    settings: dict[str, Any] = {"seed": config.seed}
    budget = config.time_budget_s.get(family)
    if budget is not None:
        settings["max_seconds" if "max_seconds" in fields else "time_budget_s"] = budget
    if "device" in fields:
        settings["device"] = device
    family_settings = config_class(family)(**settings)
    # Every family's constructor takes its config; the abstract base class does not say so.
    make = cast("Callable[[Any], SentimentClassifier]", family_class(family))
    return Candidate(make(family_settings), family_settings)
