"""Data validation with Great Expectations 1.x (no Dagster imports)."""
