"""What "normal" input looked like when the model was trained: the reference drift is measured
against, small enough to store next to the model as a JSON artifact.

Built from the training reviews: how long reviews are (word-count quantile bins and a sample of
lengths), which product categories they come from, which words the model has seen, how often a
review uses words outside that vocabulary, and how the sentiments were distributed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from sentiment_assets.labels import SENTIMENTS
from sentiment_assets.monitoring.statistics import bin_shares, category_shares

FORMAT = "sentiment-drift-baseline/1"
# Lower-cased letters and digits, keeping one inner apostrophe ("don't", "it's"): simple on
# purpose; it measures vocabulary change, it is not the model's tokenizer.
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: object) -> list[str]:
    """The word tokens of one review; a missing text has none."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return WORD.findall(str(text).lower())


def out_of_vocabulary(token_lists: Iterable[list[str]], vocabulary: set[str]) -> tuple[int, Counter]:
    """Total tokens and the count of each token outside `vocabulary`."""
    tokens, unseen = 0, Counter()
    for tokens_of_review in token_lists:
        tokens += len(tokens_of_review)
        unseen.update(word for word in tokens_of_review if word not in vocabulary)
    return tokens, unseen


def sentiments_of(reviews: pd.DataFrame) -> np.ndarray:
    """The sentiment column (-1/0/1), or label_id - 1 when only label ids are present."""
    if "sentiment" in reviews:
        values = reviews["sentiment"].to_numpy()
    elif "label_id" in reviews:
        values = reviews["label_id"].to_numpy() - 1
    else:
        raise ValueError("training reviews need a sentiment or a label_id column")
    values = np.asarray(values, dtype="int64")
    unknown = sorted(set(values.tolist()) - set(SENTIMENTS))
    if unknown:
        raise ValueError(f"sentiments must be -1, 0 or 1, found {unknown}")
    return values


@dataclass
class DriftBaseline:
    """The training-time reference. Shares are fractions summing to 1; `length_edges` are the
    inner cut points of the word-count bins (len(length_shares) == len(length_edges) + 1)."""

    reviews: int
    length_edges: list[float]
    length_shares: list[float]
    length_sample: list[int]
    category_shares: dict[str, float]
    vocabulary: list[str]
    vocabulary_min_count: int
    oov_rate: float
    class_shares: dict[int, float]
    _vocabulary_set: set[str] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_training(
        cls,
        reviews: pd.DataFrame,
        *,
        bins: int = 10,
        min_count: int = 2,
        max_vocabulary: int = 50_000,
        sample_size: int = 5_000,
        seed: int = 0,
    ) -> DriftBaseline:
        """The baseline of `reviews` (review_body, product_category, sentiment or label_id)."""
        missing = {"review_body", "product_category"} - set(reviews.columns)
        if missing:
            raise ValueError(f"training reviews lack column(s) {sorted(missing)}")
        if len(reviews) == 0:
            raise ValueError("no training reviews to build a drift baseline from")
        sentiments = sentiments_of(reviews)
        per_review = [Counter(words(text)) for text in reviews["review_body"]]
        totals: Counter = Counter()
        for counts in per_review:
            totals.update(counts)
        if not totals:
            raise ValueError("the training reviews contain no words")

        vocabulary = [word for word, n in totals.most_common(max_vocabulary) if n >= min_count]
        known = set(vocabulary)
        # Leave-one-review-out: a word counts as out of vocabulary when the vocabulary built
        # without its own review would lack it. Measured in-sample the rate would be ~0 by
        # construction and every fresh batch would look drifted; this is what new reviews
        # from the same distribution should show.
        oov = sum(
            k
            for counts in per_review
            for word, k in counts.items()
            if word not in known or totals[word] - k < min_count
        )

        lengths = np.array([sum(counts.values()) for counts in per_review])
        # Word counts are integers, so neighbouring quantiles can coincide: keep distinct edges.
        edges = np.unique(np.quantile(lengths, np.linspace(0, 1, bins + 1)[1:-1])).tolist()
        rng = np.random.default_rng(seed)
        sample = lengths if len(lengths) <= sample_size else rng.choice(lengths, sample_size, replace=False)
        return cls(
            reviews=len(reviews),
            length_edges=[float(e) for e in edges],
            length_shares=bin_shares(lengths, edges).tolist(),
            length_sample=sorted(int(n) for n in sample),
            category_shares=category_shares(reviews["product_category"].tolist()),
            vocabulary=vocabulary,
            vocabulary_min_count=min_count,
            oov_rate=oov / sum(totals.values()),
            class_shares={s: float(np.mean(sentiments == s)) for s in SENTIMENTS},
        )

    @property
    def vocabulary_set(self) -> set[str]:
        if self._vocabulary_set is None:
            self._vocabulary_set = set(self.vocabulary)
        return self._vocabulary_set

    def to_json(self) -> str:
        content = asdict(self)
        del content["_vocabulary_set"]
        # JSON keys are strings; from_json turns the sentiments back into ints.
        content["class_shares"] = {str(k): v for k, v in self.class_shares.items()}
        return json.dumps({"format": FORMAT, **content})

    @classmethod
    def from_json(cls, text: str) -> DriftBaseline:
        content = json.loads(text)
        if content.pop("format", None) != FORMAT:
            raise ValueError(f"not a drift baseline of format {FORMAT}")
        content["class_shares"] = {int(k): v for k, v in content["class_shares"].items()}
        return cls(**content)
