"""Turn a chunk of source strings into the normalised review columns, noting per row what could
not be understood (validation decides what that means)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sentiment_assets.labels import sentiment_from_stars

from .schema import TEXT, WHOLE, json_lines
from .spec import ColumnMapping

#: Accepted spellings of an existing sentiment label.
LABELS: dict[str, int] = {"negative": -1, "neutral": 0, "positive": 1, "-1": -1, "0": 0, "1": 1, "+1": 1}
WHOLE_TARGETS = ("clothing_id", "age", "recommended", "positive_feedback_count")
_MAX_EXACT_INTEGER = 2**53  # beyond this a float no longer holds the integer the text spelled


@dataclass(frozen=True)
class Normalised:
    """The normalised columns of a chunk (without source_file/source_row) and, per row, the
    problems found: name -> boolean mask. `date_defaulted` marks rows dated at ingestion time."""

    frame: pd.DataFrame
    problems: dict[str, np.ndarray]
    date_defaulted: np.ndarray


def text(values: pd.Series) -> pd.Series:
    """Trimmed strings; blank -> null."""
    stripped = values.str.strip()
    return stripped.where(stripped != "").astype(TEXT)


def whole_numbers(values: pd.Series) -> pd.Series:
    """Integers as nullable Int64; anything that is not a whole number ("five", "4.5", "") -> null."""
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    whole = numbers.notna() & (numbers == np.floor(numbers)) & (numbers.abs() < _MAX_EXACT_INTEGER)
    return numbers.where(whole).astype(WHOLE)


def dates(values: pd.Series, default: pd.Timestamp) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(naive-UTC dates, unparseable mask, blank mask). Blank dates take `default`.

    ISO-8601 is tried first (fast, unambiguous); only what it cannot read goes through pandas'
    per-value parser, which reads "Aug 3, 2015" and month-first "08/03/2015".
    """
    stripped = values.str.strip()
    blank = (stripped == "").to_numpy()
    parsed = pd.to_datetime(stripped.where(~blank), format="ISO8601", errors="coerce", utc=True)
    retry = parsed.isna().to_numpy() & ~blank
    if retry.any():
        parsed[retry] = pd.to_datetime(stripped[retry], format="mixed", errors="coerce", utc=True)
    unparseable = parsed.isna().to_numpy() & ~blank
    naive = parsed.dt.tz_localize(None).astype("datetime64[ns]")
    return naive.where(~blank, default), unparseable, blank


def derived_ids(raw: pd.DataFrame, mapping: ColumnMapping) -> pd.Series:
    """A stable id from the row's mapped values: the same row gets the same id in any file and on
    any machine (sha256, not Python's per-process hash), as "h" + 16 hex digits."""
    fields = sorted((name, column) for name, column in mapping.fields().items() if name != "review_id")
    parts = [(name + "=") + raw[column].str.strip() for name, column in fields]
    keys = parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]
    return pd.Series(["h" + hashlib.sha256(k.encode()).hexdigest()[:16] for k in keys], index=raw.index, dtype=TEXT)


def extra_json(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The kept source columns of each row as one JSON object (blank values as null)."""
    if not columns:
        return pd.Series(pd.NA, index=raw.index, dtype=TEXT)
    kept = pd.DataFrame({c: text(raw[c]) for c in columns}, index=raw.index)
    return pd.Series(json_lines(kept), index=raw.index, dtype=TEXT)


def normalise(raw: pd.DataFrame, mapping: ColumnMapping, ingested_at: pd.Timestamp) -> Normalised:
    """The chunk in the normalised schema (mapping resolved: every column it names is in `raw`)."""
    n = len(raw)
    out = pd.DataFrame(index=raw.index)
    out["review_id"] = text(raw[mapping.review_id]) if mapping.review_id else derived_ids(raw, mapping)

    if mapping.date:
        out["date"], unparseable, defaulted = dates(raw[mapping.date], ingested_at)
    else:
        out["date"], unparseable, defaulted = pd.Timestamp(ingested_at), np.zeros(n, bool), np.ones(n, bool)
    out["date"] = out["date"].astype("datetime64[ns]")

    for target, column in (("title", mapping.title), ("review_body", mapping.review_body),
                           ("product_category", mapping.product_category)):
        out[target] = text(raw[column]) if column else pd.Series(pd.NA, index=raw.index, dtype=TEXT)

    if mapping.star_rating:
        stars = whole_numbers(raw[mapping.star_rating])
        bad = (stars.isna() | ~stars.between(1, 5)).to_numpy()
        out["star_rating"] = stars.where(~bad)
        sentiment = np.full(n, -9, dtype="int64")
        sentiment[~bad] = sentiment_from_stars(stars[~bad].to_numpy(dtype="int64"))
        out["sentiment"] = pd.Series(sentiment, index=raw.index).where(~bad).astype(WHOLE)
        rating_problem = ("star_rating is not an integer 1..5", bad)
    else:
        out["star_rating"] = pd.Series(pd.NA, index=raw.index, dtype=WHOLE)
        out["sentiment"] = raw[mapping.label].str.strip().str.lower().map(LABELS).astype(WHOLE)
        rating_problem = ("label is not negative/neutral/positive or -1/0/1", out["sentiment"].isna().to_numpy())

    for target in ("division_name", "department_name", *WHOLE_TARGETS):
        column = mapping.more_columns.get(target)
        dtype = WHOLE if target in WHOLE_TARGETS else TEXT
        if column is None:
            out[target] = pd.Series(pd.NA, index=raw.index, dtype=dtype)
        else:
            out[target] = whole_numbers(raw[column]) if dtype == WHOLE else text(raw[column])
    out["extra"] = extra_json(raw, mapping.extra)

    problems = {  # in the order reasons are listed when several apply
        "missing review_id": out["review_id"].isna().to_numpy(),
        rating_problem[0]: rating_problem[1],
        "blank review text": out["review_body"].isna().to_numpy(),
        "blank product_category": out["product_category"].isna().to_numpy(),
        "unparseable date": unparseable,
    }
    return Normalised(out, problems, defaulted)
