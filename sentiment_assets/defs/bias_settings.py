"""Run config shared by the pre- and post-training bias assets: which facet, which label is
positive, and the warning limits the threshold checks apply."""

import dagster as dg

from sentiment_assets.bias.thresholds import BiasThresholds


class BiasSettings(dg.Config):
    """Facet and label choices, as Clarify's BiasConfig takes them."""

    facet: str = "product_category"  # any column of cleaned_reviews: department_name, age, ...
    positive_label_values: list[int] = [1]  # sentiment 1 = positive
    sensitive_values: list[str] | None = None  # d = these values together (default: one-vs-rest)
    threshold: float | None = None  # continuous facet (e.g. age): d = facet > threshold
    group: str | None = "department_name"  # CDDL's group variable; null to skip CDDL
    # Limits that turn a metric into a warning; any BiasThresholds field, e.g. {"DPL": 0.05}.
    limits: dict[str, float] = {}

    def bias_thresholds(self) -> BiasThresholds:
        return BiasThresholds(**self.limits)

    def split(self) -> dict[str, object]:
        return {"sensitive_values": self.sensitive_values, "threshold": self.threshold}
