"""One record per answered request, appended to a JSON Lines file, and the statistics over them.

A file rather than server memory, so `python -m sentiment_assets.serving stats`, a Dagster
asset or a notebook can read the traffic while the server runs, and the records survive a
restart. Appends from one server process are serialised by a lock; that is all a local
endpoint needs (several processes would each want their own file).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


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


class TrafficLog:
    """The JSON Lines file of TrafficRecords."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, record: TrafficRecord) -> None:
        line = json.dumps(asdict(record)) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as log:
                log.write(line)

    def read(self) -> list[TrafficRecord]:
        """All complete records; a line being written right now (or a damaged one) is skipped."""
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(TrafficRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return records


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation, as numpy), or None when there are no values."""
    return float(np.percentile(values, q)) if values else None


def summarize(records: Iterable[TrafficRecord], weights: Mapping[str, float]) -> dict:
    """Per variant: requests, texts, p50/p95 latency (ms), model versions seen and how often
    the shadowing variant agreed with its answers; plus the routing weights and the overall
    agreement rate. Variants with a weight but no traffic yet are listed with zero counts."""
    by_variant: dict[str, list[TrafficRecord]] = {variant: [] for variant in weights}
    for record in records:
        by_variant.setdefault(record.variant, []).append(record)
    variants = {variant: _variant_stats(answered, weights.get(variant, 0.0)) for variant, answered in by_variant.items()}
    shadowed = sum(v["shadowed_texts"] for v in variants.values())
    agreed = sum(v["agreed_texts"] for v in variants.values())
    return {
        "requests": sum(v["requests"] for v in variants.values()),
        "texts": sum(v["texts"] for v in variants.values()),
        "agreement_rate": agreed / shadowed if shadowed else None,
        "weights": dict(weights),
        "variants": variants,
    }


def _variant_stats(answered: list[TrafficRecord], weight: float) -> dict:
    latencies = [r.latency_ms for r in answered]
    shadowed = [r for r in answered if r.shadow_agreed is not None]
    shadowed_texts = sum(r.texts for r in shadowed)
    agreed_texts = sum(r.shadow_agreed for r in shadowed)
    return {
        "weight": weight,
        "requests": len(answered),
        "texts": sum(r.texts for r in answered),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "model_versions": sorted({r.model_version for r in answered}, key=lambda v: (len(v), v)),
        "shadowed_texts": shadowed_texts,
        "agreed_texts": agreed_texts,
        "agreement_rate": agreed_texts / shadowed_texts if shadowed_texts else None,
    }


def format_stats(stats: dict) -> str:
    """The summary as a fixed-width table for the terminal."""
    def cell(value, width: int, spec: str) -> str:
        return f"{'-' if value is None else format(value, spec):>{width}}"

    rows = [f"{'variant':<11} {'weight':>6} {'requests':>8} {'texts':>7} {'p50_ms':>8} {'p95_ms':>8} {'agreement':>9}  versions"]
    for variant, s in stats["variants"].items():
        rows.append(f"{variant:<11} {s['weight']:>6.2f} {s['requests']:>8} {s['texts']:>7} {cell(s['latency_p50_ms'], 8, '.1f')} "
                    f"{cell(s['latency_p95_ms'], 8, '.1f')} {cell(s['agreement_rate'], 9, '.3f')}  {','.join(s['model_versions']) or '-'}")
    rows.append(f"{'all':<11} {'':>6} {stats['requests']:>8} {stats['texts']:>7} {'':>8} {'':>8} {cell(stats['agreement_rate'], 9, '.3f')}")
    return "\n".join(rows)
