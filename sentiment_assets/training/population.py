"""Who the model learns from: the category-size filter and the balancing, decided once per run.

The course's choices -- drop categories with <= 10 reviews, down-sample every sentiment to the
smallest one -- reproduce its labs on the bundled clothing data. On a user's data they silently
throw most of it away (600 labelled reviews became 87), so "auto" applies them only when the
bundled data is all there is to train on; otherwise every review is kept and the models weight
the classes in their losses instead. An explicit setting always wins, and the run says which
settings it used and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

from sentiment_assets.sources.bundled import BUNDLED_PARTITION

Balancing = Literal["none", "downsample", "upsample"]
BALANCING_CHOICES: tuple[str, ...] = ("auto", "none", "downsample", "upsample")
COURSE_MIN_REVIEWS_PER_CATEGORY = 10
COURSE_BALANCING: Balancing = "downsample"
USER_DATA_MIN_REVIEWS_PER_CATEGORY = 0
USER_DATA_BALANCING: Balancing = "none"


@dataclass(frozen=True)
class PopulationSettings:
    min_reviews_per_category: int  # categories with this many reviews or fewer are excluded
    balancing: Balancing
    category_reason: str  # "min_reviews_per_category=0 (auto for user data (...))"
    balancing_reason: str

    @property
    def reason(self) -> str:
        return f"{self.category_reason}; {self.balancing_reason}"


def is_course_data(train_partitions: Iterable[str]) -> bool:
    """True when the bundled data is the only training data: the course's lab settings apply."""
    return set(train_partitions) == {BUNDLED_PARTITION}


def population_settings(
    train_partitions: Iterable[str], *, min_reviews_per_category: int | None = None, balancing: str = "auto"
) -> PopulationSettings:
    """The settings for these training partitions; None / "auto" pick by whose data it is."""
    if balancing not in BALANCING_CHOICES:
        raise ValueError(f"unknown balancing {balancing!r}; choose one of {list(BALANCING_CHOICES)}")
    if min_reviews_per_category is not None and min_reviews_per_category < 0:
        raise ValueError(f"min_reviews_per_category must be >= 0, got {min_reviews_per_category}")
    partitions = sorted(set(train_partitions))
    course = is_course_data(partitions)
    whose = (
        "the course's bundled data only"
        if course
        else f"user data ({', '.join(partitions) or 'no train partitions yet'})"
    )
    minimum = (
        min_reviews_per_category
        if min_reviews_per_category is not None
        else (COURSE_MIN_REVIEWS_PER_CATEGORY if course else USER_DATA_MIN_REVIEWS_PER_CATEGORY)
    )
    chosen: Balancing = (
        cast(Balancing, balancing)  # one of BALANCING_CHOICES, checked above
        if balancing != "auto"
        else (COURSE_BALANCING if course else USER_DATA_BALANCING)
    )
    minimum_reason = "set in run config" if min_reviews_per_category is not None else "auto for " + whose
    return PopulationSettings(
        minimum,
        chosen,
        f"min_reviews_per_category={minimum} ({minimum_reason})",
        f"balancing={chosen} ({'set in run config' if balancing != 'auto' else 'auto for ' + whose})",
    )
