"""Two fine-tuning recipe options against the plain recipe, on a real corpus, under one time budget:
layer-wise learning-rate decay (FineTuneConfig.layerwise_lr_decay) and early stopping on
validation macro-F1 (early_stopping_patience, ending with the best evaluation's weights).

Every variant starts from the pipeline's CPU defaults (finetuned_minilm's FinetunedMinilmConfig:
length 64, batch 32, learning rate 2e-4, one epoch, balanced class weights) with the same
`--max-seconds` budget, and trains on the same rows: the corpus's train part (a group split by
review, `real_data_user_path.holdout_split`) less a validation tenth split off it the same way.
The validation rows are scored at epoch ends by every variant, and every `eval_every_steps` by
the early-stopping one; the holdout is never seen before the final scoring. Prints, per variant,
holdout accuracy / macro-F1, wall time, steps and why training stopped, then each option's
macro-F1 difference from plain with a paired bootstrap 95% interval over the holdout reviews
(data noise only: one seed per variant).

    .venv/bin/python benchmarks/finetune_recipe.py [--corpus vader_amazon] [--max-seconds 300]
        [--epochs 1] [--evaluations-per-epoch 6] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import cast

import baseline_tfidf_logreg
import numpy as np
import pandas as pd
import real_corpora
import torch
from real_data_user_path import SEED, holdout_split
from sklearn.metrics import accuracy_score, f1_score

from sentiment_assets.defs.train_tune.finetuned_minilm import FinetunedMinilmConfig
from sentiment_assets.models.transformer import TransformerClassifier

LABEL_IDS = {"negative": 0, "neutral": 1, "positive": 2}
LOADERS = {"vader_amazon": real_corpora.load_vader_amazon, "vader_movies": real_corpora.load_vader_movies}


def prepared(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"review_body": frame["text"].astype(str), "label_id": cast(pd.Series, frame["label"]).map(LABEL_IDS)}
    )


def paired_bootstrap(truth: np.ndarray, base: np.ndarray, other: np.ndarray, draws: int = 2000) -> list[float]:
    """95% interval of macro-F1(other) - macro-F1(base) over resampled holdout rows."""
    rng = np.random.default_rng(SEED)
    diffs = []
    for _ in range(draws):
        rows = rng.integers(0, len(truth), len(truth))
        diffs.append(
            f1_score(truth[rows], other[rows], average="macro") - f1_score(truth[rows], base[rows], average="macro")
        )
    return [round(float(q), 4) for q in np.quantile(diffs, [0.025, 0.975])]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=sorted(LOADERS), default="vader_amazon")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="each variant's training budget")
    parser.add_argument("--epochs", type=int, help="default: the pipeline's CPU default")
    parser.add_argument("--decay", type=float, default=0.8, help="layerwise_lr_decay of the decay variant")
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--evaluations-per-epoch", type=int, default=6, help="early stopping's evaluations")
    parser.add_argument("--variants", nargs="+", default=["plain", "layerwise_decay", "early_stopping"])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    corpus, _ = LOADERS[args.corpus]()
    train_part, holdout = holdout_split(corpus)
    fit_rows, valid_rows = holdout_split(train_part, share=0.1, seed=SEED + 1)  # never the holdout
    train, valid, test = prepared(fit_rows), prepared(valid_rows), prepared(holdout)
    truth = test["label_id"].to_numpy()

    base = FinetunedMinilmConfig().finetune_config("cpu")
    base = dataclasses.replace(
        base, max_seconds=args.max_seconds, epochs=args.epochs or base.epochs, eval_batch_size=64
    )
    steps_per_epoch = math.ceil(len(train) / base.batch_size)
    variants = {
        "plain": base,
        "layerwise_decay": dataclasses.replace(base, layerwise_lr_decay=args.decay),
        "early_stopping": dataclasses.replace(
            base,
            early_stopping_patience=args.patience,
            eval_every_steps=max(1, math.ceil(steps_per_epoch / args.evaluations_per_epoch)),
        ),
    }
    baseline = baseline_tfidf_logreg.baseline_model().fit(train["review_body"], train["label_id"])
    results = {
        "corpus": args.corpus,
        "rows": {"train": len(train), "validation": len(valid), "holdout": len(test)},
        "torch_threads": torch.get_num_threads(),
        "config": {k: v for k, v in dataclasses.asdict(base).items() if k != "model_name_or_path"},
        "baseline_tfidf_logreg_macro_f1": round(
            float(f1_score(truth, baseline.predict(test["review_body"]), average="macro")), 4
        ),
        "runs": {},
    }
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}), flush=True)
    predictions = {}
    for name in args.variants:
        config = variants[name]
        started = time.perf_counter()
        model = TransformerClassifier(config).fit(train, valid)
        fitted = time.perf_counter() - started
        predictions[name] = model.predict_proba(test).argmax(axis=1)
        record = model.debug_record or {}
        evaluations = record.get("evaluations", [])
        run = {
            "holdout_accuracy": round(float(accuracy_score(truth, predictions[name])), 4),
            "holdout_macro_f1": round(float(f1_score(truth, predictions[name], average="macro")), 4),
            "fit_wall_seconds": round(fitted, 1),
            "total_wall_seconds": round(time.perf_counter() - started, 1),
            "steps": model.steps,
            "stop_reason": record.get("stop_reason"),
            "evaluations": [(e["step"], round(e["val_macro_f1"], 4)) for e in evaluations],
            "early_stopping": record.get("early_stopping"),
            "settings": {
                "layerwise_lr_decay": config.layerwise_lr_decay,
                "early_stopping_patience": config.early_stopping_patience,
                "eval_every_steps": config.eval_every_steps,
            },
        }
        results["runs"][name] = run
        print(json.dumps({"variant": name, **run}), flush=True)
    if "plain" in predictions:
        results["macro_f1_minus_plain_95ci"] = {
            name: paired_bootstrap(truth, predictions["plain"], predicted)
            for name, predicted in predictions.items()
            if name != "plain"
        }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
