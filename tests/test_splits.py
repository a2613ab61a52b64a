import pandas as pd
import pytest

from sentiment_assets.features.splits import assign_splits, split_report


def reviews(n: int, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"review_id": [f"r{i}" for i in range(offset, offset + n)], "sentiment": [(i % 3) - 1 for i in range(offset, offset + n)]})


def test_splits_are_identical_on_rerun_and_independent_of_row_order():
    frame = reviews(3000)
    first = assign_splits(frame)
    shuffled = frame.sample(frac=1.0, random_state=7)
    assert assign_splits(shuffled).reindex(frame.index).equals(first)


def test_a_review_keeps_its_split_when_new_reviews_arrive():
    old = reviews(2000)
    grown = pd.concat([old, reviews(5000, offset=2000)], ignore_index=True)
    assert assign_splits(grown).iloc[:2000].tolist() == assign_splits(old).tolist()


def test_every_sentiment_is_split_close_to_90_5_5():
    frame = reviews(30_000)
    shares = split_report(frame, assign_splits(frame))
    assert ((shares["train"] - 0.90).abs() < 0.01).all()
    assert ((shares["validation"] - 0.05).abs() < 0.01).all()
    assert ((shares["test"] - 0.05).abs() < 0.01).all()


def test_fractions_must_sum_to_one():
    with pytest.raises(ValueError, match="summing to 1"):
        assign_splits(reviews(10), (0.8, 0.1, 0.2))
