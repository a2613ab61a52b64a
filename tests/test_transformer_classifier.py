"""The fine-tuned transformer family, on the bundled MiniLM and tiny data (CPU, offline)."""

import dataclasses
import json
import logging
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
import tiny_bert
import torch

from sentiment_assets.models.base import EpochReport
from sentiment_assets.models.batches import fit_to_length, length_bucketed_batches
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.transformer import TransformerClassifier

TINY: dict[str, Any] = dict(max_seq_length=32, batch_size=8, eval_batch_size=16)


def toy_reviews(per_class: int = 16, seed: int = 0) -> pd.DataFrame:
    """tiny_bert.toy_reviews with up to five filler phrases: longer reviews for the real MiniLM."""
    return tiny_bert.toy_reviews(per_class, seed, max_fillers=5)


def fit_tiny(seed: int = 42, epochs: int = 1, **overrides) -> TransformerClassifier:
    config = FineTuneConfig(seed=seed, epochs=epochs, **{**TINY, **overrides})
    return TransformerClassifier(config).fit(toy_reviews())


def fitted_weights(seed: int) -> dict[str, torch.Tensor]:
    model = fit_tiny(seed=seed).model
    assert model is not None, "fit left no model"
    return model.state_dict()


@pytest.fixture(scope="module")
def trained():
    """One 3-epoch run at a high learning rate with validation, shared by tests that only read it."""
    reports: list[EpochReport] = []
    config = FineTuneConfig(epochs=3, learning_rate=1e-4, **TINY)
    valid = toy_reviews(per_class=4, seed=1)
    classifier = TransformerClassifier(config).fit(toy_reviews(), valid, reports.append)
    return classifier, reports


def test_fit_gives_one_probability_row_per_review_summing_to_one(trained):
    classifier, _ = trained
    proba = classifier.predict_proba(toy_reviews(per_class=5, seed=2))
    assert proba.shape == (15, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert (proba >= 0).all()


def test_predict_proba_keeps_the_input_order_although_batches_are_length_sorted(trained):
    classifier, _ = trained
    reviews = toy_reviews(per_class=6, seed=3)
    together = classifier.predict_proba(reviews)
    one_at_a_time = np.vstack([classifier.predict_proba(reviews.iloc[[i]]) for i in reviews.index])
    # Padding changes float rounding a little, never which review a row belongs to.
    np.testing.assert_allclose(together, one_at_a_time, atol=1e-5)
    assert len({len(text.split()) for text in reviews["review_body"]}) > 3  # lengths really differ


def test_callback_receives_one_report_per_epoch_with_train_loss_and_validation_metrics(trained):
    classifier, reports = trained
    assert [r.epoch for r in reports] == [1, 2, 3]
    for report in reports:
        assert {"train_loss", "val_loss", "val_accuracy", "val_macro_f1"} <= report.metrics.keys()
        assert 0.0 <= report.metrics["val_accuracy"] <= 1.0
    assert classifier.training_history == reports
    assert classifier.train_seconds > 0 and classifier.train_samples_per_second > 0


def test_training_loss_decreases_on_a_learnable_toy_set(trained):
    classifier, reports = trained
    assert reports[-1].metrics["train_loss"] < reports[0].metrics["train_loss"] - 0.1
    reviews = toy_reviews()
    assert (classifier.predict(reviews) == reviews["label_id"].to_numpy()).mean() >= 0.9


def test_save_and_load_round_trip_gives_identical_probabilities(trained, tmp_path):
    classifier, _ = trained
    classifier.save(tmp_path / "model")
    restored = TransformerClassifier.load(tmp_path / "model")
    reviews = toy_reviews(per_class=4, seed=4)
    np.testing.assert_array_equal(restored.predict_proba(reviews), classifier.predict_proba(reviews))
    assert restored.config == classifier.config
    saved_config = json.loads((tmp_path / "model" / "finetune_config.json").read_text())
    assert saved_config == classifier.params()
    # How the training ended comes back too: lineage's reproduce needs it of a loaded model.
    assert classifier.steps and classifier.stop_reason == "completed"
    assert (restored.steps, restored.stop_reason) == (classifier.steps, classifier.stop_reason)


def test_params_are_the_flat_json_serialisable_config(trained):
    classifier, _ = trained
    params = classifier.params()
    assert params == dataclasses.asdict(classifier.config)
    assert params["learning_rate"] == 1e-4 and params["max_seq_length"] == 32
    json.dumps(params)


def test_pretokenized_input_ids_longer_than_max_seq_length_are_cut_keeping_the_final_sep(trained):
    classifier, _ = trained
    text = "I love this dress. " + ", ".join(tiny_bert.FILLER * 5)
    full_ids = classifier.tokenizer(text)["input_ids"]
    assert len(full_ids) > 32
    as_text = classifier.predict_proba(pd.DataFrame({"review_body": [text]}))
    as_ids = classifier.predict_proba(pd.DataFrame({"input_ids": [full_ids]}))
    # Feature stores keep ids padded to a fixed length: the padding must not count either.
    padded = classifier.predict_proba(pd.DataFrame({"input_ids": [full_ids + [0] * 20]}))
    np.testing.assert_allclose(as_ids, as_text, atol=1e-6)
    np.testing.assert_allclose(padded, as_text, atol=1e-6)


def test_fit_to_length_keeps_sep_strips_padding_and_leaves_short_ids_alone():
    assert fit_to_length([101, 5, 6, 7, 8, 102], 4, sep_id=102, pad_id=0) == [101, 5, 6, 102]
    # Annotated Sequence[int], but feature stores hand it numpy arrays.
    padded = cast(Sequence[int], np.array([101, 5, 102, 0, 0]))
    assert fit_to_length(padded, 8, sep_id=102, pad_id=0) == [101, 5, 102]
    assert fit_to_length([101, 5, 102], 3, sep_id=102, pad_id=0) == [101, 5, 102]


def test_same_seed_gives_identical_weights_and_a_different_seed_does_not():
    first, again, other = fitted_weights(seed=7), fitted_weights(seed=7), fitted_weights(seed=8)
    assert first.keys() == again.keys()
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not torch.equal(first["classifier.weight"], other["classifier.weight"])
    assert not torch.equal(
        first["bert.encoder.layer.0.attention.self.query.weight"],
        other["bert.encoder.layer.0.attention.self.query.weight"],
    )


def test_max_train_samples_trains_on_a_sample_of_that_size(caplog):
    with caplog.at_level(logging.INFO, logger="sentiment_assets.finetune"):
        fit_tiny(max_train_samples=8)
    assert "fine-tuning on 8 examples" in caplog.text
    assert "step 1/1 " in caplog.text  # one batch of 8


def test_length_bucketed_batches_cover_every_example_once_in_batches_of_similar_length():
    lengths = np.random.default_rng(0).integers(3, 60, size=101)
    batches = length_bucketed_batches(lengths, 8, torch.Generator().manual_seed(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(101))
    assert sorted(len(b) for b in batches)[1:] == [8] * 12  # only one batch is short
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    assert spread < 10  # random batches would spread over most of 3..60
    again = length_bucketed_batches(lengths, 8, torch.Generator().manual_seed(0))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=False))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("learning_rate", 0.0),
        ("learning_rate", -1e-5),
        ("device", "tpu"),
        ("epochs", 0),
        ("batch_size", 0),
        ("warmup_ratio", 1.0),
        ("max_seq_length", 1),
        ("max_train_samples", 0),
        ("class_weighting", "inverse"),
    ],
)
def test_fine_tune_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        FineTuneConfig(**{field: value})


def test_predicting_before_fit_is_an_error():
    with pytest.raises(RuntimeError, match="not fitted"):
        TransformerClassifier().predict_proba(toy_reviews(per_class=1))


def test_fit_rejects_labels_outside_0_1_2():
    reviews = toy_reviews(per_class=2).assign(label_id=lambda df: df["label_id"] - 1)
    with pytest.raises(ValueError, match="label_id"):
        TransformerClassifier(FineTuneConfig(**TINY)).fit(reviews)
