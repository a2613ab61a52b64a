"""Fine-tuning MiniLM on all of a real corpus's training reviews, with and without the
class-weighted loss, judged on a holdout split by review; the TF-IDF + LR baseline beside it.

This is the transformer half of "keep the data": with every review kept (no down-sampling), the
loss weighs each class by n / (classes * n_c). The script prints accuracy, macro-F1 and
per-class recall on the holdout for `class_weighting` balanced and none, the class weights, and
the training time. Sized for a GPU (bf16 autocast on CUDA); `--device cpu --epochs 1` runs here.

    python benchmarks/finetune_class_weighting.py --data-dir DIR [--model DIR] [--device cuda]
        DIR holds train.csv and holdout.csv with columns review_id, text, label (negative /
        neutral / positive); benchmarks/real_data_user_path.py's split of vader_amazon, e.g.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import baseline_tfidf_logreg
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, recall_score

from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.transformer import TransformerClassifier

LABEL_IDS = {"negative": 0, "neutral": 1, "positive": 2}


def scores(truth, predicted) -> dict:
    # average=None gives one recall per class; sklearn's signature, inferred from its defaults,
    # says a str and a float.
    per_class_recall = cast(Callable[..., np.ndarray], recall_score)
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
        "recall": [round(float(r), 3) for r in per_class_recall(truth, predicted, average=None, labels=[0, 1, 2])],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--model", default="bundled", help="a Hugging Face model directory (default: the bundled MiniLM)"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    frames = {name: pd.read_csv(args.data_dir / f"{name}.csv") for name in ("train", "holdout")}
    for frame in frames.values():
        frame["review_body"], frame["label_id"] = (
            frame["text"].astype(str),
            cast(pd.Series, frame["label"]).map(LABEL_IDS),
        )
    train, holdout = frames["train"], frames["holdout"]
    baseline = baseline_tfidf_logreg.baseline_model().fit(train["review_body"], train["label_id"])
    results = {
        "train_reviews": len(train),
        "holdout_reviews": len(holdout),
        "train_class_counts": train["label"].value_counts().to_dict(),
        "baseline_tfidf_logreg": scores(holdout["label_id"], baseline.predict(holdout["review_body"])),
        "runs": [],
    }
    for weighting in ("balanced", "none"):
        for seed in args.seeds:
            config = FineTuneConfig(
                model_name_or_path=args.model,
                device=args.device,
                epochs=args.epochs,
                seed=seed,
                max_seq_length=args.max_seq_length,
                batch_size=args.batch_size,
                learning_rate=args.learning_rate,
                class_weighting=weighting,
                eval_batch_size=256,
            )
            started = time.perf_counter()
            model = TransformerClassifier(config).fit(cast(pd.DataFrame, train[["review_body", "label_id"]]))
            seconds = time.perf_counter() - started
            predicted = model.predict_proba(cast(pd.DataFrame, holdout[["review_body"]])).argmax(axis=1)
            if model.model is None:
                raise RuntimeError("fit() left no model")
            run = {
                "class_weighting": weighting,
                "seed": seed,
                "train_seconds": round(seconds, 1),
                "device": str(next(model.model.parameters()).device),
                "train_samples_per_s": round(float(model.train_samples_per_second or 0.0), 1),
                "class_weights": {str(k): round(v, 3) for k, v in (model.class_weights or {}).items()},
                **scores(holdout["label_id"], predicted),
            }
            results["runs"].append(run)
            print(json.dumps(run), flush=True)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
