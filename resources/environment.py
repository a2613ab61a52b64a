"""The single switch between running on this machine and running on AWS.

Every resource, the dbt target and the executor are derived from `get_profile()`; nothing else
in the code base reads SENTIMENT_PROFILE.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

PROFILE_ENV_VAR = "SENTIMENT_PROFILE"
HOME_ENV_VAR = "SENTIMENT_HOME"


class Profile(str, Enum):
    LOCAL = "local"
    AWS = "aws"


def get_profile() -> Profile:
    """The active profile, `local` unless SENTIMENT_PROFILE says otherwise."""
    raw = os.environ.get(PROFILE_ENV_VAR, Profile.LOCAL.value).strip().lower()
    try:
        return Profile(raw)
    except ValueError:
        allowed = ", ".join(p.value for p in Profile)
        raise ValueError(f"{PROFILE_ENV_VAR}={raw!r} is not a known profile; use one of: {allowed}") from None


def sentiment_home() -> Path:
    """Where a local run keeps its state: DuckDB file, MLflow store, Optuna study, artifacts.

    SENTIMENT_HOME when set, else `.sentiment/` under the current directory (the repo root for
    `make demo` and `dagster dev`).
    """
    return Path(os.environ.get(HOME_ENV_VAR, ".sentiment")).expanduser().resolve()


def disable_telemetry() -> None:
    """Turn off the usage reporting of the tools we drive; runs must not phone home."""
    for name, value in {
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "GX_ANALYTICS_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(name, value)
