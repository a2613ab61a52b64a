"""The tuning search spaces: what a trial may sample, how the baseline and warm-start values
are fitted into a space, and the settings a tuning run refuses."""

import dataclasses

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution

from sentiment_assets.models.families import config_class
from sentiment_assets.models.tuning import (
    SEARCHES,
    SearchSpace,
    TfidfSpace,
    TransformerSpace,
    TuningConfig,
    baseline_params,
    distributions_for,
    suggest_model,
)
from sentiment_assets.models.tuning.registry import fitted_params


def test_the_transformer_suggest_function_yields_configs_inside_the_configured_space():
    from sentiment_assets.models.finetune_config import FineTuneConfig
    from sentiment_assets.models.transformer import TransformerClassifier

    space = SearchSpace(
        transformer=TransformerSpace(
            learning_rate=(5e-5, 4e-4),
            batch_sizes=(16, 32),
            epochs=(1, 3),
            warmup_ratio=(0.0, 0.2),
            weight_decay=(0.0, 0.1),
            max_seq_lengths=(64, 128),
            freeze_encoder=(False, True),
        )
    )
    base = FineTuneConfig(learning_rate=1e-4, batch_size=16, epochs=1, max_seq_length=64)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    configs = []
    for _ in range(30):
        trial = study.ask()
        model = suggest_model(trial, "minilm_finetuned", space, base)
        assert isinstance(model, TransformerClassifier)
        configs.append(model.config)
        study.tell(trial, 0.5)
    for c in configs:
        assert 5e-5 <= c.learning_rate <= 4e-4 and c.batch_size in (16, 32) and 1 <= c.epochs <= 3
        assert 0.0 <= c.warmup_ratio <= 0.2 and 0.0 <= c.weight_decay <= 0.1
        assert c.max_seq_length in (64, 128) and c.freeze_encoder in (False, True)
        # Everything not tuned stays as in the base config.
        assert (c.seed, c.max_grad_norm, c.device) == (base.seed, base.max_grad_norm, base.device)
    assert {c.freeze_encoder for c in configs} == {False, True}
    assert len({c.learning_rate for c in configs}) == len(configs)


def test_the_space_widens_to_cover_the_untuned_config_which_becomes_the_baseline_trial():
    from sentiment_assets.models.finetune_config import FineTuneConfig

    base = FineTuneConfig(learning_rate=2e-5, batch_size=8, max_seq_length=48)  # BERT-like, outside MiniLM's
    distributions = distributions_for("minilm_finetuned", SearchSpace(), base)
    learning_rate, batch_size = distributions["learning_rate"], distributions["batch_size"]
    max_seq_length = distributions["max_seq_length"]
    assert isinstance(learning_rate, FloatDistribution) and isinstance(batch_size, CategoricalDistribution)
    assert isinstance(max_seq_length, CategoricalDistribution)
    assert learning_rate.low == 2e-5 and learning_rate.high == 4e-4
    assert batch_size.choices == (8, 16, 32)
    assert max_seq_length.choices == (48, 64, 128)
    assert baseline_params("minilm_finetuned", SearchSpace(), base) == {
        "learning_rate": 2e-5,
        "batch_size": 8,
        "epochs": 1,
        "warmup_ratio": 0.1,
        "weight_decay": 0.01,
        "max_seq_length": 48,
        "freeze_encoder": base.freeze_encoder,
    }


def test_every_registered_space_names_fields_of_its_familys_config():
    for family, search in SEARCHES.items():
        fields = {f.name for f in dataclasses.fields(config_class(family))}
        assert set(search.distributions(SearchSpace())) <= fields, family


def test_previous_params_are_clipped_into_the_current_space_and_unknown_ones_dropped():
    space = SearchSpace(tfidf=TfidfSpace(C=(0.1, 30.0), max_ngram=(1, 3), min_df=(1, 5)))
    distributions = distributions_for("tfidf_logreg", space, None)
    previous = {"C": 100.0, "max_ngram": 5, "min_df": 0, "max_features": 1000}
    assert fitted_params(previous, distributions) == {"C": 30.0, "max_ngram": 3, "min_df": 1}
    transformer = distributions_for("minilm_finetuned", SearchSpace(), None)
    assert fitted_params({"batch_size": 256, "epochs": 2}, transformer) == {"epochs": 2}


def test_a_space_with_an_inverted_range_is_refused():
    with pytest.raises(ValueError, match="TransformerSpace.learning_rate"):
        TransformerSpace(learning_rate=(4e-4, 5e-5))


def test_training_fractions_must_grow_to_the_whole_training_set():
    with pytest.raises(ValueError, match="train_fractions"):
        TuningConfig(train_fractions=(0.5, 0.9))
    with pytest.raises(ValueError, match="train_fractions"):
        TuningConfig(train_fractions=(0.5, 0.25, 1.0))
    assert TuningConfig(train_fractions=(1.0,)).train_fractions == (1.0,)


def test_an_unknown_pruner_is_refused():
    with pytest.raises(ValueError, match="pruner"):
        TuningConfig(pruner="asha")  # pyright: ignore[reportArgumentType]  # an unknown pruner on purpose
