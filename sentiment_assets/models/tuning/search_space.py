"""What Optuna may try for each model family: ranges set from run config, one frozen dataclass
per family, and the Optuna distributions each one means.

Parameters are named after the fields of the family's config dataclass (FineTuneConfig,
TfidfConfig), so a sampled set of values becomes a config by `dataclasses.replace`.

To add a family: a space dataclass here, a field for it on `SearchSpace`, a function returning
its distributions, and one line in `registry.SEARCHES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


def _check_range(owner: str, name: str, bounds: tuple, *, positive: bool = False) -> None:
    low, high = bounds
    if low > high or (positive and low <= 0):
        rule = "0 < low <= high" if positive else "low <= high"
        raise ValueError(f"{owner}.{name} must satisfy {rule}, got {bounds}")


def _check_choices(owner: str, name: str, choices: tuple) -> None:
    if not choices:
        raise ValueError(f"{owner}.{name} needs at least one choice")


@dataclass(frozen=True)
class TransformerSpace:
    """Fine-tuning ranges. The learning-rate default suits MiniLM (6 layers, 384 wide), which was
    measured to need larger steps than BERT: for BERT-base set the course's range 1e-5..5e-5."""

    learning_rate: tuple[float, float] = (5e-5, 4e-4)  # log-uniform
    batch_sizes: tuple[int, ...] = (16, 32)  # CPU-sized; the course uses 128/256 on a GPU
    epochs: tuple[int, int] = (1, 3)
    warmup_ratio: tuple[float, float] = (0.0, 0.2)
    weight_decay: tuple[float, float] = (0.0, 0.1)
    # In tokens. 128 is the course's limit, which it chose in words: its longest review, 122
    # words, is ~180 tokens, so even 128 tokens cuts the longest reviews.
    max_seq_lengths: tuple[int, ...] = (64, 128)
    # True trains only the classification head: much faster on a CPU, usually less accurate, and
    # happier with learning rates at the top of the range.
    freeze_encoder: tuple[bool, ...] = (False, True)

    def __post_init__(self) -> None:
        _check_range("TransformerSpace", "learning_rate", self.learning_rate, positive=True)
        _check_range("TransformerSpace", "epochs", self.epochs, positive=True)
        _check_range("TransformerSpace", "warmup_ratio", self.warmup_ratio)
        _check_range("TransformerSpace", "weight_decay", self.weight_decay)
        for name in ("batch_sizes", "max_seq_lengths", "freeze_encoder"):
            _check_choices("TransformerSpace", name, getattr(self, name))


@dataclass(frozen=True)
class TfidfSpace:
    """TF-IDF + logistic regression ranges."""

    C: tuple[float, float] = (0.1, 30.0)  # inverse regularisation, log-uniform
    max_ngram: tuple[int, int] = (1, 3)
    min_df: tuple[int, int] = (1, 5)

    def __post_init__(self) -> None:
        _check_range("TfidfSpace", "C", self.C, positive=True)
        _check_range("TfidfSpace", "max_ngram", self.max_ngram, positive=True)
        _check_range("TfidfSpace", "min_df", self.min_df, positive=True)


@dataclass(frozen=True)
class GradientBoostingSpace:
    """TF-IDF -> SVD -> gradient boosting ranges."""

    learning_rate: tuple[float, float] = (0.03, 0.3)  # log-uniform
    max_leaf_nodes: tuple[int, int] = (15, 63)
    n_components: tuple[int, int] = (100, 300)  # SVD dimensions the trees see

    def __post_init__(self) -> None:
        _check_range("GradientBoostingSpace", "learning_rate", self.learning_rate, positive=True)
        _check_range("GradientBoostingSpace", "max_leaf_nodes", self.max_leaf_nodes, positive=True)
        _check_range("GradientBoostingSpace", "n_components", self.n_components, positive=True)


@dataclass(frozen=True)
class EmbeddingHeadSpace:
    """Frozen-embedding + logistic regression head ranges."""

    C: tuple[float, float] = (0.3, 100.0)  # log-uniform; unit-length embeddings need weak penalties

    def __post_init__(self) -> None:
        _check_range("EmbeddingHeadSpace", "C", self.C, positive=True)


@dataclass(frozen=True)
class SearchSpace:
    """Every family's ranges; a tuning run reads only its own family's."""

    transformer: TransformerSpace = field(default_factory=TransformerSpace)
    tfidf: TfidfSpace = field(default_factory=TfidfSpace)  # logistic regression and linear SVM
    gradient_boosting: GradientBoostingSpace = field(default_factory=GradientBoostingSpace)
    embedding_head: EmbeddingHeadSpace = field(default_factory=EmbeddingHeadSpace)


def _choices(values: tuple) -> CategoricalDistribution:
    # Sorted and de-duplicated: Optuna refuses a categorical whose choices change within a study.
    return CategoricalDistribution(tuple(sorted(set(values))))


def transformer_distributions(space: SearchSpace) -> dict[str, BaseDistribution]:
    s = space.transformer
    return {
        "learning_rate": FloatDistribution(*s.learning_rate, log=True),
        "batch_size": _choices(s.batch_sizes),
        "epochs": IntDistribution(*s.epochs),
        "warmup_ratio": FloatDistribution(*s.warmup_ratio),
        "weight_decay": FloatDistribution(*s.weight_decay),
        "max_seq_length": _choices(s.max_seq_lengths),
        "freeze_encoder": _choices(s.freeze_encoder),
    }


def tfidf_logreg_distributions(space: SearchSpace) -> dict[str, BaseDistribution]:
    s = space.tfidf
    return {
        "C": FloatDistribution(*s.C, log=True),
        "max_ngram": IntDistribution(*s.max_ngram),
        "min_df": IntDistribution(*s.min_df),
    }


def tfidf_gbm_distributions(space: SearchSpace) -> dict[str, BaseDistribution]:
    s = space.gradient_boosting
    return {
        "learning_rate": FloatDistribution(*s.learning_rate, log=True),
        "max_leaf_nodes": IntDistribution(*s.max_leaf_nodes),
        "n_components": IntDistribution(*s.n_components),
    }


def embedding_head_distributions(space: SearchSpace) -> dict[str, BaseDistribution]:
    return {"C": FloatDistribution(*space.embedding_head.C, log=True)}
