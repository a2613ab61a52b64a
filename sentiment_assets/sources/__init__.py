"""Readers that turn review files into the normalised raw_reviews table plus rejected rows.

    read_reviews(location, SourceSpec(...), ingested_at) -> Iterator[FileBatch]

Locations (locations.py), formats (formats.py, structured.py), presets (presets.py, spec.py),
normalisation (normalise.py) and validation (validate.py) are separate, framework-free steps;
the contract they produce is in schema.py.
"""

from .locations import SourceFile, expand_location
from .reader import FileBatch, FileResult, FileSummary, gather, read_reviews
from .schema import NORMALISED_COLUMNS, REJECTED_COLUMNS, SourceError
from .spec import ColumnMapping, SourceSpec
from .validate import IngestedIds

__all__ = [
    "ColumnMapping",
    "FileBatch",
    "FileResult",
    "FileSummary",
    "IngestedIds",
    "NORMALISED_COLUMNS",
    "REJECTED_COLUMNS",
    "SourceError",
    "SourceFile",
    "SourceSpec",
    "expand_location",
    "gather",
    "read_reviews",
]
