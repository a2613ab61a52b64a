"""Fine-tuning samples/s and batch-inference reviews/s of the transformer family on this machine.

Runs the project's own TransformerClassifier (the same code the assets run) on synthetic reviews
and prints the figures. On a GPU machine without the bundled weights, `--random-init` builds the
same architecture from the model's config with fresh weights: speed does not depend on weights.

    python benchmarks/transformer_throughput.py --device cpu --train-samples 320 --seq 64 --batch 16
    python benchmarks/transformer_throughput.py --device cuda --model DIR --random-init --batch 256
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402  (after the offline flags)
import pandas as pd  # noqa: E402  (after the offline flags)
import torch  # noqa: E402  (after the offline flags)

from sentiment_assets.labels import label_id_from_sentiment, sentiment_from_stars  # noqa: E402  (after the offline flags)
from sentiment_assets.models.finetune_config import FineTuneConfig  # noqa: E402  (after the offline flags)
from sentiment_assets.models.pretrained import resolve_model_path  # noqa: E402  (after the offline flags)
from sentiment_assets.models.transformer import TransformerClassifier  # noqa: E402  (after the offline flags)
from sentiment_assets.synthetic.generator import generate_clothing_reviews  # noqa: E402  (after the offline flags)


def synthetic_reviews(n: int, seed: int) -> pd.DataFrame:
    raw = generate_clothing_reviews(n_rows=max(int(n * 1.1), 300), seed=seed).dropna(subset=["Review Text"])
    raw = raw.head(n)
    return pd.DataFrame(
        {
            "review_body": raw["Review Text"].to_numpy(),
            "label_id": label_id_from_sentiment(sentiment_from_stars(raw["Rating"].astype(int).to_numpy())),
        }
    )


def random_init_copy(model_path: str, target: str) -> str:
    """The model's architecture and tokenizer with freshly initialised weights, saved to `target`."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    config = AutoConfig.from_pretrained(model_path, num_labels=3)
    AutoModelForSequenceClassification.from_config(config).save_pretrained(target)
    AutoTokenizer.from_pretrained(model_path).save_pretrained(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--random-init", action="store_true")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--train-samples", type=int, default=320)
    parser.add_argument("--infer-samples", type=int, default=384)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--eval-batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--no-bf16", action="store_true")
    args = parser.parse_args()

    model_path = resolve_model_path(args.model)
    scratch = tempfile.mkdtemp()
    if args.random_init:
        model_path = random_init_copy(model_path, scratch)
    train = synthetic_reviews(args.train_samples, seed=1)
    infer = synthetic_reviews(args.infer_samples, seed=2)

    config = FineTuneConfig(
        model_name_or_path=model_path,
        max_seq_length=args.seq,
        epochs=args.epochs,
        batch_size=args.batch,
        eval_batch_size=args.eval_batch,
        learning_rate=2e-5,
        device=args.device,
        bf16=not args.no_bf16,
        log_every_steps=10_000,
    )
    classifier = TransformerClassifier(config).fit(train)
    started = time.perf_counter()
    probabilities = classifier.predict_proba(infer)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    infer_seconds = time.perf_counter() - started
    network, train_seconds, train_rate = classifier.model, classifier.train_seconds, classifier.train_samples_per_second
    if network is None or train_seconds is None or train_rate is None:
        raise RuntimeError("fit() left no model or no training timings")
    assert probabilities.shape == (len(infer), 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)
    print(
        json.dumps(
            {
                "device": str(next(network.parameters()).device),
                "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                "torch": torch.__version__,
                "seq": args.seq,
                "batch": args.batch,
                "bf16": not args.no_bf16,
                "random_init": args.random_init,
                "train_samples": len(train),
                "train_seconds": round(train_seconds, 2),
                "train_samples_per_s": round(train_rate, 1),
                "infer_reviews": len(infer),
                "infer_reviews_per_s": round(len(infer) / infer_seconds, 1),
                "peak_gpu_mem_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2)
                if torch.cuda.is_available()
                else None,
            }
        )
    )


if __name__ == "__main__":
    main()
