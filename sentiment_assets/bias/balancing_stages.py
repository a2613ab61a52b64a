"""Pre-training bias before and after balancing: what the bias_report asset computes and saves.

Three populations of the cleaned reviews are measured with the same facet choice: as they are,
balanced by facet x sentiment (which should leave no bias: the demonstration), and the training
data (balanced by sentiment only). Framework-free: the artifact store is anything with
`write_json`, `write_bytes` and `path` (resources.artifacts.ArtifactStore).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from sentiment_assets.analysis.plots import bias_bars
from sentiment_assets.bias.analysis_json import analysis_json
from sentiment_assets.bias.markdown import markdown_report
from sentiment_assets.bias.population import BiasPopulation, bias_population, max_abs
from sentiment_assets.bias.report import PretrainingReport, pretraining_report
from sentiment_assets.bias.thresholds import BiasThresholds, breaches
from sentiment_assets.training.balancing import balance, values_missing_a_label

LABEL = "sentiment"
STAGES = {
    "before_balancing": "Before balancing (cleaned reviews)",
    "balanced_by_facet_and_sentiment": "After balancing by facet x sentiment (the bias demonstration)",
    "balanced_by_sentiment": "After balancing by sentiment only (the training data)",
}


@dataclass(frozen=True)
class FacetChoice:
    """Which facet and positive label, how d is chosen, and the warning limits (Clarify's BiasConfig)."""

    facet: str = "product_category"
    positive_label_values: list[int] = field(default_factory=lambda: [1])
    sensitive_values: list[str] | None = None  # d = these values together (default: one-vs-rest)
    threshold: float | None = None  # continuous facet: d = facet > threshold
    group: str | None = None  # CDDL's group variable
    limits: BiasThresholds = field(default_factory=BiasThresholds)
    bootstrap_resamples: int = 1000
    seed: int = 42

    @property
    def columns(self) -> list[str]:
        """The columns of cleaned_reviews the report reads."""
        return list(dict.fromkeys(["review_id", self.facet, LABEL, *([self.group] if self.group else [])]))

    def split(self) -> dict[str, Any]:
        return {"sensitive_values": self.sensitive_values, "threshold": self.threshold}


@dataclass(frozen=True)
class StagedBias:
    """The report of each stage, and what the checks and the catalog need to know about them."""

    choice: FacetChoice
    population: BiasPopulation  # the cleaned reviews with a facet value and a label
    populations: dict[str, pd.DataFrame]  # stage -> its rows
    reports: dict[str, PretrainingReport]  # stage -> its metrics
    left_out_of_balancing: list[str]  # facet values lacking some sentiment (they cannot be balanced)

    @property
    def before(self) -> pd.DataFrame:
        return self.reports["before_balancing"].clarify

    def table(self) -> pd.DataFrame:
        """One row per stage and facet group d; text columns stay text when there are no rows."""
        table = pd.concat(
            [r.clarify.assign(stage=s, facet=self.choice.facet) for s, r in self.reports.items()], ignore_index=True
        )
        return table.astype({"value_or_threshold": "string", "stage": "string", "facet": "string"})

    def breaches(self) -> pd.DataFrame:
        """The (facet value, metric) pairs of the cleaned reviews past their warning limit."""
        return breaches(self.before.drop(columns=["n_d", "n_a"], errors="ignore"), self.choice.limits)

    def notes(self) -> list[str]:
        if self.population.measurable:
            return [self.population.left_out()]
        return [f"**{self.population.note()}**", self.population.left_out()]

    def markdown(self) -> str:
        return markdown_report(
            f"Pre-training bias: {self.choice.facet}",
            [(STAGES[s], r) for s, r in self.reports.items()],
            self.choice.limits,
            self.notes(),
        )

    def plot(self) -> bytes:
        """CI and DPL per facet value, before and after balancing by facet x sentiment."""
        return bias_bars(
            {STAGES[s].split(" (")[0]: r.clarify for s, r in self.reports.items() if s != "balanced_by_sentiment"}
        )

    def balancing_outcome(self) -> tuple[bool, dict[str, Any]]:
        """Whether balancing by facet x sentiment leaves DPL 0 and CI equal, with what shows it; with
        fewer than two facet values there is nothing to balance, which passes with a note saying so."""
        if not self.population.measurable:
            return True, {"note": f"Nothing to balance. {self.population.note()}"}
        after = self.reports["balanced_by_facet_and_sentiment"].clarify
        largest_after = max_abs(cast(pd.Series, after["DPL"]))
        distinct_ci = int(after["CI"].round(12).nunique())
        if largest_after is None:
            return True, {
                "note": "Nothing to balance: fewer than two facet values have every sentiment "
                f"(left out of balancing: {', '.join(self.left_out_of_balancing) or 'none'}).",
                "distinct_ci_after": distinct_ci,
            }
        passed = bool(largest_after < 1e-9 and distinct_ci <= 1)
        return passed, {"max_abs_dpl_after": largest_after, "distinct_ci_after": distinct_ci}


def staged_bias(cleaned: pd.DataFrame, training_ids: pd.Series, choice: FacetChoice) -> StagedBias:
    """The pre-training bias of `cleaned` (rows without a facet value or a label left out), of
    those rows balanced by facet x sentiment, and of those among `training_ids` (the training data)."""
    population = bias_population(cleaned, choice.facet, LABEL, **choice.split())
    reviews = population.frame
    balanceable, balance_column, left_out = facet_groups_for_balancing(reviews, choice.facet, choice.threshold)
    populations = {
        "before_balancing": reviews,
        "balanced_by_facet_and_sentiment": balance(balanceable, by=[balance_column, LABEL], seed=choice.seed)[
            choice.columns
        ],
        # The training data's facet values come from cleaned_reviews (training keeps fewer columns).
        "balanced_by_sentiment": reviews[reviews["review_id"].isin(training_ids)],
    }
    reports = {
        stage: pretraining_report(
            frame,
            choice.facet,
            LABEL,
            choice.positive_label_values,
            group=choice.group,
            n_resamples=choice.bootstrap_resamples,
            seed=choice.seed,
            **choice.split(),
        )
        for stage, frame in populations.items()
    }
    return StagedBias(choice, population, populations, reports, left_out)


def facet_groups_for_balancing(
    reviews: pd.DataFrame, facet: str, threshold: float | None
) -> tuple[pd.DataFrame, str, list[str]]:
    """The frame and column to balance on: the facet itself, or d-vs-a for a threshold facet.
    Facet values lacking some sentiment are left out (they cannot be balanced) and named."""
    column = facet
    if threshold is not None:
        column = "facet_group"
        reviews = reviews.assign(facet_group=np.where(reviews[facet].astype(float) > threshold, "d", "a"))
    incomplete = values_missing_a_label(reviews, column, LABEL)
    return cast(pd.DataFrame, reviews[~reviews[column].astype(str).isin(incomplete)]), column, incomplete


@dataclass(frozen=True)
class SavedBias:
    """Where the report's files went, and what was rendered into them."""

    markdown: str
    markdown_path: Path
    plot: bytes
    analysis_before_balancing: Path


def save_staged_bias(staged: StagedBias, artifacts) -> SavedBias:
    """Clarify's analysis.json of each stage, the markdown report and the CI/DPL plot, under bias/."""
    for stage, report in staged.reports.items():
        artifacts.write_json(f"bias/analysis_{stage}.json", analysis_json(pre=[report]))
    markdown = staged.markdown()
    markdown_path = artifacts.path("bias", "bias_report.md")
    markdown_path.write_text(markdown)
    plot = staged.plot()
    artifacts.write_bytes("bias/ci_dpl.png", plot)
    return SavedBias(markdown, markdown_path, plot, artifacts.path("bias", "analysis_before_balancing.json"))
