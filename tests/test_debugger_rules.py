"""The debugger rules and the profiler summary, on training records crafted to show one problem
each (and a healthy one that shows none)."""

import json
import math

import numpy as np
import pytest

from sentiment_assets.models.debugger import TrainingRecorder, layer_group, profiler_summary
from sentiment_assets.models.debugger_rule_names import (
    EXPLODING_GRADIENTS,
    LOSS_NOT_DECREASING,
    OVERFITTING,
    RULE_DESCRIPTIONS,
    RULE_NAMES,
    VANISHING_GRADIENTS,
)
from sentiment_assets.models.debugger_rules import (
    RuleThresholds,
    evaluate_rules,
    exploding_gradients,
    loss_not_decreasing,
    overfitting,
    vanishing_gradients,
)

GROUPS = ["embeddings", "layer.0", "layer.1", "pooler", "classifier"]


def crafted_record(losses, grad_norms=None, val_losses=(), eval_every=10, dead_group=None):
    """A record as the training loop would fill it: one step per loss, gradient norms spread
    evenly over the layer groups, and a validation pass every `eval_every` steps."""
    recorder = TrainingRecorder(GROUPS)
    grad_norms = [1.0] * len(losses) if grad_norms is None else grad_norms
    val_losses = list(val_losses)
    for i, (loss, norm) in enumerate(zip(losses, grad_norms, strict=False), start=1):
        groups = {g: norm / math.sqrt(len(GROUPS)) for g in GROUPS}
        if dead_group:
            groups[dead_group] = 0.0
        recorder.record_step(
            step=i,
            epoch=1,
            loss=loss,
            learning_rate=1e-4,
            grad_norm=norm,
            group_grad_norms=groups,
            step_seconds=0.1 + 0.01 * (i % 5),
            data_seconds=0.02,
            samples=16,
            memory={"rss_mb": 500.0 + i},
        )
        if i % eval_every == 0 and val_losses:
            recorder.record_evaluation(step=i, epoch=1, metrics={"val_loss": val_losses.pop(0), "val_accuracy": 0.5})
    return recorder


def healthy_record():
    losses = np.linspace(1.1, 0.4, 60).tolist()
    return crafted_record(losses, np.linspace(5.0, 1.0, 60).tolist(), val_losses=[1.0, 0.8, 0.7, 0.65, 0.66, 0.64])


def test_a_healthy_run_passes_every_rule_in_the_order_of_the_rule_names():
    results = evaluate_rules(healthy_record())
    assert [r.name for r in results] == list(RULE_NAMES)
    assert [r.name for r in results if not r.passed] == []
    assert all(r.description for r in results)
    assert list(RULE_DESCRIPTIONS) == list(RULE_NAMES)


def test_a_flat_training_loss_fails_loss_not_decreasing():
    flat = crafted_record([1.10, 1.09, 1.11, 1.10] * 15)
    result = loss_not_decreasing(flat)
    assert result.name == LOSS_NOT_DECREASING and not result.passed
    assert "did not fall enough" in result.description
    assert abs(result.metadata["relative_drop"]) < 0.05


def test_validation_loss_rising_while_training_loss_falls_fails_overfitting():
    losses = np.linspace(1.0, 0.1, 60).tolist()
    result = overfitting(crafted_record(losses, val_losses=[0.9, 0.7, 0.75, 0.8, 0.9, 1.0]))
    assert result.name == OVERFITTING and not result.passed
    assert result.metadata["from_step"] == 20 and result.metadata["to_step"] == 50


def test_validation_loss_rising_with_the_training_loss_is_not_overfitting():
    losses = np.linspace(0.5, 1.5, 60).tolist()  # diverging, not memorising
    assert overfitting(crafted_record(losses, val_losses=[0.9, 1.0, 1.1, 1.2, 1.3, 1.4])).passed


def test_vanishing_global_gradient_norms_fail_vanishing_gradients():
    record = crafted_record([1.0] * 30, grad_norms=[1.0] * 5 + [1e-6] * 25)
    result = vanishing_gradients(record)
    assert result.name == VANISHING_GRADIENTS and not result.passed
    assert result.metadata["vanished_share"] == 1.0


def test_a_trainable_layer_group_that_never_gets_a_gradient_fails_vanishing_gradients():
    result = vanishing_gradients(crafted_record([1.0] * 30, dead_group="layer.1"))
    assert not result.passed and "layer.1" in result.description
    assert result.metadata["dead_groups"] == "layer.1"


def test_a_frozen_layer_group_without_gradients_is_not_vanishing():
    record = crafted_record([1.0] * 30, dead_group="layer.1").to_dict()
    record["trainable_groups"] = [g for g in GROUPS if g != "layer.1"]  # frozen, as meant
    assert vanishing_gradients(record).passed


def test_a_gradient_norm_above_the_threshold_fails_exploding_gradients():
    norms = [1.0] * 20 + [5e3] + [1.0] * 9
    result = exploding_gradients(crafted_record([1.0] * 30, grad_norms=norms))
    assert result.name == EXPLODING_GRADIENTS and not result.passed
    assert result.metadata["first_bad_step"] == 21 and result.metadata["max_grad_norm"] == 5e3
    # A lower threshold in RuleThresholds is honoured too.
    lower = RuleThresholds(exploding_grad_norm=0.5)
    assert not exploding_gradients(crafted_record([1.0] * 30), lower).passed


def test_a_nan_loss_fails_exploding_gradients():
    losses = [1.0] * 10 + [math.nan] * 5
    result = exploding_gradients(crafted_record(losses))
    assert not result.passed and result.metadata["non_finite_steps"] == 5
    assert "step 11" in result.description


@pytest.mark.parametrize("rule", [loss_not_decreasing, overfitting, vanishing_gradients])
def test_with_too_few_steps_or_evaluations_a_rule_passes_and_says_why(rule):
    result = rule(crafted_record([1.1, 1.1, 1.1]))
    assert result.passed and result.description.startswith("too little to judge")
    assert result.metadata == {"judged": False}


def test_profiler_summary_splits_step_time_into_data_and_compute():
    record = healthy_record()
    summary = profiler_summary(record)
    assert summary["steps"] == 60
    assert summary["data_seconds"] + summary["compute_seconds"] == pytest.approx(summary["total_seconds"])
    assert summary["data_seconds"] == pytest.approx(60 * 0.02)
    assert 0 <= summary["data_share"] <= 1
    assert summary["samples_per_second"] == pytest.approx(60 * 16 / summary["total_seconds"])
    assert 0.1 <= summary["p50_step_seconds"] <= summary["p95_step_seconds"] <= 0.14
    assert summary["peak_rss_mb"] == 560.0
    assert profiler_summary(TrainingRecorder())["steps"] == 0


def test_a_record_survives_json_including_the_loss_since_the_last_evaluation():
    recorder = crafted_record([1.0, 0.5, 0.3])  # no evaluation yet: 3 losses pending
    restored = TrainingRecorder.from_dict(json.loads(json.dumps(recorder.to_dict())))
    assert restored.to_dict() == recorder.to_dict()
    entry = restored.record_evaluation(step=3, epoch=1, metrics={"val_loss": 0.4})
    assert entry["train_loss"] == pytest.approx(0.6)


def test_parameter_names_map_to_the_layer_groups_of_a_bert_model():
    assert layer_group("bert.embeddings.word_embeddings.weight") == "embeddings"
    assert layer_group("bert.encoder.layer.11.attention.self.query.weight") == "layer.11"
    assert layer_group("bert.pooler.dense.bias") == "pooler"
    assert layer_group("classifier.weight") == "classifier"
    assert layer_group("pre_classifier_norm.weight") == "classifier"
    assert layer_group("lm_head.bias") == "other"
