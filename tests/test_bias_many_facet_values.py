"""One-vs-rest over a facet with as many values as rows (a free-text column, an id) stays linear."""

import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.bias.groups import count_table, facet_groups, split_counts
from sentiment_assets.bias.pretraining import pretraining_metrics

REPO = Path(__file__).resolve().parents[1]


def reference_counts(facet: pd.Series, positive: pd.Series) -> pd.DataFrame:
    """Per facet value, straight from the definitions: rows and positives in d (= that value) and in a."""
    rows = []
    for value in sorted(facet.unique()):
        in_d = facet == value
        rows.append(
            {
                "value": str(value),
                "n_d": int(in_d.sum()),
                "n_a": int((~in_d).sum()),
                "pos_d": int(positive[in_d].sum()),
                "pos_a": int(positive[~in_d].sum()),
            }
        )
    return pd.DataFrame(rows)


def test_one_vs_rest_metrics_equal_a_per_value_reference_computation():
    rng = np.random.default_rng(3)
    facet = pd.Series(rng.choice([f"v{i}" for i in range(40)], size=600))
    label = pd.Series(rng.integers(-1, 2, size=600))
    metrics = pretraining_metrics(facet, label, [1])
    expected = reference_counts(facet, label == 1)
    assert metrics["value_or_threshold"].tolist() == expected["value"].tolist()
    assert metrics["n_d"].tolist() == expected["n_d"].tolist() and metrics["n_a"].tolist() == expected["n_a"].tolist()
    q_d, q_a = expected["pos_d"] / expected["n_d"], expected["pos_a"] / expected["n_a"]
    assert metrics["CI"].to_numpy() == pytest.approx(((expected["n_a"] - expected["n_d"]) / 600).to_numpy())
    assert metrics["DPL"].to_numpy() == pytest.approx((q_a - q_d).to_numpy())


def test_sparse_membership_splits_counts_exactly_as_the_dense_identity_did():
    rng = np.random.default_rng(5)
    facet = pd.Series(rng.integers(0, 30, size=500))
    groups = facet_groups(facet)
    # A 3-axis table (level x group x outcome), the shape CDDL and bootstrap replicates use.
    table = count_table([groups.codes, rng.integers(0, 4, 500), rng.integers(0, 2, 500)], [groups.n_levels, 4, 2])
    d, a = split_counts(table, groups.membership)
    dense_d = np.tensordot(np.eye(groups.n_levels), table, axes=(1, 0))  # the old computation
    assert np.array_equal(d, dense_d)
    assert np.array_equal(a, table.sum(axis=0, keepdims=True) - dense_d)
    sensitive = facet_groups(facet, sensitive_values=[1, 2])
    d, _ = split_counts(count_table([sensitive.codes, np.zeros(500, dtype=int)], [2, 1]), sensitive.membership)
    assert d.ravel().tolist() == [float(facet.isin([1, 2]).sum())]


def test_two_hundred_thousand_distinct_values_over_four_hundred_thousand_rows_fit_in_two_gib():
    # In a child with a 2 GiB address-space cap: the dense identity (37 GiB) fails to allocate at
    # once instead of swapping a shared machine, and the linear version has room to spare.
    script = textwrap.dedent("""
        import numpy as np, pandas as pd
        from sentiment_assets.bias.pretraining import pretraining_metrics
        k = 200_000
        codes = np.concatenate([np.arange(k), np.random.default_rng(0).integers(0, k, k)])
        facet = pd.Series(codes).map("value-{}".format)
        label = pd.Series(codes % 3 - 1)
        metrics = pretraining_metrics(facet, label, [1])
        expected = pd.Series(codes).value_counts().sort_index()
        by_code = metrics.assign(code=metrics["value_or_threshold"].str[6:].astype(int)).set_index("code").sort_index()
        assert len(metrics) == k and by_code["n_d"].tolist() == expected.tolist(), "counts differ"
        assert (by_code["n_d"] + by_code["n_a"] == 2 * k).all()
        print("ok")
    """)
    two_gib = 2 * 1024**3
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (two_gib, two_gib)),
    )
    assert child.returncode == 0 and child.stdout.strip() == "ok", child.stderr[-2000:]
