"""Small helpers the source tests share: the two presets' headers, write a file, read it through
read_reviews, parse a JSON cell of what it read."""

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from sentiment_assets.sources import ColumnMapping, SourceSpec, gather, read_reviews
from sentiment_assets.sources.presets import AMAZON_COLUMNS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NOW_NAIVE = pd.Timestamp("2026-11-27 12:00:00")
CLOTHING_HEADER = (  # the Kaggle Women's E-Commerce Clothing Reviews layout
    ",Clothing ID,Age,Title,Review Text,Rating,Recommended IND,Positive Feedback Count,Division Name,"
    "Department Name,Class Name\n"
)
AMAZON_HEADER = "\t".join(AMAZON_COLUMNS) + "\n"
SHOP_MAPPING = ColumnMapping(
    review_id="order_line",
    review_body="comment",
    product_category="aisle",
    star_rating="score",
    title="subject",
    date="written",
    extra=("store", "channel"),
)


def amazon_row(review_id, stars="5", body="Great shoes", category="Shoes", date="2015-08-31", headline="Nice"):
    fields = [
        "US",
        "1001",
        review_id,
        "P1",
        "9",
        "Running shoe",
        category,
        stars,
        "2",
        "3",
        "N",
        "Y",
        headline,
        body,
        date,
    ]
    return "\t".join(fields) + "\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_one(path, spec=SourceSpec(), **kwargs):
    [result] = gather(read_reviews(str(path), spec, NOW, **kwargs)).values()
    return result


def json_cell(frame: pd.DataFrame, column: str, label: int) -> Any:
    """The JSON text in `frame[column]` at index `label` (an `extra` or `raw_record`), parsed."""
    text = frame[column][label]
    assert isinstance(text, str), f"{column}[{label}] is {text!r}, not JSON text"
    return json.loads(text)
