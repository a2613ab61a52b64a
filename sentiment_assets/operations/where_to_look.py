"""`sentiment-assets where-to-look`, printed after `make demo`: where the results are and how to
look at them (the row count of each table in the warehouse, the leaderboard, the scoring version)."""

from __future__ import annotations

import argparse

import duckdb

from resources.environment import sentiment_home
from sentiment_assets.sql import quote_identifier

TABLES = (
    "raw_reviews",
    "rejected_reviews",
    "source_files",
    "cleaned_reviews",
    "excluded_reviews",
    "reviews_by_category",
    "bias_report",
    "balanced_reviews",
    "review_features",
    "fg_reviews_v2",
    "model_leaderboard",
    "batch_predictions",
)


def main(argv: list[str] | None = None, prog: str = "sentiment-assets where-to-look") -> int:
    argparse.ArgumentParser(
        prog=prog,
        description="Where the demo's results are: the UIs, the warehouse's tables and row counts, "
        "the model leaderboard and the version that scored batch_predictions.",
        epilog="Reads $SENTIMENT_HOME (default .sentiment/); changes nothing.",
    ).parse_args(argv)
    home = sentiment_home()
    warehouse = home / "warehouse.duckdb"
    print("\n== sentiment-assets: where to look ==")
    print(f"Dagster UI : make ui          (http://127.0.0.1:3000, DAGSTER_HOME={home / 'dagster_home'})")
    print(f"MLflow UI  : make mlflow-ui   (http://127.0.0.1:5000, store {home / 'mlflow' / 'mlflow.db'})")
    print(f"Warehouse  : {warehouse}")
    if not warehouse.exists():
        print("  (no warehouse yet: run `make demo`)")
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        present = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for table in TABLES:
            if table in present:
                [(count,)] = connection.execute(f"SELECT count(*) FROM {quote_identifier(table)}").fetchall()
                print(f"  {table:<22} {count:>8,} rows")
        if "model_leaderboard" in present:
            print("\nLeaderboard (validation):")
            print(
                connection.execute(
                    "SELECT rank, family, round(val_accuracy, 3) AS accuracy, round(val_macro_f1, 3) AS macro_f1, "
                    "round(train_seconds, 1) AS train_s FROM model_leaderboard ORDER BY rank"
                )
                .df()
                .to_string(index=False)
            )
        if "batch_predictions" in present:
            [(version,)] = connection.execute("SELECT max(model_version) FROM batch_predictions").fetchall()
            print(f"\nbatch_predictions scored by review-sentiment version {version} (alias 'champion')")
    evaluation = home / "artifacts" / "evaluation" / "evaluation.json"
    if evaluation.exists():
        print(f"Evaluation : {evaluation}")
    print(f"Try        : duckdb {warehouse} -c 'SELECT * FROM batch_predictions LIMIT 5'")
    print("Data note  : the bundled reviews are SYNTHETIC (Kaggle clothing-reviews layout), not real customers'.")
    return 0
