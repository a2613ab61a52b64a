"""The synthetic clothing-reviews generator reproduces the course's data facts exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from sentiment_assets.synthetic.catalog import GOOD_CLASS_COUNTS, SENTIMENT_COUNTS
from sentiment_assets.synthetic.counts import largest_remainder
from sentiment_assets.synthetic.framing import CLOSERS
from sentiment_assets.synthetic.generator import (
    CLOTHING_COLUMNS,
    generate_clothing_reviews,
    write_clothing_csv,
)

HEADER = (
    ",Clothing ID,Age,Title,Review Text,Rating,Recommended IND,Positive Feedback Count,"
    "Division Name,Department Name,Class Name"
)


def course_cleaning(df: pd.DataFrame) -> pd.DataFrame:
    """The course's cleaning: drop blank text or category, then categories with <= 10 reviews."""
    kept = df.dropna(subset=["Review Text", "Class Name"])
    sizes = kept["Class Name"].value_counts()
    return kept.loc[kept["Class Name"].isin(sizes.loc[sizes > 10].index)]


def sentiment(stars: npt.ArrayLike) -> np.ndarray:
    values = np.asarray(stars)
    return np.where(values <= 2, -1, np.where(values == 3, 0, 1))


@pytest.fixture(scope="module")
def default_frame() -> pd.DataFrame:
    return generate_clothing_reviews()


@pytest.fixture(scope="module")
def cleaned(default_frame: pd.DataFrame) -> pd.DataFrame:
    out = course_cleaning(default_frame)
    return out.assign(sentiment=sentiment(out["Rating"]))


def test_the_frame_has_exactly_the_kaggle_columns_and_a_range_index(default_frame):
    assert list(default_frame.columns) == CLOTHING_COLUMNS
    assert isinstance(default_frame.index, pd.RangeIndex)
    assert len(default_frame) == 23_486
    assert default_frame.index[0] == 0 and default_frame.index[-1] == 23_485


def test_the_csv_header_starts_with_the_unnamed_index_and_reads_back_unchanged(tmp_path: Path):
    path = write_clothing_csv(tmp_path / "sub" / "reviews.csv", n_rows=300, seed=7)
    assert path.read_text().splitlines()[0] == HEADER
    back = pd.read_csv(path, index_col=0)
    pd.testing.assert_frame_equal(back, generate_clothing_reviews(300, seed=7))


def test_the_same_seed_writes_a_byte_identical_file_and_another_seed_does_not(tmp_path: Path):
    a = write_clothing_csv(tmp_path / "a.csv", n_rows=2_000, seed=3).read_bytes()
    b = write_clothing_csv(tmp_path / "b.csv", n_rows=2_000, seed=3).read_bytes()
    c = write_clothing_csv(tmp_path / "c.csv", n_rows=2_000, seed=4).read_bytes()
    assert a == b
    assert a != c


def test_default_size_reproduces_the_course_category_counts_after_cleaning(cleaned):
    assert len(cleaned) == 22_626
    assert cleaned["Class Name"].value_counts().to_dict() == GOOD_CLASS_COUNTS


def test_default_size_reproduces_the_course_sentiment_counts_after_cleaning(cleaned):
    assert cleaned["sentiment"].value_counts().to_dict() == SENTIMENT_COUNTS
    negatives = cleaned.loc[cleaned["sentiment"] == -1, "Rating"]
    positives = cleaned.loc[cleaned["sentiment"] == 1, "Rating"]
    assert 0.30 < (negatives == 1).mean() < 0.40
    assert 0.24 < (positives == 4).mean() < 0.32


def test_the_unusable_rows_are_the_blank_text_blank_category_and_rare_category_rows(default_frame):
    assert default_frame["Review Text"].isna().sum() == 843
    blank_category = default_frame["Class Name"].isna()
    assert blank_category.sum() == 14
    names = default_frame.loc[blank_category, ["Division Name", "Department Name"]]
    assert names.isna().all().all()
    assert default_frame.loc[blank_category, "Review Text"].notna().all()
    rare = default_frame["Class Name"].value_counts()[["Casual bottoms", "Chemises"]]
    assert rare.to_dict() == {"Casual bottoms": 2, "Chemises": 1}


def test_departments_and_divisions_follow_the_real_files_catalogue(default_frame):
    known = default_frame.dropna(subset=["Class Name"])
    pairs = set(zip(known["Class Name"], known["Department Name"], strict=False))
    assert ("Fine gauge", "Tops") in pairs and ("Casual bottoms", "Bottoms") in pairs
    assert len({c for c, _ in pairs}) == len(pairs)  # one department per category
    intimate = known["Department Name"] == "Intimate"
    assert (known.loc[intimate, "Division Name"] == "Initmates").all()
    shares = known.loc[~intimate, "Division Name"].value_counts(normalize=True)
    assert set(shares.index) == {"General", "General Petite"}
    assert 0.55 < shares["General"] < 0.70


def test_other_sizes_scale_every_count_and_keep_the_exact_total():
    df = generate_clothing_reviews(n_rows=500, seed=1)
    assert len(df) == 500
    # At this size the rare categories scale to 0 rows; small good ones stay (<= 10 rows).
    good = df.dropna(subset=["Review Text", "Class Name"])
    reference = [*GOOD_CLASS_COUNTS.values(), 843, 14, 2, 1]
    expected = largest_remainder(reference, 500)
    assert df["Review Text"].isna().sum() == expected[-4]
    assert df["Class Name"].isna().sum() == expected[-3]
    by_class = good["Class Name"].value_counts().reindex(list(GOOD_CLASS_COUNTS)).tolist()
    assert by_class == expected[: len(GOOD_CLASS_COUNTS)].tolist()
    counts = pd.Series(sentiment(good["Rating"])).value_counts().reindex([-1, 0, 1]).tolist()
    assert counts == largest_remainder(list(SENTIMENT_COUNTS.values()), len(good)).tolist()


def test_every_good_category_keeps_a_row_from_two_hundred_rows_up():
    df = generate_clothing_reviews(n_rows=200, seed=5)
    assert len(df) == 200
    assert set(GOOD_CLASS_COUNTS) <= set(df["Class Name"].dropna())


def test_words_per_review_look_like_the_real_files(cleaned):
    words = cleaned["Review Text"].str.split().str.len()
    assert 55 <= words.mean() <= 66
    assert words.max() <= 122
    assert words.min() >= 3
    assert 0.2 < (words < 40).mean() < 0.5  # a right-skewed spread, not one length


def test_trend_and_jackets_are_planted_more_negative_than_the_intimate_categories(cleaned):
    negative_share = cleaned.groupby("Class Name")["sentiment"].apply(lambda s: (s == -1).mean())
    assert negative_share["Trend"] > negative_share["Intimates"] + 0.08
    assert negative_share["Outerwear"] > negative_share["Lounge"] + 0.05
    overall = (cleaned["sentiment"] == -1).mean()
    assert abs(negative_share["Dresses"] - overall) < 0.02


def test_other_columns_have_realistic_ranges(default_frame):
    assert default_frame["Age"].between(18, 99).all()
    assert 40 < default_frame["Age"].mean() < 46
    assert default_frame["Clothing ID"].between(0, 1205).all()
    assert 0.13 < default_frame["Title"].isna().mean() < 0.19
    feedback = default_frame["Positive Feedback Count"]
    assert (feedback == 0).mean() > 0.35 and 20 < feedback.max() <= 250
    recommend = default_frame.groupby("Rating")["Recommended IND"].mean()
    assert recommend[5] > 0.95 and 0.3 < recommend[3] < 0.5 and recommend[1] < 0.1


def test_some_reviews_are_written_against_their_rating(cleaned):
    """Label noise: a few 1-star texts end like 4-5-star ones and vice versa.

    Closers are only ever borrowed from the adjacent star level, so without label noise a
    1-star text could never end with a 4- or 5-star closer.
    """
    glowing = CLOSERS[4] + CLOSERS[5]
    scathing = CLOSERS[1] + CLOSERS[2]

    def share_ending_with(stars: int, closers: tuple[str, ...]) -> float:
        texts = cleaned.loc[cleaned["Rating"] == stars, "Review Text"]
        return float(texts.map(lambda t: t.endswith(closers)).mean())

    assert 0.01 < share_ending_with(1, glowing) < 0.08
    assert 0.01 < share_ending_with(5, scathing) < 0.08


def test_text_is_learnable_but_not_trivially_separable(cleaned):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    smallest = cleaned["sentiment"].value_counts().min()
    balanced = pd.concat(g.sample(smallest, random_state=0) for _, g in cleaned.groupby("sentiment"))
    train, test = train_test_split(balanced, test_size=0.1, stratify=balanced["sentiment"], random_state=42)
    assert isinstance(train, pd.DataFrame) and isinstance(test, pd.DataFrame)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = LogisticRegression(max_iter=1000)
    model.fit(vectorizer.fit_transform(train["Review Text"]), train["sentiment"])
    predicted = model.predict(vectorizer.transform(test["Review Text"]))
    accuracy = np.mean(predicted == test["sentiment"].to_numpy())
    assert 0.62 < accuracy < 0.88
