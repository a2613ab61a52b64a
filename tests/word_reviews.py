"""Tiny reviews whose sentiment is given away by their words: enough for a TF-IDF model to learn
in milliseconds (tuning, pyfunc and safe-loading tests)."""

import numpy as np
import pandas as pd

WORDS = {0: "awful broke returned cheap", 1: "okay fine average meh", 2: "love gorgeous perfect soft"}


def toy_reviews(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    bodies = [f"{' '.join(rng.choice(WORDS[label].split(), size=3))} the dress fits" for label in labels]
    return pd.DataFrame({"review_id": [f"r{seed}-{i}" for i in range(n)], "review_body": bodies, "label_id": labels})
