"""Feature engineering: splits, tokenization and the review feature group (no Dagster imports)."""
