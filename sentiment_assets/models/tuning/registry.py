"""Which search space and which fidelity each model family is tuned with, and how a trial's
sampled values become a model of that family."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from sentiment_assets.models.base import SentimentClassifier
from sentiment_assets.models.families import config_class, family_class
from sentiment_assets.models.tuning.search_space import (
    SearchSpace,
    embedding_head_distributions,
    tfidf_gbm_distributions,
    tfidf_logreg_distributions,
    transformer_distributions,
)

Fidelity = Literal["epochs", "train_fraction"]


@dataclass(frozen=True)
class FamilySearch:
    """How one family is searched.

    `fidelity` is what grows while a trial reports intermediate validation macro-F1, so that a
    pruner can stop a poor trial early: "epochs" for models trained iteratively (scored after
    each epoch), "train_fraction" for single-pass models, refitted on growing shares of the
    training set (TuningConfig.train_fractions)."""

    distributions: Callable[[SearchSpace], dict[str, BaseDistribution]]
    fidelity: Fidelity


SEARCHES: dict[str, FamilySearch] = {
    "tfidf_logreg": FamilySearch(tfidf_logreg_distributions, "train_fraction"),
    "tfidf_linear_svm": FamilySearch(tfidf_logreg_distributions, "train_fraction"),  # same C / n-gram knobs
    "tfidf_gbm": FamilySearch(tfidf_gbm_distributions, "train_fraction"),
    "minilm_embeddings_linear": FamilySearch(embedding_head_distributions, "train_fraction"),
    "minilm_finetuned": FamilySearch(transformer_distributions, "epochs"),
}


def family_search(family: str) -> FamilySearch:
    if family not in SEARCHES:
        raise ValueError(f"no search space for family {family!r}; known: {sorted(SEARCHES)}")
    return SEARCHES[family]


def base_or_default(family: str, base: object | None) -> Any:
    """The config trials start from: the given one (the candidate round's), else the defaults.
    A config dataclass of the family (each family has its own class)."""
    return base if base is not None else config_class(family)()


def _covering(distribution: BaseDistribution, value: Any) -> BaseDistribution:
    if isinstance(distribution, CategoricalDistribution):
        choices: set[Any] = {*distribution.choices, value}  # alike (all numbers, or all text): sortable
        return CategoricalDistribution(tuple(sorted(choices)))
    if isinstance(distribution, IntDistribution):
        return IntDistribution(min(distribution.low, value), max(distribution.high, value), log=distribution.log)
    if isinstance(distribution, FloatDistribution):
        return FloatDistribution(min(distribution.low, value), max(distribution.high, value), log=distribution.log)
    raise TypeError(f"unsupported distribution {distribution!r}")


def distributions_for(family: str, space: SearchSpace, base: object | None) -> dict[str, BaseDistribution]:
    """The family's distributions, widened to contain the base config's values: the untuned config
    runs as the first trial, so tuning can only match or beat the candidate."""
    base = base_or_default(family, base)
    return {name: _covering(d, getattr(base, name)) for name, d in family_search(family).distributions(space).items()}


def baseline_params(family: str, space: SearchSpace, base: object | None) -> dict[str, object]:
    """The base config's values of the tuned parameters, to enqueue as a trial."""
    base = base_or_default(family, base)
    return {name: getattr(base, name) for name in family_search(family).distributions(space)}


def fitted_params(params: dict[str, Any], distributions: dict[str, BaseDistribution]) -> dict[str, object]:
    """`params` made valid for `distributions`: unknown names and categorical values that are no
    longer a choice are dropped (the sampler picks them), numbers are clipped into range."""
    fitted: dict[str, object] = {}
    for name, value in params.items():
        distribution = distributions.get(name)
        if isinstance(distribution, CategoricalDistribution):
            if value in distribution.choices:
                fitted[name] = value
        elif isinstance(distribution, IntDistribution):
            fitted[name] = int(min(max(round(value), distribution.low), distribution.high))
        elif isinstance(distribution, FloatDistribution):
            fitted[name] = float(min(max(value, distribution.low), distribution.high))
    return fitted


def suggest_params(trial: optuna.Trial, distributions: dict[str, BaseDistribution]) -> dict[str, object]:
    """One value per distribution, drawn by the study's sampler (or fixed by an enqueued trial)."""
    params: dict[str, object] = {}
    for name, d in distributions.items():
        if isinstance(d, CategoricalDistribution):
            params[name] = trial.suggest_categorical(name, d.choices)
        elif isinstance(d, IntDistribution):
            params[name] = trial.suggest_int(name, d.low, d.high, log=d.log)
        elif isinstance(d, FloatDistribution):
            params[name] = trial.suggest_float(name, d.low, d.high, log=d.log)
        else:
            raise TypeError(f"unsupported distribution {d!r}")
    return params


def build_model(family: str, base: object | None, params: dict[str, object]) -> SentimentClassifier:
    """An unfitted model of `family`: the base config with `params` replaced."""
    model_class: Any = family_class(family)  # every family is built from its config
    return model_class(replace(base_or_default(family, base), **params))


def suggest_model(
    trial: optuna.Trial, family: str, space: SearchSpace, base: object | None = None
) -> SentimentClassifier:
    """The family's suggest function: sample the trial's values and build the (unfitted) model."""
    return build_model(family, base, suggest_params(trial, distributions_for(family, space, base)))
