"""The project configuration file (config/sentiment.yaml) that unattended runs read."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from resources.environment import BUCKET_ENV_VAR, default_landing_zone, get_profile
from sentiment_assets.sources.roles import DEFAULT_ROLE, check_role

CONFIG_ENV_VAR = "SENTIMENT_CONFIG"
DEFAULT_CONFIG = Path("config") / "sentiment.yaml"


@dataclass(frozen=True)
class ProjectConfig:
    landing_directory: Path | str  # a local directory or an s3:// prefix
    ingest: dict[str, Any] = field(default_factory=dict)

    @property
    def default_role(self) -> str:
        """The role of a file landed directly in the landing directory (`ingest.role`, else train)."""
        return str(self.ingest.get("role", DEFAULT_ROLE))

    def raw_reviews_run_config(self, location: str, role: str | None = None) -> dict[str, Any]:
        """Run config that ingests `location` with the project's ingest settings (and `role`)."""
        return {
            "ops": {
                "raw_reviews": {"config": {**self.ingest, "location": location, **({"role": role} if role else {})}}
            }
        }


def load_project_config(path: str | Path | None = None) -> ProjectConfig:
    """Read the YAML file (SENTIMENT_CONFIG, else config/sentiment.yaml); errors name the file.

    Without `landing_zone.directory` the profile's landing zone is used: SENTIMENT_HOME's
    landing/incoming locally, s3://<SENTIMENT_S3_BUCKET>/landing/ on AWS."""
    path = Path(path or os.environ.get(CONFIG_ENV_VAR, DEFAULT_CONFIG))
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: project config file not found (set {CONFIG_ENV_VAR})") from None
    landing = (document.get("landing_zone") or {}).get("directory") or default_landing_zone(get_profile())
    if not landing:
        raise ValueError(f"{path}: set landing_zone.directory, or {BUCKET_ENV_VAR} for the aws profile's landing zone")
    ingest = dict(document.get("ingest") or {})
    if "location" in ingest:
        raise ValueError(f"{path}: ingest.location is decided by the landing zone; remove it")
    try:
        check_role(str(ingest.get("role", DEFAULT_ROLE)))
    except ValueError as error:
        raise ValueError(f"{path}: ingest.role: {error}") from None
    # An s3:// prefix stays a string: Path would fold its double slash.
    directory = landing if str(landing).startswith("s3://") else Path(landing).expanduser()
    return ProjectConfig(landing_directory=directory, ingest=ingest)
