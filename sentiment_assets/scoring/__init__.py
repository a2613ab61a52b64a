"""Batch scoring, freshness of stored predictions, and the human review queue it feeds."""
