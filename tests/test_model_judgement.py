"""Evaluation maths, the promotion gate and profiling rules."""

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.analysis.profiling import length_profile, next_power_of_two
from sentiment_assets.models.evaluation import evaluate_predictions
from sentiment_assets.registry.promotion import decide_promotion


def test_confusion_matrix_rows_are_true_labels_and_columns_predictions():
    # Two negatives both predicted positive; one positive predicted positive.
    evaluation = evaluate_predictions(np.array([0, 0, 2]), np.array([2, 2, 2]))
    assert evaluation["confusion_matrix"] == [[0, 0, 2], [0, 0, 0], [0, 0, 1]]
    assert evaluation["accuracy"] == pytest.approx(1 / 3)
    per_class = evaluation["per_class"]
    assert isinstance(per_class, dict)
    assert per_class["positive"]["precision"] == pytest.approx(1 / 3)
    assert per_class["negative"]["recall"] == 0.0


def test_promotion_needs_the_gate_and_no_regression_against_the_champion():
    assert decide_promotion(0.70, 0.33, None).promote
    below = decide_promotion(0.30, 0.33, None)
    assert not below.promote and "below min_accuracy" in below.reason
    worse = decide_promotion(0.60, 0.33, 0.65)
    assert not worse.promote and "worse than the current champion" in worse.reason
    assert decide_promotion(0.65, 0.33, 0.65).promote


def test_the_gate_says_the_test_split_is_too_small_before_any_accuracy():
    tiny = {"negative": 1, "neutral": 0, "positive": 1}
    failed = decide_promotion(0.0, 0.33, None, tiny)
    assert not failed.promote
    assert failed.reason.startswith("test split too small: 2 reviews (negative 1, neutral 0, positive 1; at least 30")
    assert "below min_accuracy" in failed.reason
    passed = decide_promotion(0.9, 0.33, None, tiny)
    assert passed.promote and passed.reason.startswith("test split too small")
    enough = decide_promotion(0.9, 0.33, None, {"negative": 30, "neutral": 31, "positive": 400})
    assert enough.promote and "too small" not in enough.reason


def test_split_sizes_name_each_evaluation_split_short_of_a_class():
    from sentiment_assets.features.splits import split_sizes_too_small

    reviews = pd.DataFrame({"sentiment": [-1] * 40 + [0] * 40 + [1] * 40 + [1] * 5})
    split = pd.Series(["validation"] * 120 + ["test"] * 5)
    assert split_sizes_too_small(reviews, split) == {"test": {"-1": 0, "0": 0, "1": 5}}
    assert split_sizes_too_small(reviews, split, minimum=0) == {}


def test_next_power_of_two_gives_the_course_sequence_length():
    assert [next_power_of_two(v) for v in (1, 64, 65, 122, 128)] == [1, 64, 128, 128, 128]


def test_length_profile_picks_128_for_a_122_word_review_and_caps_at_512():
    texts = pd.Series(["word " * 122, "short one"])
    profile = length_profile(texts)
    assert (profile.max_words, profile.words_limit) == (122, 128)
    assert "122 words" in profile.reason
    assert length_profile(pd.Series(["w " * 900])).words_limit == 512
