"""Drift monitoring: is what the model sees and says still like what it was trained on?"""

from sentiment_assets.monitoring.baseline import DriftBaseline
from sentiment_assets.monitoring.drift import DriftResult, DriftThresholds, data_drift, prediction_drift

__all__ = ["DriftBaseline", "DriftResult", "DriftThresholds", "data_drift", "prediction_drift"]
