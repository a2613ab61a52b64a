"""Write smclarify_reference.json: smclarify's own bias metrics on seeded inputs, for the parity test.

smclarify (SageMaker Clarify's open-source metric library) is the reference, but it is not a
dependency of this project: it dates from 2023 (pandas 1.x, numpy 1.x era), so it runs in a
separate venv with the pandas/numpy of that time, and its outputs are checked in. (smclarify 0.5's
metadata does not pin pandas or numpy; we pin them below so the run is reproducible.)
`tests/test_bias_clarify_parity.py` recomputes everything with `sentiment_assets.bias` and asserts
agreement to 1e-9.

How the checked-in file was made (Python 3.11):

    python3.11 -m venv /tmp/smclarify-venv
    /tmp/smclarify-venv/bin/pip install --only-binary :all: smclarify==0.5 pandas==1.5.3 numpy==1.26.4
    /tmp/smclarify-venv/bin/python tests/reference/generate_smclarify_reference.py

The inputs are generated here with a fixed seed and stored in the JSON next to the outputs, so
the test never has to regenerate them. They are shaped to reach smclarify's corner cases:
a category whose labels are all positive (Clarify's common-support trimming of the label PMFs),
a category where the model never predicts a false positive but misses positives (TE = Infinity),
a continuous facet split by a threshold, a list of sensitive values, and one absent value.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import smclarify
from smclarify.bias import report

SEED = 20240527
N_ROWS = 400
POSITIVE_LABEL_VALUES = [4, 5]
OUT = Path(__file__).with_name("smclarify_reference.json")


def make_inputs(seed: int = SEED, n: int = N_ROWS) -> pd.DataFrame:
    """Reviews-like rows: category, age, a group variable, star labels 1..5 and predicted stars."""
    rng = np.random.default_rng(seed)
    categories = ["Dresses", "Knits", "Blouses", "Pants", "Trend", "Sleep"]
    category = rng.choice(categories, size=n, p=[0.35, 0.25, 0.2, 0.12, 0.04, 0.04])
    age = rng.integers(18, 90, size=n)
    group = rng.choice(["General", "General Petite", "Intimates"], size=n, p=[0.55, 0.35, 0.10])
    # Categories differ in how positive their stars are, so DPL and friends are not all ~0.
    tilt = pd.Series(category).map({"Dresses": 0.0, "Knits": 0.4, "Blouses": -0.5, "Pants": 0.8}).fillna(0).to_numpy()
    stars = np.clip(np.round(rng.normal(3.6 + tilt + 0.01 * (age - 50), 1.2)), 1, 5).astype(int)
    # "Trend": every label positive -> its binary label PMF has one value (common-support trimming).
    stars[category == "Trend"] = rng.choice([4, 5], size=int((category == "Trend").sum()))
    predicted = np.clip(stars + rng.choice([-2, -1, 0, 0, 0, 1], size=n), 1, 5).astype(int)
    # "Sleep": all labels positive, some predicted negative, none falsely positive -> FN/FP = inf.
    sleep = category == "Sleep"
    stars[sleep] = 5
    predicted[sleep] = np.where(rng.random(int(sleep.sum())) < 0.4, 2, 5)
    return pd.DataFrame(
        {"category": category, "age": age, "group": group, "star_rating": stars, "predicted_rating": predicted}
    )


# A threshold is passed to smclarify as a one-element value list on a numeric facet: smclarify
# then treats the facet as continuous (integers with >= 5% distinct values) and d = (40, max].
CASES = [
    {"name": "category one-vs-rest", "facet": "category", "sensitive_values": None, "threshold": None},
    {
        "name": "category sensitive list",
        "facet": "category",
        "sensitive_values": ["Trend", "Blouses"],
        "threshold": None,
    },
    {"name": "age threshold 40", "facet": "age", "sensitive_values": None, "threshold": 40},
    {"name": "category absent value", "facet": "category", "sensitive_values": ["Swim"], "threshold": None},
]


def run_case(frame: pd.DataFrame, case: dict, stage: report.StageType) -> list[dict]:
    columns = [case["facet"], "star_rating"] + (["predicted_rating"] if stage is report.StageType.POST_TRAINING else [])
    predicted = (
        report.LabelColumn("predicted_rating", frame["predicted_rating"], POSITIVE_LABEL_VALUES)
        if stage is report.StageType.POST_TRAINING
        else None
    )
    return report.bias_report(
        frame[columns].copy(),
        report.FacetColumn(
            case["facet"], [case["threshold"]] if case["threshold"] is not None else case["sensitive_values"]
        ),
        report.LabelColumn("star_rating", frame["star_rating"], POSITIVE_LABEL_VALUES),
        stage,
        predicted_label_column=predicted,
        metrics=["all"],
        group_variable=frame["group"],
    )


def main() -> None:
    logging.disable(logging.CRITICAL)  # smclarify logs every expected MetricError with a traceback
    frame = make_inputs()
    cases = []
    for case in CASES:
        for stage in (report.StageType.PRE_TRAINING, report.StageType.POST_TRAINING):
            cases.append({**case, "stage": stage.value, "result": run_case(frame, case, stage)})
    document = {
        "generated_by": {
            "script": "tests/reference/generate_smclarify_reference.py",
            "smclarify": getattr(smclarify, "__version__", "0.5"),
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "seed": SEED,
        "label": "star_rating",
        "prediction": "predicted_rating",
        "group_variable": "group",
        "positive_label_values": POSITIVE_LABEL_VALUES,
        "inputs": {column: frame[column].tolist() for column in frame.columns},
        "cases": cases,
    }
    OUT.write_text(json.dumps(document, indent=1, default=str) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases, {len(frame)} rows) with smclarify under {sys.executable}")


if __name__ == "__main__":
    main()
