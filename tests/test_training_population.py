"""Who the model learns from: the population settings chosen per run, and the three balancing choices."""

import pandas as pd
import pytest

from sentiment_assets.features.splits import assign_splits
from sentiment_assets.training.balancing import training_population
from sentiment_assets.training.population import population_settings


def reviews() -> pd.DataFrame:
    sentiments = [1] * 12 + [0] * 3 + [-1] * 5
    return pd.DataFrame(
        {
            "review_id": [f"r{i:02d}" for i in range(len(sentiments))],
            "sentiment": sentiments,
            "label_source": ["human" if i == 0 else "source" for i in range(len(sentiments))],
        }
    )


def test_the_course_settings_apply_only_when_the_bundled_data_is_all_there_is_to_train_on():
    course = population_settings(["bundled"])
    assert (course.min_reviews_per_category, course.balancing) == (10, "downsample")
    assert "auto for the course's bundled data only" in course.reason
    user = population_settings(["bundled", "train/shop.csv"])
    assert (user.min_reviews_per_category, user.balancing) == (0, "none") and "train/shop.csv" in user.reason
    chosen = population_settings(["train/shop.csv"], min_reviews_per_category=5, balancing="upsample")
    assert (chosen.min_reviews_per_category, chosen.balancing) == (5, "upsample")
    assert chosen.reason.count("set in run config") == 2
    with pytest.raises(ValueError, match="unknown balancing"):
        population_settings([], balancing="smote")


def test_none_keeps_every_review_and_downsample_keeps_the_human_labelled_ones():
    kept = training_population(reviews(), "none", seed=0)
    assert len(kept) == 20 and (kept["review_id"] == kept["original_review_id"]).all()
    down = training_population(reviews(), "downsample", seed=0)
    assert down["sentiment"].value_counts().min() == 3 and "r00" in set(down["review_id"])


def test_upsample_repeats_the_smaller_classes_with_unique_ids_and_a_copy_shares_its_originals_split():
    up = training_population(reviews(), "upsample", seed=0)
    assert up["sentiment"].value_counts().to_dict() == {1: 12, 0: 12, -1: 12}
    assert up["review_id"].is_unique and set(reviews()["review_id"]) <= set(up["review_id"])
    copies = up.loc[up["review_id"] != up["original_review_id"]]
    assert len(copies) == 16 and copies["review_id"].str.contains("#copy").all()
    split_of = dict(zip(up["review_id"], assign_splits(up.assign(review_id=up["original_review_id"])), strict=False))
    assert all(
        split_of[c] == split_of[o] for c, o in zip(copies["review_id"], copies["original_review_id"], strict=False)
    )
