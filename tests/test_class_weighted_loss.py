"""The class-weighted loss of the fine-tuning loop (FineTuneConfig.class_weighting): the weights,
the loss against a hand computation, its sharding over processes, and two tiny-BERT runs (CPU,
offline). The distributed run itself is in test_distributed_training.py."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.utils.class_weight import compute_class_weight
from tiny_bert import imbalanced_reviews, make_tiny_bert, tiny_config, toy_reviews
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from sentiment_assets.models.batches import epoch_batches, forward, to_device
from sentiment_assets.models.class_weights import class_weights
from sentiment_assets.models.distributed import World
from sentiment_assets.models.finetune import fine_tune
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.transformer import TransformerClassifier

# 2 negative, 5 neutral, 13 positive reviews.
IMBALANCED = np.array([2, 0, 2, 1, 2, 2, 1, 2, 2, 0, 2, 1, 2, 2, 2, 1, 2, 2, 1, 2])


pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


def hand_weighted_mean_loss(logits: torch.Tensor, targets: torch.Tensor, weights: list[float]) -> float:
    """sum_i w[y_i] * -log softmax(logits_i)[y_i] / sum_i w[y_i], in float64, element by element."""
    total = weight_sum = 0.0
    for row, target in zip(logits.double().tolist(), targets.tolist(), strict=False):
        log_partition = np.log(np.sum(np.exp(row)))
        total += weights[target] * (log_partition - row[target])
        weight_sum += weights[target]
    return total / weight_sum


def test_balanced_weights_are_the_sample_count_over_classes_times_class_count_as_scikit_learn_has_them():
    weights = class_weights(IMBALANCED, 3, "balanced")
    assert weights.tolist() == pytest.approx([20 / (3 * 2), 20 / (3 * 5), 20 / (3 * 13)])
    assert weights.tolist() == pytest.approx(
        compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=IMBALANCED).tolist()
    )
    # Every class weighs the same in total, and the average example weighs 1.
    counts = np.bincount(IMBALANCED)
    assert (weights * counts).tolist() == pytest.approx([20 / 3] * 3)
    assert weights[IMBALANCED].mean() == pytest.approx(1.0)


def test_a_class_absent_from_training_weighs_zero_and_the_present_ones_are_balanced_among_themselves():
    labels = np.array([0, 2, 2, 2])  # no neutral review
    with np.errstate(all="raise"):  # a division by a count of 0 would raise here
        weights = class_weights(labels, 3, "balanced")
    assert weights.tolist() == pytest.approx([4 / (2 * 1), 0.0, 4 / (2 * 3)])
    assert np.isfinite(weights).all()


def test_without_weighting_every_class_weighs_one_and_a_label_beyond_the_classes_is_refused():
    assert class_weights(IMBALANCED, 3, "none").tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="labels must be 0 .. 2, found 3"):
        class_weights(np.array([0, 1, 3]), 3, "balanced")


def test_class_weighting_defaults_to_balanced_and_anything_but_balanced_or_none_is_refused():
    assert FineTuneConfig().class_weighting == "balanced"
    assert FineTuneConfig(class_weighting="none").class_weighting == "none"
    with pytest.raises(ValueError, match="class_weighting must be one of"):
        FineTuneConfig(class_weighting="inverse")  # pyright: ignore[reportArgumentType]  # invalid on purpose


def test_the_loss_is_the_hand_computed_weighted_mean_and_without_weights_the_plain_mean():
    logits = torch.randn(len(IMBALANCED), 3, generator=torch.Generator().manual_seed(0))
    targets = torch.as_tensor(IMBALANCED)
    world = World()  # one process: the loss the training step calls backward on
    shard = world.shard(np.arange(len(IMBALANCED)))

    plain = world.loss(logits, targets, shard.loss_weight, None)
    assert torch.equal(plain, F.cross_entropy(logits, targets))  # exactly what it was before
    assert plain.item() == pytest.approx(hand_weighted_mean_loss(logits, targets, [1, 1, 1]), rel=1e-6)

    weights = class_weights(IMBALANCED, 3, "balanced")
    weighted = world.loss(logits, targets, shard.loss_weight, torch.tensor(weights, dtype=torch.float32))
    assert weighted.item() == pytest.approx(hand_weighted_mean_loss(logits, targets, weights.tolist()), rel=1e-6)
    assert abs(weighted.item() - plain.item()) > 1e-3  # the weights changed something


@pytest.mark.parametrize("size", [2, 3])
def test_the_shards_of_several_processes_add_up_to_the_one_process_loss_and_gradient_with_class_weights(size):
    generator = torch.Generator().manual_seed(1)
    weights = class_weights(IMBALANCED, 3, "balanced")
    class_tensor = torch.tensor(weights, dtype=torch.float32)
    # A batch of 7 in the order the loop draws rows, and one of 2, shorter than a world of 3.
    for batch in (np.array([3, 0, 17, 9, 1, 12, 5]), np.array([9, 4])):
        logits = torch.randn(len(IMBALANCED), 3, generator=generator, requires_grad=True)
        targets = torch.as_tensor(IMBALANCED)
        batch_weight = float(weights[IMBALANCED[batch]].sum())

        one = World().shard(batch, batch_weight)
        single = World().loss(logits[one.rows], targets[one.rows], one.loss_weight, class_tensor)
        (single_grad,) = torch.autograd.grad(single, logits)

        # DistributedDataParallel averages the ranks' gradients: the gradient of the mean loss.
        shards = [World(rank=rank, size=size).shard(batch, batch_weight) for rank in range(size)]
        averaged = (
            sum(
                World(rank=rank, size=size).loss(logits[s.rows], targets[s.rows], s.loss_weight, class_tensor)
                for rank, s in enumerate(shards)
            )
            / size
        )
        (sharded_grad,) = torch.autograd.grad(averaged, logits)

        assert averaged.item() == pytest.approx(single.item(), rel=1e-6)
        assert averaged.item() == pytest.approx(
            hand_weighted_mean_loss(logits.detach()[batch], targets[batch], weights.tolist()), rel=1e-6
        )
        torch.testing.assert_close(sharded_grad, single_grad, rtol=1e-5, atol=1e-7)
        assert single_grad.abs().sum() > 0


@pytest.fixture(scope="module")
def no_dropout_bert(tmp_path_factory):
    # Without dropout a training step's loss is the loss of the weights' logits, computable here.
    return make_tiny_bert(
        tmp_path_factory.mktemp("tiny-bert"), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
    )


@pytest.mark.parametrize("weighting", ["none", "balanced"])
def test_the_first_step_of_a_run_records_the_hand_computed_loss_of_its_batch_and_the_run_its_weights(
    no_dropout_bert, weighting
):
    reviews = imbalanced_reviews((3, 6, 15))
    tokenizer = AutoTokenizer.from_pretrained(no_dropout_bert)
    ids = tokenizer(reviews["review_body"].tolist(), truncation=True, max_length=24)["input_ids"]
    pad_id = tokenizer.pad_token_id
    labels = reviews["label_id"].to_numpy()
    config = tiny_config(no_dropout_bert, epochs=1, class_weighting=weighting)
    model = AutoModelForSequenceClassification.from_pretrained(no_dropout_bert)

    first = epoch_batches(np.array([len(i) for i in ids]), config.batch_size, config.seed, 1)[0]
    with torch.no_grad():
        logits = forward(model, *to_device([ids[i] for i in first], pad_id, torch.device("cpu")), False)
    expected = {"none": [1.0, 1.0, 1.0], "balanced": [24 / 9, 24 / 18, 24 / 45]}[weighting]
    assert len(set(labels[first].tolist())) > 1  # a batch of several classes, so weights matter

    result = fine_tune(model, ids, labels, config, pad_id=pad_id)
    assert result.class_weights == pytest.approx(dict(enumerate(expected)))
    assert result.record["steps"][0]["loss"] == pytest.approx(
        hand_weighted_mean_loss(logits, torch.as_tensor(labels[first]), expected), rel=1e-5
    )


def test_a_balanced_run_on_imbalanced_reviews_keeps_every_class_likely_where_an_unweighted_run_learns_the_majority(
    tmp_path,
):
    # The tiny BERT cannot yet tell the classes apart after a few steps, but it learns how
    # likely each is: the unweighted loss teaches it the majority's share, the balanced one
    # that the three classes weigh the same. Checked over four seeds: unweighted ~0.73 for the
    # majority and ~0.13 for each minority class, balanced 0.29 .. 0.40 for all three.
    model_dir = make_tiny_bert(tmp_path / "tiny-bert")
    train, test = imbalanced_reviews((4, 4, 40)), toy_reviews(per_class=10, seed=5)
    mean_proba = {}
    for weighting in ("none", "balanced"):
        config = tiny_config(model_dir, epochs=4, learning_rate=3e-3, class_weighting=weighting)
        classifier = TransformerClassifier(config).fit(train)
        mean_proba[weighting] = classifier.predict_proba(test).mean(axis=0)
        if weighting == "balanced":
            assert classifier.class_weights == pytest.approx({0: 4.0, 1: 4.0, 2: 0.4})
        else:
            assert classifier.class_weights == {0: 1.0, 1: 1.0, 2: 1.0}

    assert mean_proba["none"][2] > 0.6 and (mean_proba["none"][:2] < 0.2).all()
    assert ((mean_proba["balanced"] > 0.22) & (mean_proba["balanced"] < 0.45)).all()
    assert (mean_proba["balanced"][:2] > 1.5 * mean_proba["none"][:2]).all()
