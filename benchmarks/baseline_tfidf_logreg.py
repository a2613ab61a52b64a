"""The "ten-line baseline" on the real review corpora of `real_corpora.py`.

TF-IDF over word 1-2 grams (sublinear_tf) + LogisticRegression(C=4, class_weight="balanced",
max_iter=2000), fitted on a stratified 80/20 split (seed 42) of each corpus, scored on the 20%:
accuracy and macro-F1, next to the majority-class accuracy for scale. The target is each
corpus's `label` (vader_amazon: 3-class; rotten_tomatoes: binary positive/negative) or
`five_star` (amazon_fine_foods: 5 stars vs 1-4 stars). Framework-free; no Dagster.

    python benchmarks/baseline_tfidf_logreg.py [--cache-dir DIR] [--corpus NAME ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import real_corpora
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from sentiment_assets.models.baselines import ten_line_baseline

SEED = 42


def baseline_model():
    """The ten-line baseline, unfitted: the same model the pipeline's registry gate compares with."""
    return ten_line_baseline()


def evaluate(df: pd.DataFrame, target: str, seed: int = SEED) -> dict:
    """Fit on a stratified 80% and score the other 20%."""
    y = df[target].astype(str)
    x_train, x_test, y_train, y_test = train_test_split(df["text"], y, test_size=0.2, stratify=y, random_state=seed)
    model = baseline_model().fit(x_train, y_train)
    predicted = model.predict(x_test)
    return {
        "target": target,
        "classes": sorted(y.unique()),
        "n_train": len(x_train),
        "n_test": len(x_test),
        "accuracy": round(float(accuracy_score(y_test, predicted)), 4),
        "macro_f1": round(float(f1_score(y_test, predicted, average="macro")), 4),
        "majority_accuracy": round(float(pd.Series(y_test).value_counts(normalize=True).iloc[0]), 4),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", type=Path, default=real_corpora.DEFAULT_CACHE)
    parser.add_argument("--corpus", action="append", choices=list(real_corpora.LOADERS), help="repeatable; default all")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = {}
    for name, (df, prov) in real_corpora.load_all(args.cache_dir, args.corpus).items():
        result = evaluate(df, real_corpora.target_column(df))
        results[name] = {**result, "package": f"{prov['package']}=={prov['version']}", "rows": prov["rows"]}
        package = f"{prov['package']}=={prov['version']}"
        print(
            f"{name:18s} {package:22s} target={result['target']:9s} "
            f"classes={len(result['classes'])} train/test={result['n_train']}/{result['n_test']} "
            f"accuracy={result['accuracy']:.4f} macro_f1={result['macro_f1']:.4f} "
            f"(majority {result['majority_accuracy']:.4f})"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
