"""Generate the synthetic clothing-reviews table and write it as the Kaggle-shaped CSV.

Row plan at the default 23,486 rows (scaled with largest remainders for other sizes):
22,626 "good" rows (the course's cleaned data, exact category and sentiment counts) and
860 "unusable" rows the course's cleaning drops: 843 with blank Review Text, 14 with blank
Division/Department/Class Name, 3 in categories with <= 10 reviews. All rows are shuffled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import catalog
from .counts import ensure_minimum_one, largest_remainder
from .framing import BLANK_TITLE_SHARE
from .text import ReviewWriter

CLOTHING_COLUMNS: list[str] = [
    "Clothing ID",
    "Age",
    "Title",
    "Review Text",
    "Rating",
    "Recommended IND",
    "Positive Feedback Count",
    "Division Name",
    "Department Name",
    "Class Name",
]

#: Share of reviews whose text is written in another sentiment than their rating's
#: (label noise: a glowing 2-star review, a complaining 4-star one).
LABEL_NOISE_SHARE = 0.10
#: When the text disagrees with the rating, which sentiment it is written in (mostly the
#: adjacent one; sometimes the opposite).
_NOISE_TARGETS: dict[int, tuple[tuple[int, int], tuple[float, float]]] = {
    -1: ((0, 1), (0.7, 0.3)),
    0: ((-1, 1), (0.5, 0.5)),
    1: ((0, -1), (0.7, 0.3)),
}
#: Reviewer ages: roughly normal, clipped to the real file's 18..99.
AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 43.0, 12.0, 18, 99
#: Positive Feedback Count ~ negative binomial: ~half zeros, mean ~2.5, a long tail.
FEEDBACK_MEAN, FEEDBACK_DISPERSION, FEEDBACK_MAX = 2.5, 0.28, 250

_GOOD = list(catalog.GOOD_CLASS_COUNTS)
_RARE = list(catalog.RARE_CLASS_COUNTS)


def generate_clothing_reviews(n_rows: int = catalog.DEFAULT_N_ROWS, seed: int = 42) -> pd.DataFrame:
    """A seeded synthetic "Women's E-Commerce Clothing Reviews" table with CLOTHING_COLUMNS.

    The index is a RangeIndex 0..n_rows-1. Same (n_rows, seed) -> identical frame.
    """
    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    rng = np.random.default_rng(seed)
    classes, sentiment, has_text = _categories_and_sentiments(n_rows, rng)

    rating = _stars(sentiment, rng)
    text_sentiment = _noisy(sentiment, rng)
    text_stars = np.where(text_sentiment == sentiment, rating, _stars(text_sentiment, rng))
    age = np.clip(np.rint(rng.normal(AGE_MEAN, AGE_SD, n_rows)), AGE_MIN, AGE_MAX).astype("int64")
    recommend_p = np.array([0.0] + [catalog.RECOMMEND_PROBABILITY[s] for s in range(1, 6)])
    recommended = (rng.random(n_rows) < recommend_p[rating]).astype("int64")
    petite = rng.random(n_rows) < catalog.PETITE_SHARE
    blank_title = rng.random(n_rows) < BLANK_TITLE_SHARE
    clothing_id = _clothing_ids(classes, rng)
    division, department = _divisions(classes, petite)

    writer = ReviewWriter(int(rng.integers(2**62)))
    texts: list[object] = [np.nan] * n_rows
    titles: list[object] = [np.nan] * n_rows
    # Blank-text rows get no title either, as in the real file.
    for i in np.flatnonzero(has_text):
        in_petite = division[i] == catalog.PETITE_DIVISION
        texts[i] = writer.review(classes[i], in_petite, int(text_stars[i]))
        if not blank_title[i]:
            titles[i] = writer.title(classes[i], int(text_sentiment[i]))

    n_words = np.array([len(t.split()) if isinstance(t, str) else 0 for t in texts])
    columns = {
        "Clothing ID": clothing_id,
        "Age": age,
        "Title": pd.Series(titles, dtype=object),
        "Review Text": pd.Series(texts, dtype=object),
        "Rating": rating,
        "Recommended IND": recommended,
        "Positive Feedback Count": _feedback_counts(n_words, rng),
        "Division Name": pd.Series(division, dtype=object),
        "Department Name": pd.Series(department, dtype=object),
        "Class Name": pd.Series([np.nan if c is None else c for c in classes], dtype=object),
    }
    return pd.DataFrame(columns, columns=pd.Index(CLOTHING_COLUMNS))


def write_clothing_csv(path: str | Path, n_rows: int = catalog.DEFAULT_N_ROWS, seed: int = 42) -> Path:
    """Write the synthetic table like the real file (unnamed index column first); return path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # "\n" explicitly: byte-identical files on every OS.
    generate_clothing_reviews(n_rows, seed).to_csv(out, lineterminator="\n")
    return out


def _row_plan(n_rows: int) -> tuple[np.ndarray, int, int, np.ndarray]:
    """Rows per block: good counts by category, blank text, blank category, rare counts."""
    reference = (
        list(catalog.GOOD_CLASS_COUNTS.values())
        + [catalog.BLANK_TEXT_ROWS, catalog.BLANK_CATEGORY_ROWS]
        + list(catalog.RARE_CLASS_COUNTS.values())
    )
    counts = largest_remainder(reference, n_rows)
    n_good = len(_GOOD)
    if n_rows >= catalog.MIN_ROWS_FOR_EVERY_CATEGORY:
        counts = ensure_minimum_one(counts, range(n_good))
    return counts[:n_good], int(counts[n_good]), int(counts[n_good + 1]), counts[n_good + 2 :]


def _categories_and_sentiments(n_rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, shuffled: Class Name (None = blank), sentiment -1/0/1, and whether it has text.

    Good rows get the exact sentiment totals with the planted category bias; the unusable
    rows draw theirs from the same overall distribution.
    """
    good, blank_text, blank_category, rare = _row_plan(n_rows)
    good_classes = np.repeat(np.array(_GOOD, dtype=object), good)
    totals = list(catalog.SENTIMENT_COUNTS.values())
    good_sentiment = _planted_sentiments(good_classes, largest_remainder(totals, len(good_classes)), rng)
    class_weights = np.array(list(catalog.GOOD_CLASS_COUNTS.values()), dtype="float64")
    blank_text_classes = rng.choice(
        np.array(_GOOD, dtype=object), size=blank_text, p=class_weights / class_weights.sum()
    )
    rare_classes = np.repeat(np.array(_RARE, dtype=object), rare)
    n_other = blank_text + blank_category + len(rare_classes)
    overall = np.divide(totals, sum(totals))
    other_sentiment = rng.choice(np.array([-1, 0, 1]), size=n_other, p=overall)

    blank_classes = np.full(blank_category, None, dtype=object)
    classes = np.concatenate([good_classes, blank_text_classes, blank_classes, rare_classes])
    sentiment = np.concatenate([good_sentiment, other_sentiment]).astype("int64")
    has_text = np.ones(n_rows, dtype=bool)
    has_text[len(good_classes) : len(good_classes) + blank_text] = False
    order = rng.permutation(n_rows)  # shuffle once; later columns are drawn in this order
    return classes[order], sentiment[order], has_text[order]


def _planted_sentiments(classes: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hand out exactly `counts` of -1/0/1 so that some categories get more negatives.

    Each row's key is its category offset plus standard-normal noise; rows sorted by key get
    the negatives first, then the neutrals, then the positives.
    """
    offsets = np.array([catalog.CLASS_SENTIMENT_OFFSET[c] for c in classes], dtype="float64")
    keys = offsets + rng.standard_normal(len(classes))
    out = np.empty(len(classes), dtype="int64")
    out[np.argsort(keys, kind="stable")] = np.repeat([-1, 0, 1], counts)
    return out


def _stars(sentiment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Star rating 1..5 for each sentiment, splitting -1 into 1/2 and 1 into 4/5."""
    low = rng.random(len(sentiment))
    neg = np.where(low < catalog.LOWER_STAR_SHARE[-1], 1, 2)
    pos = np.where(low < catalog.LOWER_STAR_SHARE[1], 4, 5)
    return np.select([sentiment < 0, sentiment == 0], [neg, 3], pos).astype("int64")


def _noisy(sentiment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sentiment the text is written in: the label's, except for LABEL_NOISE_SHARE rows."""
    flip = rng.random(len(sentiment)) < LABEL_NOISE_SHARE
    which = rng.random(len(sentiment))
    out = sentiment.copy()
    for label, (targets, probs) in _NOISE_TARGETS.items():
        rows = flip & (sentiment == label)
        out[rows] = np.where(which[rows] < probs[0], targets[0], targets[1])
    return out


def _clothing_ids(classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Item ids from each category's pool by popularity; blank categories: any id."""
    pools = catalog.clothing_id_pools()
    ids = rng.integers(0, catalog.N_CLOTHING_IDS, size=len(classes))
    for name, (pool, popularity) in pools.items():
        rows = np.flatnonzero(classes == name)
        if rows.size:
            ids[rows] = rng.choice(pool, size=rows.size, p=popularity)
    return ids.astype("int64")


def _feedback_counts(n_words: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How many shoppers found a review helpful; longer reviews collect a little more."""
    mean = FEEDBACK_MEAN * (0.4 + 0.6 * n_words / 60.0)
    p = FEEDBACK_DISPERSION / (FEEDBACK_DISPERSION + mean)
    return np.minimum(rng.negative_binomial(FEEDBACK_DISPERSION, p), FEEDBACK_MAX).astype("int64")


def _divisions(classes: np.ndarray, petite: np.ndarray) -> tuple[list[object], list[object]]:
    """Division and Department Name per row (NaN where the category is blank)."""
    division: list[object] = []
    department: list[object] = []
    for name, is_petite in zip(classes, petite, strict=False):
        if name is None:
            division.append(np.nan)
            department.append(np.nan)
            continue
        department.append(catalog.department_of(name))
        if catalog.division_is_intimate(name):
            division.append(catalog.INTIMATE_DIVISION)
        else:
            division.append(catalog.PETITE_DIVISION if is_petite else catalog.GENERAL_DIVISION)
    return division, department
