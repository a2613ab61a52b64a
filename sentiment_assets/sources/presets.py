"""The known review layouts (Kaggle clothing CSV, Amazon Customer Reviews TSV, a user's mapping)
and how a file's header picks one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .schema import SourceError
from .spec import ColumnMapping, SourceSpec

#: Kaggle "Women's E-Commerce Clothing Reviews" header -> normalised column (the course's renames).
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
#: How readers name the Kaggle file's unnamed first column (pandas CSV, pandas-written Parquet).
INDEX_COLUMN_NAMES: tuple[str, ...] = ("", "Unnamed: 0", "__index_level_0__")

#: The 15 columns of the Amazon Customer Reviews TSVs, in file order.
AMAZON_COLUMNS: tuple[str, ...] = (
    "marketplace",
    "customer_id",
    "review_id",
    "product_id",
    "product_parent",
    "product_title",
    "product_category",
    "star_rating",
    "helpful_votes",
    "total_votes",
    "vine",
    "verified_purchase",
    "review_headline",
    "review_body",
    "review_date",
)


#: Said with every header that fits no preset: users bring unlabelled files to score.
UNLABELLED_HINT = (
    "a file without labels (to score) needs only its text column, mapped as review_body "
    "(preset 'generic' with a mapping such as {'review_body': '<text column>'}); "
    "star_rating/label and product_category are optional"
)


@dataclass(frozen=True)
class Preset:
    """A layout: its mapping, the columns a file must have (which also identify it in "auto"),
    every column it knows (listed in errors), and whether its fields may be quoted.

    A named preset's label (stars) and category columns are optional: a file without them is
    read unlabelled (null sentiment) and/or with category "unknown"."""

    name: str
    mapping: ColumnMapping
    required: tuple[str, ...]
    layout: tuple[str, ...]
    quoted_fields: bool = True
    index_as_id: bool = False

    def missing(self, columns: Sequence[str]) -> list[str]:
        return [c for c in self.required if c not in columns]

    def resolve(self, columns: Sequence[str]) -> ColumnMapping:
        """The mapping for a file with these columns: optional columns it lacks are dropped
        (including star_rating / label / product_category: an unlabelled or uncategorised file)."""
        present = set(columns)
        m = self.mapping

        def kept(column: str | None) -> str | None:
            return column if column in present else None

        review_id = kept(m.review_id)
        if self.index_as_id:
            review_id = next((c for c in columns if c in INDEX_COLUMN_NAMES), None)
        return replace(
            m,
            review_id=review_id,
            title=kept(m.title),
            date=kept(m.date),
            star_rating=kept(m.star_rating),
            label=kept(m.label),
            product_category=kept(m.product_category),
            extra=tuple(c for c in m.extra if c in present),
            more_columns={k: v for k, v in m.more_columns.items() if v in present},
        )


WOMENS_CLOTHING = Preset(
    name="womens_clothing",
    mapping=ColumnMapping(
        review_body="Review Text",
        product_category="Class Name",
        star_rating="Rating",
        title="Title",
        more_columns={
            target: source
            for source, target in CLOTHING_RENAMES.items()
            if target not in ("title", "review_body", "star_rating", "product_category")
        },
    ),
    # "Clothing ID" next to "Review Text" identifies the Kaggle file and an export of it without
    # ratings (to score); "Rating" and "Class Name" are optional.
    required=("Review Text", "Clothing ID"),
    layout=("", *CLOTHING_RENAMES),
    index_as_id=True,  # the unnamed first column is the row id; without it ids are content hashes
)

AMAZON_CUSTOMER_REVIEWS = Preset(
    name="amazon_customer_reviews",
    mapping=ColumnMapping(
        review_id="review_id",
        review_body="review_body",
        title="review_headline",
        star_rating="star_rating",
        product_category="product_category",
        date="review_date",
        extra=tuple(
            c
            for c in AMAZON_COLUMNS
            if c
            not in ("review_id", "review_body", "review_headline", "star_rating", "product_category", "review_date")
        ),
    ),
    # Columns only this layout has together, so that a generic file with just review_id and
    # review_body is not taken for it (and read unquoted); star_rating and product_category are optional.
    required=("marketplace", "review_id", "product_id", "review_body"),
    layout=AMAZON_COLUMNS,
    # The published TSVs do not quote fields, and a review may start with '"': reading them with
    # CSV quoting would glue the following lines into that review.
    quoted_fields=False,
)

NAMED_PRESETS: dict[str, Preset] = {p.name: p for p in (WOMENS_CLOTHING, AMAZON_CUSTOMER_REVIEWS)}


def generic_preset(mapping: ColumnMapping) -> Preset:
    """A user's mapping as a preset: every column it names is required except the label (stars)
    and the category, as in every preset -- so one landing-zone mapping reads a labelled train
    file and an unlabelled score file alike (a train file without its label column is refused
    by the ingest step, by name)."""
    columns = mapping.source_columns()
    optional = {mapping.star_rating, mapping.label, mapping.product_category} - {None}
    others = set(mapping.fields().values()) - optional
    return Preset(
        name="generic",
        mapping=mapping,
        required=tuple(c for c in columns if c in others or c not in optional),
        layout=columns,
    )


def _generic_preset_of(spec: SourceSpec) -> Preset:
    if spec.mapping is None:  # SourceSpec refuses a generic preset without a mapping already
        raise ValueError("preset 'generic' needs a column mapping")
    return generic_preset(spec.mapping)


def choose_preset(spec: SourceSpec, columns: Sequence[str], source: str) -> Preset:
    """The preset for a file with this header, or a SourceError naming the file, the expected
    and the found columns. "auto" tries the named presets, then the spec's mapping, first match wins."""
    found = list(columns)
    if spec.preset != "auto":
        preset = _generic_preset_of(spec) if spec.preset == "generic" else NAMED_PRESETS[spec.preset]
        missing = preset.missing(found)
        if missing:
            raise SourceError(
                source,
                f"missing required column(s) {missing} for preset {preset.name!r}; "
                f"expected {list(preset.layout)}; found {found}. Note: {UNLABELLED_HINT}",
            )
        return preset
    candidates = [*NAMED_PRESETS.values(), *([generic_preset(spec.mapping)] if spec.mapping else [])]
    for preset in candidates:
        if not preset.missing(found):
            return preset
    expected = "; ".join(f"{p.name} needs {list(p.required)} (missing {p.missing(found)})" for p in candidates)
    hint = "" if spec.mapping else "; for another layout use preset 'generic' with a column mapping"
    raise SourceError(
        source, f"the header matches no preset. Expected: {expected}. Found {found}{hint}. Note: {UNLABELLED_HINT}"
    )
