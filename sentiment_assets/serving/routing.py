"""The A/B routing table: which share of requests the champion and the challenger answer.

It lives in a small JSON file, `{"weights": {"champion": 0.8, "challenger": 0.2}}`, so
`shift-traffic` (or a person, or a Dagster job) can move traffic while the server runs: the
server re-reads the file whenever it changes, and `write_table` replaces it atomically so the
server never reads half a file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CHAMPION, CHALLENGER = "champion", "challenger"
#: The variants in routing order; each is also the registry alias it is loaded from.
VARIANTS: tuple[str, ...] = (CHAMPION, CHALLENGER)


@dataclass(frozen=True)
class RoutingTable:
    """Non-negative weights per variant; a variant's share of traffic is its weight over the sum."""

    weights: Mapping[str, float] = field(default_factory=lambda: {CHAMPION: 1.0})

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(VARIANTS))
        if unknown:
            raise ValueError(f"unknown variant(s) {unknown}; a routing table names only {list(VARIANTS)}")
        for variant, weight in self.weights.items():
            if (
                isinstance(weight, bool)
                or not isinstance(weight, (int, float))
                or not math.isfinite(weight)
                or weight < 0
            ):
                raise ValueError(f"weight of {variant} must be a finite number >= 0, got {weight!r}")
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one variant needs a weight > 0")

    def shares(self) -> dict[str, float]:
        """Each variant's fraction of traffic, summing to 1, in routing order."""
        total = sum(self.weights.values())
        return {v: self.weights[v] / total for v in VARIANTS if v in self.weights}

    def choose(self, draw: float) -> str:
        """The variant that answers a request, given a uniform random draw in [0, 1)."""
        if not 0.0 <= draw < 1.0:
            raise ValueError(f"draw must be in [0, 1), got {draw}")
        cumulative = 0.0
        chosen = CHAMPION
        for variant, share in self.shares().items():
            if share == 0:
                continue
            chosen = variant
            cumulative += share
            if draw < cumulative:
                return variant
        return chosen  # float rounding left the cumulative sum a hair under 1

    def restricted_to(self, available: Iterable[str]) -> RoutingTable:
        """The table over the variants actually loaded; all traffic to the champion if none of
        the weighted ones is (a table that still sends traffic to a removed challenger)."""
        kept = {v: w for v, w in self.weights.items() if v in set(available)}
        return RoutingTable(kept) if sum(kept.values()) > 0 else RoutingTable({CHAMPION: 1.0})

    def to_json(self) -> str:
        return (
            json.dumps({"weights": self.shares(), "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, indent=2) + "\n"
        )

    @classmethod
    def from_json(cls, text: str) -> RoutingTable:
        document = json.loads(text)
        if not isinstance(document, dict) or not isinstance(document.get("weights"), dict):
            raise ValueError('expected {"weights": {"champion": <w>, "challenger": <w>}}')
        return cls(dict(document["weights"]))


def default_table(has_challenger: bool) -> RoutingTable:
    """Every request to the champion; a loaded challenger is listed at weight 0 until someone
    gives it traffic (`shift-traffic`, or an edit of the file). Registering a challenger alias
    must not by itself send half the users to a model nobody has chosen to expose."""
    return RoutingTable({CHAMPION: 1.0, CHALLENGER: 0.0} if has_challenger else {CHAMPION: 1.0})


def challenger_table(share: float) -> RoutingTable:
    """Send `share` (0..1) of traffic to the challenger and the rest to the champion."""
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
        raise ValueError(f"the challenger's share must be within 0..1, got {share!r}")
    return RoutingTable({CHAMPION: 1.0 - share, CHALLENGER: float(share)})


def read_table(path: Path) -> RoutingTable:
    """The table in `path`; a ValueError naming the file if it is not a valid table."""
    try:
        return RoutingTable.from_json(Path(path).read_text())
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path} is not a valid routing table: {error}") from None


def write_table(path: Path, table: RoutingTable) -> None:
    """Replace `path` atomically: write a temp file beside it, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as scratch:
        scratch.write(table.to_json())
        scratch.flush()
        os.fsync(scratch.fileno())
    os.replace(scratch.name, path)


class RoutingFile:
    """The routing table the server applies: the file's, re-read when it changes, limited to
    the loaded variants. A broken edit keeps the last good table (and reports the error)
    rather than taking the endpoint down."""

    def __init__(self, path: Path, available: Iterable[str]):
        self.path = Path(path)
        self.available = tuple(available)
        self.configured = default_table(CHALLENGER in self.available)
        self.error: str | None = None
        self._seen: tuple[int, int, int] | None = None

    def current(self) -> RoutingTable:
        """The table in effect now (one stat call per request; a read only after a change)."""
        try:
            stat = self.path.stat()
            seen = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            self._seen = seen
            self._reload(exists=seen is not None)
        return self.configured.restricted_to(self.available)

    def _reload(self, exists: bool) -> None:
        if not exists:
            self.configured, self.error = default_table(CHALLENGER in self.available), None
            return
        try:
            self.configured, self.error = read_table(self.path), None
        except (OSError, ValueError) as error:
            self.error = str(error)
