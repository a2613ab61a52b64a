"""How far apart two label distributions are: KL, JS, Lp, TVD, KS, from probability arrays.

Each function takes P_a and P_d of shape (..., C) — the last axis runs over label values — and a
boolean `support` of the same shape saying which label values take part. Clarify's pre-training
metrics pass its *common support* (values seen in both groups, probabilities left as they were,
not renormalised); the multi-class metrics pass every class with smoothed probabilities.
Leading axes are free, so one call covers every facet value and every bootstrap replicate.
A distance over an empty support is NaN (smclarify raises "No instance of common facet found").

- KL  = sum P_a log(P_a / P_d): information lost describing a's labels with d's; 0 when equal,
        not symmetric, unbounded.
- JS  = 1/2 [KL(P_a || M) + KL(P_d || M)], M = (P_a + P_d) / 2: symmetric, at most log 2.
- LP  = (sum |P_a - P_d|^p)^(1/p), p = 2 in Clarify: Euclidean distance of the two PMFs.
- TVD = 1/2 sum |P_a - P_d|: the largest difference in probability the two can give one event.
- KS  = max |P_a - P_d| over label values (Clarify's definition: on the PMF, not the CDF).
"""

from __future__ import annotations

import numpy as np


def probabilities(counts: np.ndarray) -> np.ndarray:
    """Counts (..., C) -> empirical PMF along the last axis; NaN for a group without rows."""
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return counts / total


def smoothed_probabilities(counts: np.ndarray, alpha: float) -> np.ndarray:
    """Additive (Laplace when alpha = 1) smoothing: (n_c + alpha) / (n + alpha * C).

    Keeps every class's probability above 0 so KL and JS stay finite when a group lacks a class.
    """
    if alpha < 0:
        raise ValueError("alpha must be >= 0")
    n_classes = counts.shape[-1]
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (counts + alpha) / (total + alpha * n_classes)


def _over_support(terms: np.ndarray, support: np.ndarray) -> np.ndarray:
    summed = np.where(support, terms, 0.0).sum(axis=-1)
    return np.where(support.any(axis=-1), summed, np.nan)


def kl_divergence(p_a: np.ndarray, p_d: np.ndarray, support: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return _over_support(p_a * np.log(p_a / p_d), support)


def js_divergence(p_a: np.ndarray, p_d: np.ndarray, support: np.ndarray) -> np.ndarray:
    middle = 0.5 * (p_a + p_d)
    return 0.5 * (kl_divergence(p_a, middle, support) + kl_divergence(p_d, middle, support))


def lp_norm(p_a: np.ndarray, p_d: np.ndarray, support: np.ndarray, order: float = 2.0) -> np.ndarray:
    powered = _over_support(np.abs(p_a - p_d) ** order, support)
    return powered ** (1.0 / order)


def total_variation(p_a: np.ndarray, p_d: np.ndarray, support: np.ndarray) -> np.ndarray:
    return 0.5 * _over_support(np.abs(p_a - p_d), support)


def kolmogorov_smirnov(p_a: np.ndarray, p_d: np.ndarray, support: np.ndarray) -> np.ndarray:
    largest = np.where(support, np.abs(p_a - p_d), -np.inf).max(axis=-1, initial=-np.inf)
    return np.where(support.any(axis=-1), largest, np.nan)


def all_distances(p_a: np.ndarray, p_d: np.ndarray, support: np.ndarray) -> dict[str, np.ndarray]:
    """KL, JS, LP (p = 2), TVD and KS in Clarify's order of definition."""
    return {
        "KL": kl_divergence(p_a, p_d, support),
        "JS": js_divergence(p_a, p_d, support),
        "LP": lp_norm(p_a, p_d, support, 2.0),
        "TVD": total_variation(p_a, p_d, support),
        "KS": kolmogorov_smirnov(p_a, p_d, support),
    }
