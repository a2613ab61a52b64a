import math

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.monitoring import DriftBaseline, DriftThresholds, data_drift, prediction_drift
from sentiment_assets.monitoring.drift import CATEGORY_MIX_PSI, OOV_RATE, REVIEW_LENGTH_KS, REVIEW_LENGTH_PSI
from sentiment_assets.monitoring.statistics import UNSEEN_CATEGORY, categorical_psi, psi

# A Zipf-like vocabulary, as in real text: a few words everywhere, a long tail of rare ones,
# so some words of a fresh review are always new to the training vocabulary.
VOCABULARY = np.array([f"w{rank}" for rank in range(1, 5001)])
WORD_WEIGHTS = 1.0 / np.arange(1, 5001) ** 1.1
CATEGORIES = {"Dresses": 0.5, "Tops": 0.3, "Pants": 0.2}


def reviews_like(
    n, seed, *, mean_words=40, categories=CATEGORIES, vocabulary=VOCABULARY, sentiment_shares=(0.2, 0.2, 0.6)
):
    rng = np.random.default_rng(seed)
    lengths = rng.poisson(mean_words, n) + 1
    weights = WORD_WEIGHTS[: len(vocabulary)] / WORD_WEIGHTS[: len(vocabulary)].sum()
    bodies = [" ".join(rng.choice(vocabulary, size=k, p=weights)) for k in lengths]
    return pd.DataFrame(
        {
            "review_body": bodies,
            "product_category": rng.choice(list(categories), size=n, p=list(categories.values())),
            "sentiment": rng.choice([-1, 0, 1], size=n, p=sentiment_shares),
        }
    )


@pytest.fixture(scope="module")
def baseline():
    return DriftBaseline.from_training(reviews_like(4000, seed=1))


def by_name(results):
    return {result.name: result for result in results}


def test_psi_equals_the_hand_computed_value():
    # (0.25 - 0.5) * ln(0.25 / 0.5) + (0.75 - 0.5) * ln(0.75 / 0.5) = 0.173287 + 0.101366
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.274653, abs=1e-6)
    assert psi([0.3, 0.7], [0.3, 0.7]) == 0.0


def test_psi_floors_an_empty_bucket_at_epsilon_instead_of_going_infinite():
    # (0.5 - 1) * ln(0.5 / 1) + (0.5 - 1e-4) * ln(0.5 / 1e-4)
    expected = -0.5 * math.log(0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert psi([1.0, 0.0], [0.5, 0.5], epsilon=1e-4) == pytest.approx(expected)


def test_categories_the_baseline_never_saw_share_one_unseen_bucket():
    statistic, shares = categorical_psi({"Dresses": 0.6, "Tops": 0.4}, {"Dresses": 0.5, "Jackets": 0.3, "Hats": 0.2})
    assert shares[UNSEEN_CATEGORY] == {"expected": 0.0, "actual": 0.5}
    assert shares["Tops"] == {"expected": 0.4, "actual": 0.0}
    assert statistic > 0.2


def test_the_baseline_records_lengths_categories_vocabulary_and_classes(baseline):
    assert len(baseline.length_shares) == len(baseline.length_edges) + 1 <= 10
    assert sum(baseline.length_shares) == pytest.approx(1.0)
    assert len(baseline.length_sample) == 4000
    assert set(baseline.category_shares) == set(CATEGORIES)
    assert baseline.category_shares["Dresses"] == pytest.approx(0.5, abs=0.03)
    assert baseline.class_shares[1] == pytest.approx(0.6, abs=0.03)
    assert "w1" in baseline.vocabulary_set and len(baseline.vocabulary) < len(VOCABULARY)


def test_the_length_sample_is_capped():
    capped = DriftBaseline.from_training(reviews_like(600, seed=2), sample_size=100)
    assert len(capped.length_sample) == 100


def test_the_baseline_oov_rate_is_not_zero_and_matches_fresh_reviews_of_the_same_kind(baseline):
    fresh = by_name(data_drift(baseline, reviews_like(2000, seed=3)))[OOV_RATE]
    assert baseline.oov_rate > 0.005
    assert fresh.details["rate"] == pytest.approx(baseline.oov_rate, abs=0.01)


def test_a_resample_of_the_training_distribution_shows_no_drift(baseline):
    results = data_drift(baseline, reviews_like(2000, seed=4))
    assert [r.name for r in results] == [REVIEW_LENGTH_PSI, REVIEW_LENGTH_KS, CATEGORY_MIX_PSI, OOV_RATE]
    assert not any(r.drifted for r in results), [r.to_dict() for r in results]
    assert all(r.statistic < r.threshold / 2 for r in results)


def test_longer_reviews_drift_in_length_but_not_in_category(baseline):
    results = by_name(data_drift(baseline, reviews_like(2000, seed=5, mean_words=80)))
    assert results[REVIEW_LENGTH_PSI].drifted and results[REVIEW_LENGTH_KS].drifted
    length_ks = results[REVIEW_LENGTH_KS].details
    assert length_ks["median_words"] > length_ks["baseline_median_words"]
    assert not results[CATEGORY_MIX_PSI].drifted


def test_a_new_category_mix_drifts(baseline):
    new_mix = {"Dresses": 0.2, "Tops": 0.2, "Jackets": 0.6}
    result = by_name(data_drift(baseline, reviews_like(2000, seed=6, categories=new_mix)))[CATEGORY_MIX_PSI]
    assert result.drifted
    assert result.details["shares"][UNSEEN_CATEGORY]["actual"] == pytest.approx(0.6, abs=0.03)
    assert result.details["shares"]["Pants"]["actual"] == 0.0


def test_texts_in_a_foreign_vocabulary_drift_and_name_the_new_words(baseline):
    foreign = np.array([f"fremd{rank}" for rank in range(1, 5001)])
    reviews = pd.concat([reviews_like(1500, seed=7), reviews_like(500, seed=8, vocabulary=foreign)])
    result = by_name(data_drift(baseline, reviews))[OOV_RATE]
    assert result.drifted
    assert result.statistic == pytest.approx(result.details["rate"] - baseline.oov_rate)
    assert result.details["top_unseen_words"][0][0].startswith("fremd")


def test_skewed_predictions_drift_and_matching_ones_do_not(baseline):
    rng = np.random.default_rng(9)
    matching = prediction_drift(baseline, rng.choice([-1, 0, 1], size=3000, p=[0.2, 0.2, 0.6]))
    skewed = prediction_drift(baseline, rng.choice([-1, 0, 1], size=3000, p=[0.6, 0.2, 0.2]))
    assert not matching.drifted and matching.statistic < 0.02
    assert skewed.drifted
    assert skewed.details["shares"]["negative"]["actual"] == pytest.approx(0.6, abs=0.03)


def test_custom_thresholds_change_the_verdict_not_the_statistic(baseline):
    predictions = np.random.default_rng(10).choice([-1, 0, 1], size=3000, p=[0.3, 0.2, 0.5])
    default = prediction_drift(baseline, predictions)
    strict = prediction_drift(baseline, predictions, DriftThresholds(prediction_psi=0.01))
    assert default.statistic == strict.statistic
    assert not default.drifted and strict.drifted


def test_the_baseline_survives_a_json_round_trip(baseline):
    restored = DriftBaseline.from_json(baseline.to_json())
    assert restored == baseline
    assert restored.class_shares.keys() == {-1, 0, 1}
    assert [r.to_dict() for r in data_drift(restored, reviews_like(300, seed=11))] == [
        r.to_dict() for r in data_drift(baseline, reviews_like(300, seed=11))
    ]


def test_json_of_something_else_is_refused():
    with pytest.raises(ValueError, match="not a drift baseline"):
        DriftBaseline.from_json('{"reviews": 3}')


def test_empty_inputs_give_a_clear_error(baseline):
    empty = reviews_like(0, seed=12)
    with pytest.raises(ValueError, match="no training reviews"):
        DriftBaseline.from_training(empty)
    with pytest.raises(ValueError, match="no reviews to compare"):
        data_drift(baseline, empty)
    with pytest.raises(ValueError, match="no predictions"):
        prediction_drift(baseline, [])
    with pytest.raises(ValueError, match="at least one bucket"):
        psi([], [])


def test_training_reviews_without_labels_are_refused():
    with pytest.raises(ValueError, match="sentiment or a label_id"):
        DriftBaseline.from_training(reviews_like(10, seed=13).drop(columns="sentiment"))
