"""The expectations every ingested batch of reviews must meet, run with Great Expectations 1.x.

Each expectation becomes one Dagster asset check on raw_reviews (dagster-ge needs GX < 1.0, so
we call GX directly). They guard the stored table: the reader already quarantines bad rows, so
a failure here means a reader bug or a hand-edited table, and downstream steps must not run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pandas as pd


@dataclass(frozen=True)
class Expectation:
    check_name: str
    description: str
    build: Callable[[], object]  # a gx.expectations.* instance (GX is imported lazily: it is slow to load)


@dataclass(frozen=True)
class ExpectationOutcome:
    check_name: str
    description: str
    success: bool
    unexpected_count: int
    observed: object


def _gx() -> ModuleType:
    """great_expectations, imported on first use (it is slow to load)."""
    import great_expectations as gx

    return gx


RAW_REVIEWS_EXPECTATIONS: tuple[Expectation, ...] = (
    Expectation(
        "gx_review_id_unique",
        "review_id is unique",
        lambda: _gx().expectations.ExpectColumnValuesToBeUnique(column="review_id"),
    ),
    Expectation(
        "gx_review_id_not_null",
        "review_id is never null",
        lambda: _gx().expectations.ExpectColumnValuesToNotBeNull(column="review_id"),
    ),
    Expectation(
        "gx_star_rating_1_to_5",
        "star_rating is between 1 and 5 where present",
        lambda: _gx().expectations.ExpectColumnValuesToBeBetween(column="star_rating", min_value=1, max_value=5),
    ),
    Expectation(
        "gx_review_body_not_empty",
        "review_body is present and not empty",
        lambda: _gx().expectations.ExpectColumnValueLengthsToBeBetween(column="review_body", min_value=1),
    ),
    Expectation(
        "gx_review_body_not_null",
        "review_body is never null",
        lambda: _gx().expectations.ExpectColumnValuesToNotBeNull(column="review_body"),
    ),
    Expectation(
        "gx_product_category_not_null",
        "product_category (the bias facet) is never null",
        lambda: _gx().expectations.ExpectColumnValuesToNotBeNull(column="product_category"),
    ),
    Expectation(
        "gx_date_parseable",
        "date holds a parsed timestamp on every row",
        lambda: _gx().expectations.ExpectColumnValuesToNotBeNull(column="date"),
    ),
    Expectation(
        "gx_at_least_one_row",
        "the batch has at least one review",
        lambda: _gx().expectations.ExpectTableRowCountToBeBetween(min_value=1),
    ),
)


def validate_reviews(
    frame: pd.DataFrame, expectations: tuple[Expectation, ...] = RAW_REVIEWS_EXPECTATIONS
) -> list[ExpectationOutcome]:
    """Run the expectations on `frame` in an ephemeral GX context; one outcome per expectation."""
    gx = _gx()
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}  # no progress bars in run logs
    batch = (
        context.data_sources.add_pandas("reviews")
        .add_dataframe_asset("reviews")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = context.suites.add(gx.ExpectationSuite(name="raw_reviews", expectations=[e.build() for e in expectations]))
    results = batch.validate(suite).results
    outcomes = []
    for expectation, result in zip(expectations, results, strict=False):
        details = result.result or {}
        outcomes.append(
            ExpectationOutcome(
                check_name=expectation.check_name,
                description=expectation.description,
                success=bool(result.success),
                unexpected_count=int(details.get("unexpected_count") or 0),
                observed=details.get("observed_value", details.get("partial_unexpected_list", [])[:5]),
            )
        )
    return outcomes
