"""Debugger rules: pure judgements over a training record (see `debugger.py`), each saying
whether a run shows a known way for training to go wrong.

The rule names (debugger_rule_names.py, which imports nothing heavy) are also the names of the
Dagster asset checks that report them. A rule with too few steps or evaluations to judge passes,
and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sentiment_assets.models.debugger import TrainingRecorder, as_record
from sentiment_assets.models.debugger_rule_names import (
    EXPLODING_GRADIENTS,
    LOSS_NOT_DECREASING,
    OVERFITTING,
    VANISHING_GRADIENTS,
)


@dataclass(frozen=True)
class RuleThresholds:
    """When each rule fires."""

    loss_window_share: float = 0.1  # loss windows are this share of all steps ...
    min_loss_window: int = 5  # ... but at least this many steps each
    min_relative_drop: float = 0.05  # last window's mean loss must be this far below the first's
    patience: int = 3  # validation loss rising this many evaluations in a row = overfitting
    warmup_steps: int = 5  # steps ignored by the gradient rules (norms settle after a few steps)
    vanishing_grad_norm: float = 1e-4  # a global gradient norm below this has vanished ...
    vanishing_share: float = 0.5  # ... a problem when that happens on more than this share of steps
    dead_group_norm: float = 1e-10  # a layer group whose gradient never exceeds this learns nothing
    exploding_grad_norm: float = 1e3  # a global gradient norm above this (before clipping) exploded


@dataclass
class RuleResult:
    """One rule's verdict on a run."""

    name: str
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def loss_not_decreasing(record, thresholds: RuleThresholds = RuleThresholds()) -> RuleResult:
    """Fails when the mean training loss of the last window of steps is not at least
    `min_relative_drop` below that of the first window."""
    losses = [s["loss"] for s in as_record(record)["steps"] if math.isfinite(s["loss"])]
    window = max(thresholds.min_loss_window, int(len(losses) * thresholds.loss_window_share))
    if len(losses) < 2 * window:
        return _too_little(LOSS_NOT_DECREASING, f"{len(losses)} steps", f"{2 * window} steps")
    first, last = float(np.mean(losses[:window])), float(np.mean(losses[-window:]))
    drop = (first - last) / first if first > 0 else 0.0
    passed = drop >= thresholds.min_relative_drop
    verdict = "fell" if passed else "did not fall enough"
    return RuleResult(
        LOSS_NOT_DECREASING,
        passed,
        f"training loss {verdict}: {first:.4g} over the first {window} steps, {last:.4g} over the "
        f"last {window} (a {drop:.1%} drop; at least {thresholds.min_relative_drop:.0%} expected)",
        {"first_window_loss": first, "last_window_loss": last, "relative_drop": drop, "window_steps": window},
    )


def overfitting(record, thresholds: RuleThresholds = RuleThresholds()) -> RuleResult:
    """Fails when validation loss rose `patience` evaluations in a row while the training loss
    fell over the same evaluations."""
    evaluations = [
        e
        for e in as_record(record)["evaluations"]
        if math.isfinite(e.get("val_loss", math.nan)) and math.isfinite(e["train_loss"])
    ]
    span = thresholds.patience + 1
    if len(evaluations) < span:
        return _too_little(OVERFITTING, f"{len(evaluations)} evaluations", f"{span} evaluations")
    for start in range(len(evaluations) - span + 1):
        window = evaluations[start : start + span]
        val = [e["val_loss"] for e in window]
        rising = all(later > earlier for earlier, later in zip(val, val[1:], strict=False))
        if rising and window[-1]["train_loss"] < window[0]["train_loss"]:
            return RuleResult(
                OVERFITTING,
                False,
                f"validation loss rose {thresholds.patience} evaluations in a row (steps "
                f"{window[0]['step']}..{window[-1]['step']}: {val[0]:.4g} -> {val[-1]:.4g}) while "
                f"training loss fell ({window[0]['train_loss']:.4g} -> {window[-1]['train_loss']:.4g})",
                {
                    "from_step": window[0]["step"],
                    "to_step": window[-1]["step"],
                    "val_loss_from": val[0],
                    "val_loss_to": val[-1],
                },
            )
    return RuleResult(
        OVERFITTING,
        True,
        f"validation loss never rose {thresholds.patience} evaluations in a row while training "
        f"loss fell ({len(evaluations)} evaluations)",
        {"evaluations": len(evaluations), "best_val_loss": min(e["val_loss"] for e in evaluations)},
    )


def vanishing_gradients(record, thresholds: RuleThresholds = RuleThresholds()) -> RuleResult:
    """Fails when the global gradient norm is below `vanishing_grad_norm` on most steps after
    warm-up, or when a layer group that requires grad never gets a gradient above
    `dead_group_norm`."""
    data = as_record(record)
    steps = data["steps"][thresholds.warmup_steps :]
    if not steps:
        return _too_little(
            VANISHING_GRADIENTS, f"{len(data['steps'])} steps", f"more than {thresholds.warmup_steps} steps"
        )
    norms = np.array([s["grad_norm"] for s in steps])
    share = float(np.mean(norms < thresholds.vanishing_grad_norm))
    # "Throughout": every recorded step counts, warm-up included.
    dead = [
        group
        for group in data.get("trainable_groups", [])
        if all(s["group_grad_norms"].get(group, 0.0) <= thresholds.dead_group_norm for s in data["steps"])
    ]
    metadata = {
        "vanished_share": share,
        "median_grad_norm": float(np.median(norms)),
        "dead_groups": ", ".join(dead) or "none",
    }
    if share > thresholds.vanishing_share:
        return RuleResult(
            VANISHING_GRADIENTS,
            False,
            f"global gradient norm below {thresholds.vanishing_grad_norm:g} on {share:.0%} of the steps after warm-up",
            metadata,
        )
    if dead:
        return RuleResult(
            VANISHING_GRADIENTS,
            False,
            f"no gradient ever reached these trainable layer groups: {', '.join(dead)}",
            metadata,
        )
    return RuleResult(
        VANISHING_GRADIENTS,
        True,
        f"gradients flowed: median global norm {metadata['median_grad_norm']:.3g}, every trainable layer group got one",
        metadata,
    )


def exploding_gradients(record, thresholds: RuleThresholds = RuleThresholds()) -> RuleResult:
    """Fails when the global gradient norm (before clipping) exceeds `exploding_grad_norm`, or
    a loss or gradient norm is not finite."""
    steps = as_record(record)["steps"]
    if not steps:
        return _too_little(EXPLODING_GRADIENTS, "0 steps", "1 step")
    non_finite = [s["step"] for s in steps if not (math.isfinite(s["loss"]) and math.isfinite(s["grad_norm"]))]
    too_large = [
        s["step"] for s in steps if math.isfinite(s["grad_norm"]) and s["grad_norm"] > thresholds.exploding_grad_norm
    ]
    finite = [s["grad_norm"] for s in steps if math.isfinite(s["grad_norm"])]
    metadata = {
        "max_grad_norm": max(finite) if finite else 0.0,
        "non_finite_steps": len(non_finite),
        "steps_above_threshold": len(too_large),
    }
    if non_finite:
        return RuleResult(
            EXPLODING_GRADIENTS,
            False,
            f"loss or gradient norm not finite on {len(non_finite)} steps, first at step {non_finite[0]}",
            metadata | {"first_bad_step": non_finite[0]},
        )
    if too_large:
        return RuleResult(
            EXPLODING_GRADIENTS,
            False,
            f"global gradient norm above {thresholds.exploding_grad_norm:g} on "
            f"{len(too_large)} steps, first at step {too_large[0]}",
            metadata | {"first_bad_step": too_large[0]},
        )
    return RuleResult(
        EXPLODING_GRADIENTS, True, f"gradient norms stayed finite and at most {metadata['max_grad_norm']:.3g}", metadata
    )


def evaluate_rules(record: TrainingRecorder | dict, thresholds: RuleThresholds = RuleThresholds()) -> list[RuleResult]:
    """Every rule's verdict, in the order of RULE_NAMES."""
    return [
        rule(record, thresholds)
        for rule in (loss_not_decreasing, overfitting, vanishing_gradients, exploding_gradients)
    ]


def _too_little(name: str, have: str, need: str) -> RuleResult:
    return RuleResult(name, True, f"too little to judge: {have}, at least {need} needed", {"judged": False})
