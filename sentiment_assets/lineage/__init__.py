"""Provenance: from a prediction back to the model version, its training run, the feature data it
was trained on and the raw files' bytes (`python -m sentiment_assets.lineage --help`)."""
