"""Does stacking TF-IDF and the fine-tuned transformer beat the transformer alone? Measured on a
real corpus (vader_amazon, fetched from PyPI by real_corpora.py), the way the pipeline would do it:
base models fitted on the train split, the combination chosen on the validation split (80/10/10,
stratified, as a user's data is split), judged on the holdout file (20% of the corpus, split by
review). Prints holdout accuracy / macro-F1 of each base model and of two combinations:

- weighted: softmax(w log p_tfidf + (1 - w) log p_transformer), w picked on validation macro-F1;
- stacked: multinomial logistic regression on both models' log-probabilities, fitted on validation.

    .venv/bin/python benchmarks/stacked_ensemble.py [--corpus vader_amazon] [--max-seconds 600]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import real_corpora
from real_data_user_path import holdout_split
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from sentiment_assets.features.splits import USER_DATA_FRACTIONS, assign_splits
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.models.transformer import TransformerClassifier

LABEL_IDS = {"negative": 0, "neutral": 1, "positive": 2}


def as_reviews(frame: pd.DataFrame) -> pd.DataFrame:
    label_id = cast(pd.Series, frame["label"]).map(LABEL_IDS).astype(int)
    return pd.DataFrame(
        {
            "review_id": frame["review_id"].astype(str),
            "review_body": frame["text"].astype(str),
            "label_id": label_id,
            "sentiment": label_id - 1,
        }
    )


def scores(truth: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    predicted = probabilities.argmax(axis=1)
    return float(accuracy_score(truth, predicted)), float(f1_score(truth, predicted, average="macro"))


def weighted(p_tfidf: np.ndarray, p_transformer: np.ndarray, w: float) -> np.ndarray:
    logits = w * np.log(np.clip(p_tfidf, 1e-12, 1)) + (1 - w) * np.log(np.clip(p_transformer, 1e-12, 1))
    logits -= logits.max(axis=1, keepdims=True)
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="vader_amazon")
    parser.add_argument("--cache-dir", type=Path, default=real_corpora.DEFAULT_CACHE)
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="the fine-tune's time budget (pipeline default)"
    )
    args = parser.parse_args(argv)

    [(df, _)] = real_corpora.load_all(args.cache_dir, [args.corpus]).values()
    labelled, holdout = holdout_split(df)
    reviews, holdout = as_reviews(labelled), as_reviews(holdout)
    split = assign_splits(reviews, USER_DATA_FRACTIONS)
    train, valid = (
        cast(pd.DataFrame, reviews[split == "train"]).reset_index(drop=True),
        cast(pd.DataFrame, reviews[split == "validation"]).reset_index(drop=True),
    )
    print(f"{args.corpus}: train {len(train)}, validation {len(valid)}, holdout {len(holdout)}")

    started = time.perf_counter()
    tfidf = TfidfLogisticRegression(TfidfConfig()).fit(train)
    # The finetuned_minilm asset's CPU defaults.
    transformer = TransformerClassifier(
        FineTuneConfig(max_seq_length=64, epochs=1, batch_size=32, learning_rate=2e-4, max_seconds=args.max_seconds)
    ).fit(train, valid)
    print(f"base models fitted in {time.perf_counter() - started:.0f} s")
    p = {
        name: (model.predict_proba(valid), model.predict_proba(holdout))
        for name, model in (("tfidf_logreg", tfidf), ("minilm_finetuned", transformer))
    }
    truth_valid, truth_holdout = valid["label_id"].to_numpy(), holdout["label_id"].to_numpy()

    rows = [(name, *scores(truth_holdout, p[name][1])) for name in p]
    grid = np.round(np.arange(0.0, 1.01, 0.1), 2)
    valid_f1 = [scores(truth_valid, weighted(p["tfidf_logreg"][0], p["minilm_finetuned"][0], w))[1] for w in grid]
    best_w = float(grid[int(np.argmax(valid_f1))])
    rows.append(
        (
            f"weighted (w_tfidf = {best_w} on validation)",
            *scores(truth_holdout, weighted(p["tfidf_logreg"][1], p["minilm_finetuned"][1], best_w)),
        )
    )
    features = [np.hstack([np.log(np.clip(p[n][i], 1e-12, 1)) for n in p]) for i in (0, 1)]
    meta = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(features[0], truth_valid)
    rows.append(
        ("stacked (logistic regression on validation)", *scores(truth_holdout, meta.predict_proba(features[1])))
    )
    print(
        pd.DataFrame(rows, columns=pd.Index(["model", "holdout_accuracy", "holdout_macro_f1"])).to_string(
            index=False, float_format=lambda v: f"{v:.3f}"
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
