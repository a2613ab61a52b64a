"""Read the Women's E-Commerce Clothing Reviews CSV (Kaggle layout) into the normalised schema.

Rows that cannot be represented (no usable star rating, duplicate or missing id) are kept in a
rejected frame with the reason, so accepted + rejected always equals the rows read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sentiment_assets.timestamps import naive_utc

# Kaggle header -> our column names (the course's renames plus snake_case for the rest).
CLOTHING_RENAMES: dict[str, str] = {
    "Clothing ID": "clothing_id",
    "Age": "age",
    "Title": "title",
    "Review Text": "review_body",
    "Rating": "star_rating",
    "Recommended IND": "recommended",
    "Positive Feedback Count": "positive_feedback_count",
    "Division Name": "division_name",
    "Department Name": "department_name",
    "Class Name": "product_category",
}
REQUIRED_COLUMNS: tuple[str, ...] = ("Review Text", "Rating", "Class Name")
NORMALISED_COLUMNS: tuple[str, ...] = (
    "review_id", "date", "title", "review_body", "star_rating", "product_category",
    "division_name", "department_name", "clothing_id", "age", "recommended",
    "positive_feedback_count", "source_file", "source_row",
)
REJECTED_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "reason", "raw_record")


class SourceSchemaError(ValueError):
    """The file is not in the expected layout; the message names the file and the columns."""


@dataclass(frozen=True)
class IngestResult:
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    source_file: str

    def __post_init__(self) -> None:
        # The bookkeeping invariant the whole ingest rests on.
        assert len(self.accepted) + len(self.rejected) == self.rows_read


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SourceSchemaError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    except pd.errors.EmptyDataError as error:
        raise SourceSchemaError(f"{path}: the file is empty (no header row)") from error


def _blank_to_none(values: pd.Series) -> pd.Series:
    stripped = values.str.strip()
    return stripped.where(stripped != "", None)


def _review_ids(frame: pd.DataFrame) -> pd.Series:
    """The Kaggle file's unnamed first column is its row id; without it, hash the row's content."""
    index_column = next((c for c in frame.columns if c == "" or c.startswith("Unnamed: 0")), None)
    if index_column is not None:
        return _blank_to_none(frame[index_column])
    content = frame[list(CLOTHING_RENAMES)].astype(str).agg("\x1f".join, axis=1)
    return pd.util.hash_pandas_object(content, index=False).map(lambda h: f"h{h:016x}")


def _integer_or_none(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    whole = numbers.notna() & (numbers == np.floor(numbers))
    return numbers.where(whole).astype("Int64")


def read_clothing_reviews(path: str | Path, ingested_at: datetime) -> IngestResult:
    """Read one clothing-schema CSV. `ingested_at` becomes `date`: the file carries no review date."""
    path = Path(path)
    raw = _read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise SourceSchemaError(
            f"{path}: missing required column(s) {missing}; expected the clothing schema "
            f"{list(CLOTHING_RENAMES)}; found {list(raw.columns)}"
        )
    for column in CLOTHING_RENAMES:  # optional columns may be absent
        if column not in raw.columns:
            raw[column] = ""

    frame = pd.DataFrame({"review_id": _review_ids(raw)})
    for source, target in CLOTHING_RENAMES.items():
        frame[target] = _blank_to_none(raw[source])
    for column in ("star_rating", "clothing_id", "age", "recommended", "positive_feedback_count"):
        frame[column] = _integer_or_none(frame[column].fillna(""))
    frame["date"] = naive_utc(ingested_at)
    frame["source_file"] = str(path)
    frame["source_row"] = np.arange(1, len(frame) + 1)  # 1-based data row, header excluded

    reason = pd.Series(None, index=frame.index, dtype="object")
    reason = reason.mask(frame["review_id"].isna(), "missing review_id")
    reason = reason.mask(reason.isna() & frame["review_id"].duplicated(keep="first"), "duplicate review_id")
    bad_stars = frame["star_rating"].isna() | ~frame["star_rating"].between(1, 5)
    reason = reason.mask(reason.isna() & bad_stars, "star_rating is not an integer 1..5")

    rejected_mask = reason.notna()
    rejected = pd.DataFrame({
        "source_file": str(path),
        "source_row": frame.loc[rejected_mask, "source_row"],
        "reason": reason[rejected_mask],
        "raw_record": raw.loc[rejected_mask].to_json(orient="records", lines=True).splitlines()
        if rejected_mask.any() else [],
    })
    accepted = frame.loc[~rejected_mask, list(NORMALISED_COLUMNS)].reset_index(drop=True)
    accepted["star_rating"] = accepted["star_rating"].astype("int64")
    return IngestResult(accepted, rejected.reset_index(drop=True), len(raw), str(path))
