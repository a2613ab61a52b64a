"""Hyper-parameter tuning with Optuna: a configurable search space per model family, pruning on
intermediate validation macro-F1, warm start from an earlier study, parallel workers sharing
one RDB storage, each trial a nested MLflow run, and plots of the study.

Modules, in the order a trial meets them: search_space (ranges), registry (family -> space and
fidelity), config (TuningConfig, pruner, sampler, storage), warm_start (first trials),
objective (one trial), fidelity (fitting with intermediate reports), trial_runs (MLflow),
checkpoints (trial models on disk), parallel (worker processes), plots, study (tune()).
"""

from sentiment_assets.models.tuning.config import TuningConfig
from sentiment_assets.models.tuning.plots import StudyPlots, study_plots
from sentiment_assets.models.tuning.registry import (
    SEARCHES,
    FamilySearch,
    baseline_params,
    distributions_for,
    suggest_model,
)
from sentiment_assets.models.tuning.search_space import (
    EmbeddingHeadSpace,
    GradientBoostingSpace,
    SearchSpace,
    TfidfSpace,
    TransformerSpace,
)
from sentiment_assets.models.tuning.study import TuningResult, tune

__all__ = [
    "EmbeddingHeadSpace",
    "GradientBoostingSpace",
    "SEARCHES",
    "FamilySearch",
    "SearchSpace",
    "StudyPlots",
    "TfidfSpace",
    "TransformerSpace",
    "TuningConfig",
    "TuningResult",
    "baseline_params",
    "distributions_for",
    "study_plots",
    "suggest_model",
    "tune",
]
