"""How far a CPU fine-tune's test probabilities move when it is trained again with another torch
thread count (same seed, data, batch order and steps): the evidence behind
`lineage reproduce`'s TRANSFORMER_TOLERANCE (sentiment_assets/lineage/reproduce.py).

    python benchmarks/transformer_reproduce_tolerance.py [--epochs 1] [--reviews 800]

Trains the bundled MiniLM twice on the synthetic reviews (max_seq_length 32, batch 16), with 2
threads and with 1, and prints the steps, the largest probability difference on the held-back
reviews and the share of them given the same label.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch

from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.transformer import TransformerClassifier
from sentiment_assets.synthetic.generator import generate_clothing_reviews


def reviews(n: int) -> pd.DataFrame:
    raw = generate_clothing_reviews(n, seed=7)
    stars = raw["Rating"].astype(int)
    return pd.DataFrame(
        {
            "review_body": raw["Review Text"].fillna("").astype(str),
            "label_id": np.select([stars <= 2, stars == 3], [0, 1], default=2),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--reviews", type=int, default=800)
    args = parser.parse_args()
    frame = reviews(args.reviews)
    cut = int(len(frame) * 0.64)
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    probabilities, steps = {}, 0
    for threads in (2, 1):
        torch.set_num_threads(threads)
        started = time.perf_counter()
        config = FineTuneConfig(max_seq_length=32, batch_size=16, epochs=args.epochs, learning_rate=2e-4, seed=42)
        model = TransformerClassifier(config).fit(train)
        probabilities[threads] = model.predict_proba(test)
        steps = model.steps
        print(f"threads={threads}: {steps} steps in {time.perf_counter() - started:.0f} s", flush=True)
    two, one = probabilities[2], probabilities[1]
    print(
        f"epochs={args.epochs} steps={steps} test reviews={len(test)}: identical={np.array_equal(two, one)} "
        f"max_abs_difference={np.abs(two - one).max():.3g} labels_agree={np.mean(two.argmax(1) == one.argmax(1)):.4f}"
    )


if __name__ == "__main__":
    main()
