"""The single switch between running on this machine and running on AWS.

Every resource, the dbt target and the executor are derived from `get_profile()` (through
`sentiment_assets.defs.deployment.deployment_for`); nothing else in the code base reads
SENTIMENT_PROFILE. The functions here read the environment and never change it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

PROFILE_ENV_VAR = "SENTIMENT_PROFILE"
HOME_ENV_VAR = "SENTIMENT_HOME"
BUCKET_ENV_VAR = "SENTIMENT_S3_BUCKET"


class Profile(StrEnum):
    LOCAL = "local"
    AWS = "aws"


def get_profile(env: Mapping[str, str] | None = None) -> Profile:
    """The active profile, `local` unless SENTIMENT_PROFILE (in `env`, default os.environ) says otherwise."""
    env = os.environ if env is None else env
    raw = env.get(PROFILE_ENV_VAR, Profile.LOCAL.value).strip().lower()
    try:
        return Profile(raw)
    except ValueError:
        allowed = ", ".join(p.value for p in Profile)
        raise ValueError(f"{PROFILE_ENV_VAR}={raw!r} is not a known profile; use one of: {allowed}") from None


def sentiment_home(env: Mapping[str, str] | None = None) -> Path:
    """Where a local run keeps its state: DuckDB file, MLflow store, Optuna study, artifacts.

    SENTIMENT_HOME when set, else `.sentiment/` under the current directory (the repo root for
    `make demo` and `dagster dev`).
    """
    env = os.environ if env is None else env
    return Path(env.get(HOME_ENV_VAR, ".sentiment")).expanduser().resolve()


def default_landing_zone(
    profile: Profile, env: Mapping[str, str] | None = None, home: Path | None = None
) -> str | None:
    """Where review files land when config/sentiment.yaml names no `landing_zone.directory`:
    `<SENTIMENT_HOME>/landing/incoming` locally, `s3://<SENTIMENT_S3_BUCKET>/landing/` on AWS
    (None there while the bucket is unset; the sensor then names the variable)."""
    env = os.environ if env is None else env
    if profile is Profile.LOCAL:
        return str((home or sentiment_home(env)) / "landing" / "incoming")
    bucket = env.get(BUCKET_ENV_VAR, "").strip()
    return f"s3://{bucket}/landing/" if bucket else None


def disable_telemetry() -> None:
    """Turn off the usage reporting of the tools we drive; runs must not phone home.

    The one deliberate write to the environment, made by entry points (the code location, the
    test session) before anything else runs, and only for variables nobody has set: the flags must
    be there before the libraries read them and be inherited by dbt and the training process.
    Building resources or a deployment never calls it.
    """
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
