"""What a user says about a source: which preset, or which column means what, and how to decode it."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

PRESET_NAMES: tuple[str, ...] = ("auto", "womens_clothing", "amazon_customer_reviews", "generic")

#: Default size caps, in characters. A review is a few kB; the caps only stop a broken or hostile
#: file (one 2 GB line compresses to a 2 MB .gz) from being held in memory whole.
MAX_FIELD_CHARS = 1 << 20  # 1 Mi characters per value
MAX_RECORD_CHARS = 4 << 20  # 4 Mi characters per physical line and per record (a CSV row spanning lines)

#: Normalised columns a mapping may fill from a source column besides the core ones.
OPTIONAL_TARGETS: tuple[str, ...] = (
    "division_name",
    "department_name",
    "clothing_id",
    "age",
    "recommended",
    "positive_feedback_count",
)


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column fills which normalised column (the `generic` preset; the named presets
    are mappings too). Only `review_body` is required: a file to score may be just ids and text.

    The sentiment comes from at most one of `star_rating` (stars 1..5) or `label` (an existing
    sentiment label: negative/neutral/positive or -1/0/1). A label given as stars 1..5 is a
    rating: name it as `star_rating`. With neither the file is unlabelled: every row's
    `sentiment` and `star_rating` are null (fine for scoring, refused for training). Without
    `product_category` every row's category is "unknown" (schema.UNKNOWN_CATEGORY). Without
    `review_id` the id is a hash of the mapped values; without `date` the date is the ingestion
    time. `extra` columns are kept verbatim in the JSON column `extra`; `more_columns` maps
    further normalised columns (see OPTIONAL_TARGETS).
    """

    review_body: str
    product_category: str | None = None
    star_rating: str | None = None
    label: str | None = None
    review_id: str | None = None
    title: str | None = None
    date: str | None = None
    extra: tuple[str, ...] = ()
    more_columns: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Run config hands lists and plain dicts; keep the dataclass hashable and immutable.
        object.__setattr__(self, "extra", tuple(self.extra))
        object.__setattr__(self, "more_columns", dict(self.more_columns))
        if self.star_rating is not None and self.label is not None:
            raise ValueError(
                "a column mapping takes at most one of `star_rating` (stars 1..5) or `label` "
                f"(negative/neutral/positive or -1/0/1), not both: got star_rating={self.star_rating!r} "
                f"and label={self.label!r}; leave both out for a file without labels"
            )
        unknown = sorted(set(self.more_columns) - set(OPTIONAL_TARGETS))
        if unknown:
            raise ValueError(f"more_columns may only fill {list(OPTIONAL_TARGETS)}; got {unknown}")

    @property
    def labelled(self) -> bool:
        """Whether rows read with this mapping carry a sentiment (from stars or a label)."""
        return self.star_rating is not None or self.label is not None

    def fields(self) -> dict[str, str]:
        """Normalised name -> source column, for every column this mapping reads (extras as extra:<name>)."""
        core = {
            "review_id": self.review_id,
            "title": self.title,
            "review_body": self.review_body,
            "star_rating": self.star_rating,
            "label": self.label,
            "product_category": self.product_category,
            "date": self.date,
        }
        named = {k: v for k, v in core.items() if v is not None}
        return {**named, **self.more_columns, **{f"extra:{c}": c for c in self.extra}}

    def source_columns(self) -> tuple[str, ...]:
        """The source columns this mapping reads, each once, in mapping order."""
        return tuple(dict.fromkeys(self.fields().values()))


@dataclass(frozen=True)
class SourceSpec:
    """How to read a location: a preset ("auto" detects it per file from the header), the column
    mapping for `generic` (with "auto" it is tried after the named presets), the text encoding,
    and overrides for the delimiter (default: by suffix) and quoting (default: the preset's).

    `max_field_chars` and `max_record_chars` cap what one value and one record (a physical line,
    or a CSV row whose quoted fields span lines) may hold: a row with a longer value is
    quarantined, a file with a longer line or record is refused, naming the line, before it is
    held in memory."""

    preset: str = "auto"
    mapping: ColumnMapping | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    quoting: Literal["auto", "minimal", "none"] = "auto"
    max_field_chars: int = MAX_FIELD_CHARS
    max_record_chars: int = MAX_RECORD_CHARS

    def __post_init__(self) -> None:
        if self.preset not in PRESET_NAMES:
            raise ValueError(f"unknown preset {self.preset!r}; choose one of {list(PRESET_NAMES)}")
        if self.preset == "generic" and self.mapping is None:
            raise ValueError("preset 'generic' needs a column mapping")
        if self.mapping is not None and self.preset not in ("generic", "auto"):
            raise ValueError(f"preset {self.preset!r} has its own columns; a mapping goes with 'generic' or 'auto'")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")
        if min(self.max_field_chars, self.max_record_chars) < 1:
            raise ValueError(
                f"max_field_chars and max_record_chars must be >= 1, got {self.max_field_chars} "
                f"and {self.max_record_chars}"
            )
        try:  # an unknown encoding fails here, not half-way through a file
            codecs.lookup(self.encoding)
        except LookupError as error:
            raise ValueError(f"unknown encoding {self.encoding!r}") from error
