import numpy as np
import pandas as pd
import pytest

from sentiment_assets.features.splits import (
    COURSE_FRACTIONS,
    MIN_EVALUATION_REVIEWS_PER_CLASS,
    USER_DATA_FRACTIONS,
    assign_splits,
    default_fractions,
    split_report,
    split_sizes_too_small,
)


def reviews(n: int, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": [f"r{i}" for i in range(offset, offset + n)],
            "sentiment": [(i % 3) - 1 for i in range(offset, offset + n)],
        }
    )


def skewed_reviews(n: int, shares=(0.15, 0.10, 0.75), seed: int = 0) -> pd.DataFrame:
    sentiment = np.random.default_rng(seed).choice([-1, 0, 1], size=n, p=list(shares))
    return pd.DataFrame({"review_id": [f"u{i}" for i in range(n)], "sentiment": sentiment})


def test_splits_are_identical_on_rerun_and_independent_of_row_order():
    frame = reviews(3000)
    first = assign_splits(frame)
    shuffled = frame.sample(frac=1.0, random_state=7)
    assert assign_splits(shuffled).reindex(frame.index).equals(first)


def test_when_ten_percent_more_reviews_arrive_fewer_than_one_percent_of_the_old_ones_change_split():
    old = reviews(6000)
    grown = pd.concat([old, reviews(600, offset=6000)], ignore_index=True)
    moved = (assign_splits(grown).iloc[:6000] != assign_splits(old)).sum()
    assert 0 <= moved < 60


def test_every_sentiment_is_split_exactly_90_5_5_up_to_one_review():
    frame = skewed_reviews(7001)
    split = assign_splits(frame)
    counts = pd.crosstab(frame["sentiment"], split)
    sizes = frame["sentiment"].value_counts()
    for sentiment, size in sizes.items():
        assert abs(counts.loc[sentiment, "validation"] - 0.05 * size) <= 1
        assert abs(counts.loc[sentiment, "test"] - 0.05 * size) <= 1


def test_a_600_review_file_gets_at_least_thirty_of_each_class_where_the_class_can_spare_them():
    frame = skewed_reviews(600, shares=(0.30, 0.30, 0.40))
    split = assign_splits(frame, USER_DATA_FRACTIONS)
    assert split_sizes_too_small(frame, split) == {}
    # 10% of ~180 neutral reviews would be 18: the minimum lifted it.
    assert (
        pd.crosstab(frame["sentiment"], split).loc[0, ["validation", "test"]] >= MIN_EVALUATION_REVIEWS_PER_CLASS
    ).all()


def test_a_small_class_gives_at_most_a_fifth_of_itself_to_each_evaluation_split_and_keeps_the_rest_for_training():
    frame = skewed_reviews(600)  # about 60 neutral reviews
    split = assign_splits(frame, USER_DATA_FRACTIONS)
    neutral = split.loc[frame["sentiment"] == 0].value_counts()
    size = int((frame["sentiment"] == 0).sum())
    assert neutral["validation"] == neutral["test"] == int(0.2 * size)
    assert neutral["train"] == size - 2 * int(0.2 * size)


def test_a_class_of_three_reviews_still_has_one_in_validation_and_one_in_test():
    frame = pd.DataFrame({"review_id": [f"r{i}" for i in range(103)], "sentiment": [1] * 100 + [-1] * 3})
    split = assign_splits(frame)
    assert split.loc[frame["sentiment"] == -1].value_counts().to_dict() == {"train": 1, "validation": 1, "test": 1}


def test_reviews_without_a_sentiment_column_are_split_as_one_stratum():
    frame = reviews(1000).drop(columns="sentiment")
    assert assign_splits(frame).value_counts().to_dict() == {"train": 900, "validation": 50, "test": 50}


def test_course_data_keeps_the_course_split_and_user_data_gets_a_bigger_validation_split():
    assert default_fractions(course_data=True) == COURSE_FRACTIONS == (0.90, 0.05, 0.05)
    assert default_fractions(course_data=False) == USER_DATA_FRACTIONS == (0.80, 0.10, 0.10)


def test_split_report_shows_each_class_split_in_the_target_shares():
    frame = reviews(30_000)
    shares = split_report(frame, assign_splits(frame))
    assert ((shares["train"] - 0.90).abs() < 0.001).all()
    assert ((shares["validation"] - 0.05).abs() < 0.001).all()


def test_fractions_must_sum_to_one():
    with pytest.raises(ValueError, match="summing to 1"):
        assign_splits(reviews(10), (0.8, 0.1, 0.2))
