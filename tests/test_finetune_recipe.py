"""Two fine-tuning recipe options, both off by default: layer-wise learning-rate decay (each
encoder layer's rate a power of `layerwise_lr_decay` below the head's) and early stopping on
validation macro-F1 (ending with the best evaluation's weights, across a resume too). On tiny
BERTs (CPU, offline)."""

import dataclasses

import numpy as np
import pytest
import torch
from tiny_bert import imbalanced_reviews, make_tiny_bert, tiny_config, toy_reviews, weights_equal
from transformers import BertConfig, BertForSequenceClassification

from sentiment_assets.models.checkpoints import LocalCheckpointStore
from sentiment_assets.models.early_stopping import EarlyStopping
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.finetune_setup import optimizer_and_schedule
from sentiment_assets.models.resume import config_fingerprint
from sentiment_assets.models.transformer import TransformerClassifier
from sentiment_assets.training.transformer_job import returned_weights_evaluation

pytestmark = pytest.mark.usefixtures("torch_on_one_thread")

LAYERS = 6  # as many as the bundled MiniLM
DECAY = 0.8
LEARNING_RATE = 1e-4


def weights_of(classifier: TransformerClassifier) -> dict:
    assert classifier.model is not None, "not fitted"
    return classifier.model.state_dict()


def record_of(classifier: TransformerClassifier) -> dict:
    assert classifier.debug_record is not None, "not fitted"
    return classifier.debug_record


def six_layer_bert() -> BertForSequenceClassification:
    """MiniLM's architecture (BertForSequenceClassification, encoder.layer.<i>), shrunk."""
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=64,
        hidden_size=16,
        num_hidden_layers=LAYERS,
        num_attention_heads=2,
        intermediate_size=32,
    )
    config.num_labels = 3  # a property: transformers' typed __init__ does not list it
    return BertForSequenceClassification(config)


def layer_of(name: str) -> str:
    """The depth a parameter's name puts it at, as the groups name it."""
    if ".layer." in name:
        return "layer." + name.split(".layer.")[1].split(".")[0]
    return "embeddings" if ".embeddings." in name else "head"


def expected_rate(layer: str) -> float:
    """learning_rate * decay ** depth: 0 for the head, L - i for layer i, L + 1 for the embeddings."""
    depth = 0 if layer == "head" else LAYERS + 1 if layer == "embeddings" else LAYERS - int(layer[len("layer.") :])
    return LEARNING_RATE * DECAY**depth


def test_with_decay_each_layer_has_its_own_learning_rate_and_biases_are_still_not_decayed():
    model = six_layer_bert()
    config = FineTuneConfig(learning_rate=LEARNING_RATE, layerwise_lr_decay=DECAY, weight_decay=0.01)
    optimizer, _, _ = optimizer_and_schedule(model, config, examples=160)
    names = {id(p): n for n, p in model.named_parameters()}

    layers = [g["layer"] for g in optimizer.param_groups]
    # The head first (so the rate logged is still learning_rate), down to the embeddings.
    expected_order = ["head"] + [f"layer.{i}" for i in reversed(range(LAYERS))] + ["embeddings"]
    assert layers == [layer for layer in expected_order for _ in (True, False)]
    for group in optimizer.param_groups:
        # Each group's own rate, which the warm-up (at 0 now) scales.
        assert group["initial_lr"] == pytest.approx(expected_rate(group["layer"]), rel=1e-12)
        assert {layer_of(names[id(p)]) for p in group["params"]} == {group["layer"]}
        decayed = group["weight_decay"] == 0.01
        assert all((p.ndim >= 2) == decayed for p in group["params"]), group["layer"]
        assert decayed or group["weight_decay"] == 0.0
    grouped = [id(p) for g in optimizer.param_groups for p in g["params"]]
    assert sorted(grouped) == sorted(names) and len(grouped) == len(set(grouped))
    # The pooler trains with the head, at the full rate.
    assert model.bert.pooler is not None
    pooler = {id(model.bert.pooler.dense.weight), id(model.classifier.weight)}
    assert pooler <= {id(p) for p in optimizer.param_groups[0]["params"]}


def test_without_decay_the_optimizer_keeps_exactly_the_two_old_groups():
    model = six_layer_bert()
    optimizer, _, _ = optimizer_and_schedule(model, FineTuneConfig(learning_rate=LEARNING_RATE), examples=160)
    params = list(model.parameters())
    decayed, plain = optimizer.param_groups
    assert [id(p) for p in decayed["params"]] == [id(p) for p in params if p.ndim >= 2]
    assert [id(p) for p in plain["params"]] == [id(p) for p in params if p.ndim < 2]
    assert (decayed["weight_decay"], plain["weight_decay"]) == (0.01, 0.0)
    assert decayed["initial_lr"] == plain["initial_lr"] == LEARNING_RATE and "layer" not in decayed


def test_after_a_warm_up_step_every_group_keeps_its_share_of_the_head_rate():
    model = six_layer_bert()
    config = FineTuneConfig(learning_rate=LEARNING_RATE, layerwise_lr_decay=DECAY, batch_size=16, warmup_ratio=0.5)
    optimizer, scheduler, total_steps = optimizer_and_schedule(model, config, examples=160)
    assert total_steps == 10  # 5 of them warming up
    assert all(g["lr"] == 0.0 for g in optimizer.param_groups)
    optimizer.step()
    scheduler.step()
    rates = scheduler.get_last_lr()
    assert rates[0] == pytest.approx(LEARNING_RATE / 5)
    for group, rate in zip(optimizer.param_groups, rates, strict=True):
        assert rate / rates[0] == pytest.approx(expected_rate(group["layer"]) / LEARNING_RATE, rel=1e-9)


def test_decay_on_a_model_without_numbered_encoder_layers_is_refused():
    model = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"layerwise_lr_decay < 1 needs a model whose encoder layers"):
        optimizer_and_schedule(model, FineTuneConfig(layerwise_lr_decay=DECAY), examples=16)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("layerwise_lr_decay", 0.0),
        ("layerwise_lr_decay", -0.5),
        ("layerwise_lr_decay", 1.2),
        ("early_stopping_patience", -1),
        ("early_stopping_patience", 1.5),
        ("early_stopping_patience", True),
    ],
)
def test_invalid_values_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"FineTuneConfig\.{field} must be"):
        FineTuneConfig(**{field: value})


def test_both_options_enter_the_config_fingerprint_only_when_switched_on():
    plain = config_fingerprint(FineTuneConfig())
    # Off, they leave the fingerprint (so run keys and old checkpoints) as it was before them.
    assert not {"layerwise_lr_decay", "early_stopping_patience", "eval_every_steps"} & plain.keys()
    assert config_fingerprint(FineTuneConfig(layerwise_lr_decay=DECAY))["layerwise_lr_decay"] == DECAY
    stopping = config_fingerprint(FineTuneConfig(early_stopping_patience=2, eval_every_steps=5))
    # With early stopping on, the evaluations decide which weights the run ends with.
    assert (stopping["early_stopping_patience"], stopping["eval_every_steps"]) == (2, 5)


def test_early_stopping_stops_after_patience_evaluations_without_improvement_and_keeps_the_best_weights():
    model = torch.nn.Linear(2, 3)
    stopping, seen = EarlyStopping(patience=2), []
    for evaluation, score in enumerate([0.5, 0.6, 0.6, 0.55], start=1):  # a tie is no improvement
        assert not stopping.stopped
        with torch.no_grad():
            model.weight.fill_(evaluation)
        seen.append({k: v.clone() for k, v in model.state_dict().items()})
        stopping.observe(model, step=10 * evaluation, epoch=1, metrics={"val_macro_f1": score})
    assert stopping.stopped and stopping.summary()["best_evaluation"] == 2 and stopping.best_step == 20
    stopping.restore_best(model)
    assert weights_equal(model.state_dict(), seen[1])


# --- Whole runs on a tiny BERT: 48 reviews in batches of 8, 6 steps an epoch. ---


@pytest.fixture(scope="module")
def train():
    return imbalanced_reviews((8, 12, 28))


@pytest.fixture(scope="module")
def valid():
    return toy_reviews(per_class=4, seed=1)


@pytest.fixture(scope="module")
def warm_model_dir(train, valid, tmp_path_factory):
    """A tiny BERT trained a little (a random one predicts one class for dozens of steps, which
    early stopping would rightly end at once): a run from here improves, then gets worse."""
    random = make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))
    warm = TransformerClassifier(tiny_config(random, epochs=6, learning_rate=3e-3)).fit(train, valid)
    warm.save(directory := tmp_path_factory.mktemp("warm-bert"))
    return directory


def stopping_config(model_dir, **overrides) -> FineTuneConfig:
    """Validation after every step, a rate high enough to overshoot, patience 2."""
    fields = dict(epochs=3, eval_every_steps=1, early_stopping_patience=2, learning_rate=3e-2)
    return tiny_config(model_dir, **{**fields, **overrides})


@pytest.fixture(scope="module")
def stopped_run(warm_model_dir, train, valid):
    """An early-stopped run and, per evaluation, the validation predictions and weights."""
    classifier = TransformerClassifier(stopping_config(warm_model_dir))
    predictions, weights = [], []

    def on_evaluate(step, metrics):
        model = classifier.model
        assert model is not None
        weights.append({k: v.clone() for k, v in model.state_dict().items()})
        predictions.append(classifier.predict_proba(valid).argmax(axis=1))
        model.train()  # predict_proba switched dropout off

    classifier.fit(train, valid, on_evaluate=on_evaluate)
    return classifier, predictions, weights


def test_a_run_stops_after_patience_evaluations_without_improvement(stopped_run):
    classifier, _, _ = stopped_run
    record = record_of(classifier)
    assert record["stop_reason"] == "early_stopping" and not classifier.stopped_early
    summary = record["early_stopping"]
    scores = [e["val_macro_f1"] for e in record["evaluations"]]
    best = summary["best_evaluation"]
    assert len(scores) == summary["evaluations"] == best + 2 < 3 * 6  # stopped before the last epoch ended
    assert classifier.steps == len(scores)  # one evaluation per step
    assert scores[best - 1] == summary["best_score"] == max(scores)
    assert all(s < summary["best_score"] for s in scores[: best - 1])  # each earlier one improved less
    assert summary["best_step"] == record["evaluations"][best - 1]["step"]


def test_the_early_stopped_model_predicts_as_it_did_at_its_best_evaluation(stopped_run, valid):
    classifier, predictions, weights = stopped_run
    best = record_of(classifier)["early_stopping"]["best_evaluation"]
    final = classifier.predict_proba(valid).argmax(axis=1)
    assert np.array_equal(final, predictions[best - 1])
    assert weights_equal(weights_of(classifier), weights[best - 1])
    # The run went on past its best: its last evaluation's weights were not what it returned.
    assert not weights_equal(weights_of(classifier), weights[-1])
    assert not np.array_equal(final, predictions[-1])


def test_the_job_reports_the_validation_figures_of_the_weights_it_returns(stopped_run):
    record = record_of(stopped_run[0])
    best = record["early_stopping"]["best_evaluation"]
    reported = returned_weights_evaluation(record)
    assert reported == record["evaluations"][best - 1] != record["evaluations"][-1]
    # Without early stopping the weights are the last pass's.
    plain = {k: v for k, v in record.items() if k != "early_stopping"}
    assert returned_weights_evaluation(plain) == record["evaluations"][-1]
    assert returned_weights_evaluation({"evaluations": []}) == {}


def test_early_stopping_without_validation_data_is_refused(warm_model_dir, train):
    with pytest.raises(ValueError, match="early_stopping_patience > 0 needs validation data"):
        TransformerClassifier(stopping_config(warm_model_dir)).fit(train)


class Interrupted(Exception):
    """Stands in for the machine going away."""


class InterruptedAfterSaves(LocalCheckpointStore):
    """A local store that interrupts the run right after its n-th checkpoint."""

    def __init__(self, directory, saves: int) -> None:
        super().__init__(directory)
        self.saves_left = saves

    def save(self, step: int, payload: bytes) -> None:
        super().save(step, payload)
        self.saves_left -= 1
        if self.saves_left == 0:
            raise Interrupted(f"after the checkpoint of step {step}")


def interrupt(config, train, valid, directory, after_saves: int) -> LocalCheckpointStore:
    """The checkpoints a run interrupted after its `after_saves`-th one left."""
    with pytest.raises(Interrupted):
        TransformerClassifier(config, InterruptedAfterSaves(directory, after_saves)).fit(train, valid)
    return LocalCheckpointStore(directory)


@pytest.mark.parametrize("after_saves", [1, 2], ids=["while-a-best-is-held", "at-the-stop"])
def test_an_early_stopping_run_resumed_stops_at_the_same_evaluation_with_the_same_weights(
    stopped_run, warm_model_dir, train, valid, tmp_path, after_saves
):
    uninterrupted, _, _ = stopped_run
    stops_at = uninterrupted.steps
    config = stopping_config(warm_model_dir, checkpoint_every_steps=stops_at - 1)
    # Checkpoints: one step before the stop (best weights held), then the stop itself.
    resumed = TransformerClassifier(config, interrupt(config, train, valid, tmp_path, after_saves)).fit(train, valid)
    assert resumed.resumed_from_step == [stops_at - 1, stops_at][after_saves - 1]
    assert resumed.steps == stops_at
    assert weights_equal(weights_of(resumed), weights_of(uninterrupted))
    assert record_of(resumed)["early_stopping"] == record_of(uninterrupted)["early_stopping"]
    assert record_of(resumed)["stop_reason"] == "early_stopping"


def test_a_resume_with_other_validation_data_or_evaluations_is_refused(warm_model_dir, train, valid, tmp_path):
    config = stopping_config(warm_model_dir, checkpoint_every_steps=1)
    store = interrupt(config, train, valid, tmp_path, after_saves=1)
    with pytest.raises(ValueError, match="validation data"):
        TransformerClassifier(config, store).fit(train, valid.iloc[:-1])
    with pytest.raises(ValueError, match=r"different config \(eval_every_steps 1 -> 2\)"):
        TransformerClassifier(dataclasses.replace(config, eval_every_steps=2), store).fit(train, valid)
    assert store.steps() == [1]


def test_a_run_with_layerwise_decay_resumes_to_the_same_weights_and_refuses_another_decay(
    warm_model_dir, train, valid, tmp_path
):
    config = tiny_config(warm_model_dir, epochs=1, layerwise_lr_decay=DECAY, checkpoint_every_steps=3)
    uninterrupted = TransformerClassifier(config).fit(train, valid)
    store = interrupt(config, train, valid, tmp_path, after_saves=1)
    resumed = TransformerClassifier(config, store).fit(train, valid)
    assert resumed.resumed_from_step == 3
    assert weights_equal(weights_of(resumed), weights_of(uninterrupted))
    # The logged rate is the head's: learning_rate at the top of the warm-up.
    assert max(s["learning_rate"] for s in record_of(uninterrupted)["steps"]) == pytest.approx(1e-3)
    with pytest.raises(ValueError, match=r"different config \(layerwise_lr_decay 0.8 -> 1.0\)"):
        TransformerClassifier(dataclasses.replace(config, layerwise_lr_decay=1.0), store).fit(train, valid)
