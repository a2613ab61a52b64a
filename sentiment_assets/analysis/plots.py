"""PNG figures for asset metadata: review lengths, class balance, bias, confusion matrix."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


SENTIMENT_COLORS = {-1: "#C44E52", 0: "#DD8452", 1: "#55A868"}


def words_histogram(words: pd.Series, sentiment: pd.Series, words_limit: int) -> bytes:
    """Review length in words per sentiment, overlaid, with the course's length limit (words) marked."""
    figure, axis = plt.subplots(figsize=(7, 3.5))
    bins = np.linspace(0, max(int(words.max()) if len(words) else 1, 1), 41)
    for value, color in SENTIMENT_COLORS.items():
        axis.hist(words[sentiment == value], bins=bins.tolist(), alpha=0.55, color=color, label=f"sentiment {value}")
    axis.axvline(words_limit, color="black", linestyle="--", label=f"words_limit = {words_limit}")
    axis.set(title="Words per review by sentiment", xlabel="words", ylabel="reviews")
    axis.legend()
    return _png(figure)


def rating_bars(star_rating: pd.Series) -> bytes:
    """How many reviews gave each star rating (1-5)."""
    counts = star_rating.value_counts().reindex(range(1, 6), fill_value=0)
    figure, axis = plt.subplots(figsize=(5, 3.2))
    axis.bar(counts.index.astype(str), counts.to_numpy(), color=[SENTIMENT_COLORS[s] for s in (-1, -1, 0, 1, 1)])
    axis.set(title="Star ratings", xlabel="stars", ylabel="reviews")
    return _png(figure)


def sentiment_by_category_bars(table: pd.DataFrame) -> bytes:
    """Stacked bars of review counts per category, split by sentiment (-1, 0, 1)."""
    figure, axis = plt.subplots(figsize=(9, 4))
    bottom = np.zeros(len(table))
    for column, color in zip(table.columns, SENTIMENT_COLORS.values(), strict=False):
        axis.bar(table.index, table[column], bottom=bottom, label=f"sentiment {column}", color=color)
        bottom += table[column].to_numpy()
    axis.set(title="Reviews per category and sentiment", ylabel="reviews")
    axis.tick_params(axis="x", rotation=60)
    axis.legend()
    return _png(figure)


def bias_bars(stages: dict[str, pd.DataFrame]) -> bytes:
    """CI and DPL per facet value, one bar per stage (e.g. before and after balancing).

    Each frame has `value_or_threshold`, `CI` and `DPL` columns; the first stage sets the order.
    """
    names = list(stages)
    labels = stages[names[0]]["value_or_threshold"].astype(str)
    positions = np.arange(len(labels))
    height = 0.8 / len(names)
    colors = ("#4C72B0", "#55A868", "#DD8452", "#8172B2")
    figure, axes = plt.subplots(1, 2, figsize=(11, 0.35 * len(labels) + 1.5), sharey=True)
    for axis, metric in zip(axes, ("CI", "DPL"), strict=False):
        for offset, (name, color) in enumerate(zip(names, colors, strict=False)):
            frame = stages[name].assign(key=stages[name]["value_or_threshold"].astype(str)).set_index("key")
            axis.barh(
                positions + offset * height,
                frame.reindex(labels)[metric].to_numpy(dtype=float),
                height=height,
                label=name,
                color=color,
            )
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set(title=metric, yticks=positions + height * (len(names) - 1) / 2, yticklabels=labels)
    axes[0].legend(fontsize="small")
    return _png(figure)


def confusion_matrix_heatmap(matrix: list[list[int]], class_names: list[str]) -> bytes:
    """Rows are the true labels, columns the predictions."""
    values = np.asarray(matrix)
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.imshow(values, cmap="Blues")
    for (row, column), count in np.ndenumerate(values):
        colour = "white" if count > values.max() / 2 else "black"
        axis.text(column, row, str(count), ha="center", va="center", color=colour)
    axis.set(
        xticks=range(len(class_names)),
        yticks=range(len(class_names)),
        xticklabels=class_names,
        yticklabels=class_names,
        xlabel="predicted",
        ylabel="true",
        title="Confusion matrix (test)",
    )
    return _png(figure)


def reliability_diagram(table: pd.DataFrame, ece: float) -> bytes:
    """Accuracy against confidence per bin (the diagonal is perfect calibration), bar width by bin."""
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfectly calibrated")
    centres = (table["lower"] + table["upper"]) / 2
    axis.bar(centres, table["accuracy"], width=(table["upper"] - table["lower"]) * 0.9, alpha=0.6, label="accuracy")
    axis.plot(table["confidence"], table["accuracy"], "o", color="black", ms=3, label="(confidence, accuracy)")
    axis.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="confidence (top class probability)",
        ylabel="accuracy",
        title=f"Reliability (test), ECE {ece:.3f}",
    )
    axis.legend(loc="upper left", fontsize=7)
    return _png(figure)


def training_curves_png(record: dict) -> bytes:
    """A fine-tuning run at a glance: training loss per step with the validation loss of each
    evaluation (overfitting shows as the two parting), and the gradient norm (vanishing or
    exploding gradients show as a collapse or a spike)."""
    steps, evaluations = record.get("steps", []), record.get("evaluations", [])
    figure, (loss_axis, grad_axis) = plt.subplots(1, 2, figsize=(10, 3.6))
    loss_axis.plot([s["step"] for s in steps], [s["loss"] for s in steps], lw=0.8, label="training loss (batch)")
    if evaluations:
        loss_axis.plot(
            [e["step"] for e in evaluations], [e.get("val_loss") for e in evaluations], "o-", label="validation loss"
        )
    loss_axis.set(xlabel="optimizer step", ylabel="cross-entropy", title="Loss")
    loss_axis.legend()
    grad_axis.semilogy([s["step"] for s in steps], [max(s["grad_norm"], 1e-12) for s in steps], lw=0.8)
    grad_axis.set(xlabel="optimizer step", ylabel="L2 norm (before clipping)", title="Gradient norm")
    return _png(figure)
