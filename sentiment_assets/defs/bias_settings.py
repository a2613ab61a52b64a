"""Run config shared by the pre- and post-training bias assets: which facet, which label is
positive, and the warning limits the threshold checks apply."""

from collections.abc import Callable, Iterable
from typing import TypedDict, TypeVar

import dagster as dg

from resources.warehouse import Warehouse
from sentiment_assets.bias.thresholds import BiasThresholds

FACET_SOURCE = "cleaned_reviews"
T = TypeVar("T")


class FacetSplit(TypedDict):
    """How a facet splits into the sensitive group d and the rest a: keyword arguments of the
    sentiment_assets.bias functions."""

    sensitive_values: list[str] | None
    threshold: float | None


class BiasSettings(dg.Config):
    """Facet and label choices, as Clarify's BiasConfig takes them."""

    # Any column of cleaned_reviews: department_name, age, source_partition (the landed file),
    # source_role, ... Rows whose facet is null are left out of the metrics (and counted).
    facet: str = "product_category"
    positive_label_values: list[int] = [1]  # sentiment 1 = positive
    sensitive_values: list[str] | None = None  # d = these values together (default: one-vs-rest)
    threshold: float | None = None  # continuous facet (e.g. age): d = facet > threshold
    group: str | None = "department_name"  # CDDL's group variable; null to skip CDDL
    # Limits that turn a metric into a warning; any BiasThresholds field, e.g. {"DPL": 0.05}.
    limits: dict[str, float] = {}

    def bias_thresholds(self) -> BiasThresholds:
        return BiasThresholds(**self.limits)

    def split(self) -> FacetSplit:
        return {"sensitive_values": self.sensitive_values, "threshold": self.threshold}

    def require_columns(self, available: Iterable[str], table: str = FACET_SOURCE) -> None:
        """A clear failure when the facet (or CDDL's group) is not a column of `table`."""
        columns = list(available)
        for role, name in (("facet", self.facet), ("group", self.group)):
            if name is not None and name not in columns:
                raise dg.Failure(
                    description=f"bias {role} {name!r} is not a column of {table}; "
                    f"available columns: {', '.join(columns)}",
                    metadata={role: name, "available_columns": dg.MetadataValue.json(columns)},
                )

    def read_facets(self, warehouse: Warehouse, read: Callable[[], T], table: str = FACET_SOURCE) -> T:
        """`read()` (a read of the facet columns from `table`); when it fails, a clear dg.Failure
        if the facet or group is not a column there, else the original error. The columns are
        only looked up on failure, so a good facet costs no extra query."""
        try:
            return read()
        except Exception:
            self.require_columns(source_columns(warehouse, table), table)
            raise


def source_columns(warehouse: Warehouse, table: str = FACET_SOURCE) -> list[str]:
    """The columns of `table`."""
    return warehouse.table_columns(table)
