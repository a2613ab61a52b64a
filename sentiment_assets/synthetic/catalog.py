"""The product catalogue of the clothing-reviews file: categories, departments, divisions, counts.

All counts are those of the real Kaggle file (23,486 rows) as the course reports them; the
generator scales them for other sizes (see `counts.py`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Rows in the real file.
DEFAULT_N_ROWS = 23_486

#: Reviews per Class Name that survive the course's cleaning (22,626 rows, 18 categories).
GOOD_CLASS_COUNTS: dict[str, int] = {
    "Dresses": 6145,
    "Knits": 4626,
    "Blouses": 2983,
    "Sweaters": 1380,
    "Pants": 1350,
    "Jeans": 1104,
    "Fine gauge": 1059,
    "Skirts": 903,
    "Jackets": 683,
    "Lounge": 669,
    "Swim": 332,
    "Outerwear": 319,
    "Shorts": 304,
    "Sleep": 214,
    "Legwear": 158,
    "Intimates": 147,
    "Layering": 132,
    "Trend": 118,
}

#: Real categories so rare (<= 10 reviews) that the course drops them; they have review text.
RARE_CLASS_COUNTS: dict[str, int] = {"Casual bottoms": 2, "Chemises": 1}

#: Rows whose Review Text is blank (they carry a category and a rating, nothing to learn from).
BLANK_TEXT_ROWS = 843

#: Rows with text but blank Division/Department/Class Name.
BLANK_CATEGORY_ROWS = 14

#: Sentiment totals of the 22,626 good rows: stars {1,2} -> -1, 3 -> 0, {4,5} -> 1.
SENTIMENT_COUNTS: dict[int, int] = {-1: 2370, 0: 2823, 1: 17433}

#: Share of the lower star within a two-star sentiment: 1-star among negatives, 4-star among
#: positives (the rest are 2-star and 5-star respectively).
LOWER_STAR_SHARE: dict[int, float] = {-1: 0.35, 1: 0.28}

#: How often a reviewer recommends the item, by star rating (Recommended IND = 1).
RECOMMEND_PROBABILITY: dict[int, float] = {1: 0.02, 2: 0.07, 3: 0.40, 4: 0.93, 5: 0.99}

#: Department Name of every Class Name.
DEPARTMENT_OF_CLASS: dict[str, str] = {
    "Dresses": "Dresses",
    "Knits": "Tops",
    "Blouses": "Tops",
    "Sweaters": "Tops",
    "Fine gauge": "Tops",
    "Pants": "Bottoms",
    "Jeans": "Bottoms",
    "Skirts": "Bottoms",
    "Shorts": "Bottoms",
    "Casual bottoms": "Bottoms",
    "Jackets": "Jackets",
    "Outerwear": "Jackets",
    "Lounge": "Intimate",
    "Swim": "Intimate",
    "Sleep": "Intimate",
    "Legwear": "Intimate",
    "Intimates": "Intimate",
    "Layering": "Intimate",
    "Chemises": "Intimate",
    "Trend": "Trend",
}

#: The real file spells the intimates division "Initmates"; kept, because downstream SQL and
#: bias reports are written against the real spelling.
INTIMATE_DIVISION = "Initmates"
GENERAL_DIVISION = "General"
PETITE_DIVISION = "General Petite"
#: Share of General Petite among non-intimate rows: gives ~59% General / ~35% Petite overall.
PETITE_SHARE = 0.375

#: Planted bias: each category's shift of the sentiment sort key (noise has sd 1; lower means
#: more negative). The exact sentiment totals are handed out along the sorted keys, so these
#: offsets change only *which* categories get the negatives, never how many there are. They
#: exist so that a Clarify-style pre-training bias report (CI, DPL, KL, ...) finds real
#: differences: Trend and the jackets are clearly more negative than average, the soft
#: intimate categories clearly more positive, Dresses (the biggest facet) close to average.
CLASS_SENTIMENT_OFFSET: dict[str, float] = {
    "Dresses": 0.0,
    "Knits": -0.05,
    "Blouses": -0.10,
    "Sweaters": -0.05,
    "Pants": 0.10,
    "Jeans": 0.15,
    "Fine gauge": 0.0,
    "Skirts": 0.05,
    "Jackets": -0.30,
    "Lounge": 0.30,
    "Swim": -0.15,
    "Outerwear": -0.35,
    "Shorts": 0.05,
    "Sleep": 0.35,
    "Legwear": 0.15,
    "Intimates": 0.40,
    "Layering": 0.20,
    "Trend": -0.55,
}

#: Below this many rows, tiny categories may legitimately scale down to zero rows.
MIN_ROWS_FOR_EVERY_CATEGORY = 200

#: Clothing IDs run 0..1205 in the real file.
N_CLOTHING_IDS = 1206
#: Fixed seed for the item-id catalogue: an item id means the same product whatever the
#: generator's seed, like a real shop's catalogue.
_CATALOG_SEED = 20_190_211
#: Zipf exponent of item popularity inside a category (a few best-sellers, a long tail).
ITEM_POPULARITY_EXPONENT = 1.05


def department_of(class_name: str) -> str:
    """Department Name of a Class Name."""
    return DEPARTMENT_OF_CLASS[class_name]


def division_is_intimate(class_name: str) -> bool:
    """Whether a category belongs to the "Initmates" division (the Intimate department)."""
    return DEPARTMENT_OF_CLASS[class_name] == "Intimate"


@lru_cache(maxsize=1)
def clothing_id_pools() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each category's item ids and their popularity probabilities.

    The 1,206 ids are shuffled once with a fixed seed and split into disjoint pools sized
    like the categories (at least 2 ids each); inside a pool, popularity falls off as
    1/rank**ITEM_POPULARITY_EXPONENT.
    """
    counts = {**GOOD_CLASS_COUNTS, **RARE_CLASS_COUNTS}
    names = list(counts)
    weights = np.array([counts[n] for n in names], dtype="float64")
    minimum = 2
    sizes = minimum + np.floor(weights / weights.sum() * (N_CLOTHING_IDS - minimum * len(names)))
    sizes = sizes.astype("int64")
    sizes[int(np.argmax(weights))] += N_CLOTHING_IDS - int(sizes.sum())
    ids = np.random.default_rng(_CATALOG_SEED).permutation(N_CLOTHING_IDS)
    pools: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    start = 0
    for name, size in zip(names, sizes, strict=False):
        pool = ids[start : start + size]
        start += size
        popularity = 1.0 / np.arange(1, size + 1) ** ITEM_POPULARITY_EXPONENT
        pools[name] = (pool, popularity / popularity.sum())
    return pools
