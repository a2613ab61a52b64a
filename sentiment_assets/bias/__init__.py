"""Statistical bias metrics with SageMaker Clarify's definitions, and more (no Dagster imports).

Modules, one concept each:
- groups:        the facet split (one-vs-rest, a sensitive-value list, a threshold), binary labels, counts
- divergences:   KL, JS, Lp, TVD, KS between two label distributions
- pretraining:   Clarify's CI, DPL, KL, JS, LP, TVD, KS, CDDL (smclarify semantics, tested to 1e-9)
- multiclass:    the distances over every sentiment class, with stated additive smoothing
- bootstrap:     percentile intervals for CI and DPL (seeded multinomial resampling of counts)
- posttraining:  Clarify's DPPL, DI, DCA, DCR, RD, SD, DAR, DRR, AD, TE, CDDPL, GE
- fairness:      fairlearn's MetricFrame by category, demographic-parity and equalized-odds gaps
- thresholds:    warning limits and the (facet value, metric) pairs past them
- report, analysis_json, markdown: one call per facet, rendered as Clarify's analysis.json and as text

Choosing the inputs:
- facet: any column whose groups might be treated differently (product_category, division,
  department, an age bucket). A categorical facet is analysed one value against the rest; give
  `sensitive_values` to treat several values as one group, or `threshold` for a numeric column
  (d = value > threshold, as Clarify's "(threshold, max]").
- positive_label_values: the outcome that counts as favourable; for review sentiment [1]
  (positive). Clarify's metrics collapse every other class into "negative"; the multi-class
  table does not collapse.
- thresholds: `BiasThresholds` holds one limit per metric; start from the defaults and tighten
  the ones your use case cares about (DPL and DPPL first).
"""
