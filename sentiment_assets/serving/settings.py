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
# Shadow scoring runs the other variant on the same texts: every shadowed request costs twice the
# model time (50 clients: 124 req/s unshadowed, 51 req/s with every request shadowed). Off unless asked for.
DEFAULT_SHADOW_FRACTION = 0.0
# A client gets this long to send its request headers, and again its whole body, so a slow or
# stalled one (Content-Length 100, then 19 bytes) cannot hold a connection open forever.
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 10.0
# How long an idle keep-alive connection stays open between requests (uvicorn's own default).
KEEP_ALIVE_TIMEOUT_S = 5
# The traffic log is rotated at this size and this many rotated files are kept: 60 MB on disk.
DEFAULT_TRAFFIC_LOG_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TRAFFIC_LOG_BACKUPS = 5


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
    """What one request may cost: bytes read, texts scored, time to send it, and how often the
    other variant shadows it.

    shadow_fraction is the share of requests that the variant *not* chosen also scores, to
    measure how often champion and challenger agree. 0 by default: shadowing doubles the model
    work of each shadowed request; a small share (0.05) is enough to estimate agreement.
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_texts: int = DEFAULT_MAX_TEXTS
    shadow_fraction: float = DEFAULT_SHADOW_FRACTION
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be >= 1, got {self.max_body_bytes}")
        if self.max_texts < 1:
            raise ValueError(f"max_texts must be >= 1, got {self.max_texts}")
        if not 0.0 <= self.shadow_fraction <= 1.0:
            raise ValueError(f"shadow_fraction must be within 0..1, got {self.shadow_fraction}")
        for name in ("header_timeout_s", "body_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 seconds, got {getattr(self, name)}")
