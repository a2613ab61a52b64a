"""Turn a chunk of source strings into the normalised review columns, noting per row what could
not be understood (validation decides what that means)."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from sentiment_assets.features.text_normalisation import normalise_review_texts
from sentiment_assets.frames import column as col
from sentiment_assets.labels import sentiment_from_stars

from .schema import TEXT, UNKNOWN_CATEGORY, WHOLE, json_lines
from .spec import ColumnMapping

#: Accepted spellings of an existing sentiment label.
LABELS: dict[str, int] = {"negative": -1, "neutral": 0, "positive": 1, "-1": -1, "0": 0, "1": 1, "+1": 1}
WHOLE_TARGETS = ("clothing_id", "age", "recommended", "positive_feedback_count")
_MAX_EXACT_INTEGER = 2**53  # beyond this a float no longer holds the integer the text spelled

#: What typed exports write where a value was missing (a NaN float id becomes "nan") or infinite:
#: never a review's id.
MISSING_ID_MARKERS = frozenset(
    {
        "nan",
        "+nan",
        "-nan",
        "inf",
        "+inf",
        "-inf",
        "infinity",
        "+infinity",
        "-infinity",
        "none",
        "null",
        "nat",
        "<na>",
        "na",
        "n/a",
    }
)
MISSING_ID_MARKER = "review_id is a missing-value or infinity marker (nan, inf, None, null, NA), not an id"
BLANK_TEXT = "blank review text"
DATE_OUT_OF_RANGE = "date outside the range the warehouse stores (1677-09-21 to 2262-04-11: nanosecond timestamps)"
#: Characters that show nothing though Unicode does not file them as spaces, format or control
#: characters (those categories are below): Hangul fillers, the braille blank, Khmer inherent
#: vowels, Mongolian selectors, the combining grapheme joiner and the variation selectors.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


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


def review_texts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(the review text exactly as read, "" -> null; its normalised form, empty -> null)."""
    as_read = values.where(values != "").astype(TEXT)
    normalised = normalise_review_texts(as_read)
    return as_read, normalised.where(normalised != "").astype(TEXT)


def _shows_nothing(text: str) -> bool:
    return all(c in _INVISIBLE or unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in text)


def blank_texts(normalised: pd.Series) -> np.ndarray:
    """Per normalised text: null, or made only of characters that show nothing (the cleaning
    removes the common zero-width ones; bidi marks, fillers and variation selectors remain)."""
    values = normalised.to_numpy(dtype=object, na_value=None)
    # Most reviews start with a visible letter: only the rest are looked at character by character.
    return np.fromiter(
        (v is None or ((v[0] in _INVISIBLE or not v[0].isalnum()) and _shows_nothing(v)) for v in values),
        bool,
        len(values),
    )


def categories(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """Trimmed categories; blank, or no category column at all (None) -> UNKNOWN_CATEGORY."""
    if values is None:
        return pd.Series(UNKNOWN_CATEGORY, index=index, dtype=TEXT)
    return text(values).fillna(UNKNOWN_CATEGORY)


def whole_numbers(values: pd.Series) -> pd.Series:
    """Integers as nullable Int64; anything that is not a whole number ("five", "4.5", "") -> null."""
    numbers = cast(pd.Series, pd.to_numeric(values.str.strip(), errors="coerce"))  # of a Series: a Series
    whole = numbers.notna() & (numbers == np.floor(numbers)) & (numbers.abs() < _MAX_EXACT_INTEGER)
    return numbers.where(whole).astype(WHOLE)


def _out_of_range(value: str) -> bool:
    """Whether `value` is a date pandas reads but cannot hold (before 1677-09-21, after 2262-04-11)."""
    try:
        pd.to_datetime(value, format="mixed", utc=True)
    except pd.errors.OutOfBoundsDatetime:  # before ValueError: it is one
        return True
    except (ValueError, TypeError, OverflowError):
        return False
    return False


def dates(values: pd.Series, default: pd.Timestamp) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """(naive-UTC dates, unparseable mask, out-of-range mask, blank mask). Blank dates take `default`.

    ISO-8601 is tried first (fast, unambiguous); only what it cannot read goes through pandas'
    per-value parser, which reads "Aug 3, 2015" and month-first "08/03/2015". A real date the
    nanosecond timestamps of the warehouse cannot hold (year 1500, 2300) is out of range, not
    unparseable: the reason says which.
    """
    stripped = values.str.strip()
    blank = (stripped == "").to_numpy()
    parsed = pd.to_datetime(stripped.where(~blank), format="ISO8601", errors="coerce", utc=True)
    retry = parsed.isna().to_numpy() & ~blank
    if retry.any():
        parsed[retry] = pd.to_datetime(stripped[retry], format="mixed", errors="coerce", utc=True)
    failed = parsed.isna().to_numpy() & ~blank
    out_of_range = np.zeros(len(values), dtype=bool)
    for i in np.flatnonzero(failed):  # few rows: the parser is asked again, one value at a time
        out_of_range[i] = _out_of_range(stripped.iloc[i])
    naive = parsed.dt.tz_localize(None).astype("datetime64[ns]")
    return naive.where(~blank, default), failed & ~out_of_range, out_of_range, blank


def derived_ids(raw: pd.DataFrame, mapping: ColumnMapping) -> pd.Series:
    """A stable id from the row's mapped values: the same row gets the same id in any file and on
    any machine (sha256, not Python's per-process hash), as "h" + 16 hex digits. It hashes the
    trimmed source values (the review text as read, not its normalised form), so ids of data
    already ingested stay the same."""
    fields = sorted((name, column) for name, column in mapping.fields().items() if name != "review_id")
    parts = [(name + "=") + raw[column].str.strip() for name, column in fields]
    keys = parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]
    return pd.Series(["h" + hashlib.sha256(k.encode()).hexdigest()[:16] for k in keys], index=raw.index, dtype=TEXT)


def extra_json(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The kept source columns of each row as one JSON object (blank values as null)."""
    if not columns:
        return pd.Series(pd.NA, index=raw.index, dtype=TEXT)
    kept = pd.DataFrame({c: text(col(raw, c)) for c in columns}, index=raw.index)
    return pd.Series(json_lines(kept), index=raw.index, dtype=TEXT)


def normalise(raw: pd.DataFrame, mapping: ColumnMapping, ingested_at: pd.Timestamp) -> Normalised:
    """The chunk in the normalised schema (mapping resolved: every column it names is in `raw`).

    `review_body` is kept exactly as read and `review_body_normalised` is its cleaned form; a
    review whose cleaned form shows nothing (blank, only "&nbsp;", zero-width or other invisible
    characters) is a problem, as is a review_id such as "nan" or "inf".
    Without a category column, or for a blank category, product_category is UNKNOWN_CATEGORY.
    Without a star or label column (an unlabelled file) star_rating and sentiment are null and
    no row has a label problem."""
    n = len(raw)
    out = pd.DataFrame(index=raw.index)
    out["review_id"] = text(col(raw, mapping.review_id)) if mapping.review_id else derived_ids(raw, mapping)

    if mapping.date:
        out["date"], unparseable, out_of_range, defaulted = dates(col(raw, mapping.date), ingested_at)
    else:
        out["date"], defaulted = pd.Timestamp(ingested_at), np.ones(n, bool)
        unparseable = out_of_range = np.zeros(n, bool)
    out["date"] = out["date"].astype("datetime64[ns]")

    out["title"] = text(col(raw, mapping.title)) if mapping.title else pd.Series(pd.NA, index=raw.index, dtype=TEXT)
    out["review_body"], out["review_body_normalised"] = review_texts(col(raw, mapping.review_body))
    out["product_category"] = categories(
        col(raw, mapping.product_category) if mapping.product_category else None, raw.index
    )

    rating_problem: tuple[str, np.ndarray] | None = None
    if mapping.star_rating:
        stars = whole_numbers(col(raw, mapping.star_rating))
        bad = (stars.isna() | ~stars.between(1, 5)).to_numpy()
        out["star_rating"] = stars.where(~bad)
        sentiment = np.full(n, -9, dtype="int64")
        sentiment[~bad] = sentiment_from_stars(cast(pd.Series, stars[~bad]).to_numpy(dtype="int64"))
        out["sentiment"] = pd.Series(sentiment, index=raw.index).where(~bad).astype(WHOLE)
        rating_problem = ("star_rating is not an integer 1..5", bad)
    elif mapping.label:
        out["star_rating"] = pd.Series(pd.NA, index=raw.index, dtype=WHOLE)
        out["sentiment"] = col(raw, mapping.label).str.strip().str.lower().map(LABELS).astype(WHOLE)
        rating_problem = ("label is not negative/neutral/positive or -1/0/1", out["sentiment"].isna().to_numpy())
    else:  # unlabelled: a file to score
        out["star_rating"] = pd.Series(pd.NA, index=raw.index, dtype=WHOLE)
        out["sentiment"] = pd.Series(pd.NA, index=raw.index, dtype=WHOLE)

    for target in ("division_name", "department_name", *WHOLE_TARGETS):
        column = mapping.more_columns.get(target)
        dtype = WHOLE if target in WHOLE_TARGETS else TEXT
        if column is None:
            out[target] = pd.Series(pd.NA, index=raw.index, dtype=dtype)
        else:
            out[target] = whole_numbers(col(raw, column)) if dtype == WHOLE else text(col(raw, column))
    out["extra"] = extra_json(raw, mapping.extra)

    # In the order reasons are listed when several apply.
    problems = {"missing review_id": out["review_id"].isna().to_numpy()}
    if mapping.review_id:
        problems[MISSING_ID_MARKER] = (
            out["review_id"].str.lower().isin(MISSING_ID_MARKERS).to_numpy(dtype=bool, na_value=False)
        )
    if rating_problem is not None:
        problems[rating_problem[0]] = rating_problem[1]
    problems[BLANK_TEXT] = blank_texts(col(out, "review_body_normalised"))
    problems["unparseable date"] = unparseable
    problems[DATE_OUT_OF_RANGE] = out_of_range
    return Normalised(out, problems, defaulted)
