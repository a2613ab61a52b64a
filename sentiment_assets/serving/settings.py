"""Where the endpoint keeps its files, and how much one request may ask of it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from resources.environment import sentiment_home

ROUTING_ENV_VAR = "SENTIMENT_ROUTING_TABLE"
TRAFFIC_LOG_ENV_VAR = "SENTIMENT_TRAFFIC_LOG"
MODEL_NAME_ENV_VAR = "SENTIMENT_MODEL_NAME"

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_TEXTS = 1000


def serving_home() -> Path:
    """The serving directory of SENTIMENT_HOME: routing table and traffic log of the local endpoint."""
    return sentiment_home() / "serving"


def default_routing_path() -> Path:
    """SENTIMENT_ROUTING_TABLE when set, else `<SENTIMENT_HOME>/serving/routing.json`."""
    return Path(os.environ.get(ROUTING_ENV_VAR) or serving_home() / "routing.json").expanduser()


def default_traffic_log_path() -> Path:
    """SENTIMENT_TRAFFIC_LOG when set, else `<SENTIMENT_HOME>/serving/traffic.jsonl`."""
    return Path(os.environ.get(TRAFFIC_LOG_ENV_VAR) or serving_home() / "traffic.jsonl").expanduser()


@dataclass(frozen=True)
class ServingLimits:
    """What one request may cost: bytes read, texts scored, and how often the other variant shadows it.

    shadow_fraction is the share of requests that the variant *not* chosen also scores, to
    measure how often champion and challenger agree. Locally every request (1.0); a busy
    endpoint would lower it, since shadowing doubles the model work.
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_texts: int = DEFAULT_MAX_TEXTS
    shadow_fraction: float = 1.0

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be >= 1, got {self.max_body_bytes}")
        if self.max_texts < 1:
            raise ValueError(f"max_texts must be >= 1, got {self.max_texts}")
        if not 0.0 <= self.shadow_fraction <= 1.0:
            raise ValueError(f"shadow_fraction must be within 0..1, got {self.shadow_fraction}")
