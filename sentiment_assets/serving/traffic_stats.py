"""What one answered request records, and running per-variant totals over any number of them.

The totals are what `/stats` and the `stats` command report. They are kept up to date one record
at a time, so a report costs the same after ten requests or ten million: counts are sums, and
latency percentiles are taken over each variant's most recent LATENCY_WINDOW requests.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

#: Latency percentiles describe the last this-many requests of each variant (recent behaviour,
#: and a bounded cost per report).
LATENCY_WINDOW = 10_000


@dataclass(frozen=True)
class TrafficRecord:
    """One request the endpoint answered.

    shadow_variant, if set, also scored the same texts without answering; shadow_agreed is
    how many of the `texts` got the same predicted label from both variants.
    """

    at: float  # unix seconds when the request arrived
    variant: str
    model_version: str
    texts: int
    latency_ms: float  # server-side: body read, parse, routing and the answering model
    shadow_variant: str | None = None
    shadow_agreed: int | None = None


@dataclass
class VariantTotals:
    """Everything the report needs about one variant's requests, without the requests."""

    requests: int = 0
    texts: int = 0
    shadowed_texts: int = 0
    agreed_texts: int = 0
    model_versions: set[str] = field(default_factory=set)
    recent_latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))

    def add(self, record: TrafficRecord) -> None:
        self.requests += 1
        self.texts += record.texts
        self.model_versions.add(record.model_version)
        self.recent_latencies_ms.append(record.latency_ms)
        if record.shadow_agreed is not None:
            self.shadowed_texts += record.texts
            self.agreed_texts += record.shadow_agreed

    def to_dict(self) -> dict:
        return {
            "requests": self.requests,
            "texts": self.texts,
            "shadowed_texts": self.shadowed_texts,
            "agreed_texts": self.agreed_texts,
            "model_versions": sorted(self.model_versions),
            "recent_latencies_ms": list(self.recent_latencies_ms),
        }

    @classmethod
    def from_dict(cls, saved: Mapping) -> VariantTotals:
        totals = cls(
            int(saved["requests"]),
            int(saved["texts"]),
            int(saved["shadowed_texts"]),
            int(saved["agreed_texts"]),
            set(map(str, saved["model_versions"])),
        )
        totals.recent_latencies_ms.extend(float(ms) for ms in saved["recent_latencies_ms"])
        return totals

    def stats(self, weight: float) -> dict:
        latencies = list(self.recent_latencies_ms)
        return {
            "weight": weight,
            "requests": self.requests,
            "texts": self.texts,
            "latency_p50_ms": percentile(latencies, 50),
            "latency_p95_ms": percentile(latencies, 95),
            "model_versions": sorted(self.model_versions, key=lambda v: (len(v), v)),
            "shadowed_texts": self.shadowed_texts,
            "agreed_texts": self.agreed_texts,
            "agreement_rate": self.agreed_texts / self.shadowed_texts if self.shadowed_texts else None,
        }


@dataclass
class TrafficTotals:
    """VariantTotals per variant name."""

    variants: dict[str, VariantTotals] = field(default_factory=dict)

    def add(self, record: TrafficRecord) -> None:
        self.variants.setdefault(record.variant, VariantTotals()).add(record)

    def add_all(self, records: Iterable[TrafficRecord]) -> TrafficTotals:
        for record in records:
            self.add(record)
        return self

    def to_dict(self) -> dict:
        return {name: totals.to_dict() for name, totals in self.variants.items()}

    @classmethod
    def from_dict(cls, saved: Mapping) -> TrafficTotals:
        return cls({str(name): VariantTotals.from_dict(totals) for name, totals in saved.items()})

    def summary(self, weights: Mapping[str, float]) -> dict:
        """Per variant: requests, texts, p50/p95 latency (ms), model versions seen and how often
        the shadowing variant agreed with its answers; plus the routing weights and the overall
        agreement rate. Variants with a weight but no traffic yet are listed with zero counts."""
        names = list(weights) + [name for name in self.variants if name not in weights]
        variants = {name: self.variants.get(name, VariantTotals()).stats(weights.get(name, 0.0)) for name in names}
        shadowed = sum(v["shadowed_texts"] for v in variants.values())
        agreed = sum(v["agreed_texts"] for v in variants.values())
        return {
            "requests": sum(v["requests"] for v in variants.values()),
            "texts": sum(v["texts"] for v in variants.values()),
            "agreement_rate": agreed / shadowed if shadowed else None,
            "weights": dict(weights),
            "variants": variants,
        }


def summarize(records: Iterable[TrafficRecord], weights: Mapping[str, float]) -> dict:
    """The summary of `records` (see TrafficTotals.summary)."""
    return TrafficTotals().add_all(records).summary(weights)


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation, as numpy), or None when there are no values."""
    return float(np.percentile(values, q)) if values else None


def format_stats(stats: dict) -> str:
    """The summary as a fixed-width table for the terminal."""

    def cell(value, width: int, spec: str) -> str:
        return f"{'-' if value is None else format(value, spec):>{width}}"

    rows = [
        f"{'variant':<11} {'weight':>6} {'requests':>8} {'texts':>7} {'p50_ms':>8} {'p95_ms':>8} "
        f"{'agreement':>9}  versions"
    ]
    for variant, s in stats["variants"].items():
        rows.append(
            f"{variant:<11} {s['weight']:>6.2f} {s['requests']:>8} {s['texts']:>7} "
            f"{cell(s['latency_p50_ms'], 8, '.1f')} {cell(s['latency_p95_ms'], 8, '.1f')} "
            f"{cell(s['agreement_rate'], 9, '.3f')}  {','.join(s['model_versions']) or '-'}"
        )
    rows.append(
        f"{'all':<11} {'':>6} {stats['requests']:>8} {stats['texts']:>7} {'':>8} {'':>8} "
        f"{cell(stats['agreement_rate'], 9, '.3f')}"
    )
    return "\n".join(rows)
