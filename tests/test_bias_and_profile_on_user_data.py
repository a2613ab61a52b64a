"""bias_report, review_profile and post_training_bias_report on users' own review files: no
category column (every product_category "unknown"), one category, unlabelled rows, a facet
that is the landed file, and metadata that only claims what the data shows."""

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.bias.population import bias_population, largest_abs
from sentiment_assets.defs.ingest_analyze.bias_report import BALANCING_CHECK, WITHIN_LIMITS_CHECK, bias_report
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION
from sentiment_assets.defs.ingest_analyze.review_profile import NO_CATEGORY, review_profile

CLEANED_COLUMNS = [
    "review_id",
    "date",
    "review_body",
    "star_rating",
    "product_category",
    "department_name",
    "sentiment",
    "label_id",
    "source_partition",
    "source_role",
]


def cleaned_reviews(
    partitions: dict[str, tuple[int, float]], *, category="unknown", stars=False, seed=0
) -> pd.DataFrame:
    """`rows` reviews per partition, a `positive_share` of them positive and the rest split
    between neutral and negative, laid out as dbt's cleaned_reviews."""
    rng = np.random.default_rng(seed)
    frames = []
    for partition, (rows, positive_share) in partitions.items():
        positives = int(round(rows * positive_share))
        sentiment = np.array([1] * positives + [0, -1] * ((rows - positives) // 2) + [-1] * ((rows - positives) % 2))
        rng.shuffle(sentiment)
        frames.append(
            pd.DataFrame(
                {
                    "review_id": [f"{partition}-{i}" for i in range(rows)],
                    "date": pd.Timestamp("2024-05-01"),
                    "review_body": [" ".join(["word"] * int(n)) for n in rng.integers(3, 40, size=rows)],
                    "star_rating": pd.array(
                        np.select([sentiment == 1, sentiment == 0], [5, 3], 1) if stars else [None] * rows,
                        dtype="Int64",
                    ),
                    "product_category": pd.array([category] * rows, dtype="string"),
                    "department_name": pd.array([None] * rows, dtype="string"),
                    "sentiment": pd.array(sentiment, dtype="Int64"),
                    "label_id": pd.array(sentiment + 1, dtype="Int64"),
                    "source_partition": pd.array([partition] * rows, dtype="string"),
                    "source_role": pd.array(["train"] * rows, dtype="string"),
                }
            )
        )
    cleaned = pd.concat(frames, ignore_index=True)[CLEANED_COLUMNS]
    assert isinstance(cleaned, pd.DataFrame)
    return cleaned


@pytest.fixture
def home(tmp_path):
    return tmp_path


@pytest.fixture
def resources(home):
    every = resources_for(Profile.LOCAL, home=home)
    return {"warehouse": every["warehouse"], "artifacts": every["artifacts"]}


def fill(resources, cleaned: pd.DataFrame, balanced_ids: list[str] | None = None) -> None:
    warehouse = resources["warehouse"]
    warehouse.write_table("cleaned_reviews", cleaned)
    ids = cleaned["review_id"] if balanced_ids is None else balanced_ids
    warehouse.write_table("balanced_reviews", pd.DataFrame({"review_id": pd.array(list(ids), dtype="string")}))


def materialize(asset, resources, **config) -> dg.ExecuteInProcessResult:
    run_config = (
        {"ops": {asset.op.name: {"config": {"bootstrap_resamples": 20, **config}}}}
        if config or asset is bias_report
        else None
    )
    result = dg.materialize([asset], resources=resources, run_config=run_config)
    assert result.success
    return result


def metadata_of(result) -> dict:
    [event] = result.get_asset_materialization_events()
    return {key: getattr(value, "value", value) for key, value in event.materialization.metadata.items()}


def checks_of(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def check_value(check: dg.AssetCheckEvaluation, key: str) -> object:
    return check.metadata[key].value


def check_note(check: dg.AssetCheckEvaluation) -> str:
    note = check_value(check, "note")
    assert isinstance(note, str), note
    return note


def query(home, sql):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# --- bias_report ------------------------------------------------------------------------------


def test_a_source_without_categories_materializes_the_bias_report_as_not_measurable(home, resources):
    fill(resources, cleaned_reviews({"reviews.csv": (60, 0.6)}))
    result = materialize(bias_report, resources)
    metadata = metadata_of(result)
    assert metadata["facet_values"] == 1 and metadata["bias_measurable"] is False
    assert "fewer than two values there is no a" in metadata["note"] and "(unknown)" in metadata["note"]
    assert metadata["largest_abs_dpl"] == {"facet_value": None, "DPL": None}
    # The table is still written: one row (d = unknown, a empty) per stage, every DPL undefined.
    rows = query(home, "SELECT stage, value_or_threshold, n_d, n_a, DPL FROM bias_report ORDER BY stage")
    assert [r[0] for r in rows] == ["balanced_by_facet_and_sentiment", "balanced_by_sentiment", "before_balancing"]
    assert all(r[1] == "unknown" and r[3] == 0 and r[4] is None for r in rows)
    report = (home / "artifacts" / "bias" / "bias_report.md").read_text()
    assert "Not enough facet values" in report and "there is no a" in report
    checks = checks_of(result)
    assert checks[WITHIN_LIMITS_CHECK].passed and "there is no a" in check_note(checks[WITHIN_LIMITS_CHECK])
    assert checks[BALANCING_CHECK].passed and check_note(checks[BALANCING_CHECK]).startswith("Nothing to balance")


def test_an_empty_cleaned_reviews_table_gives_an_empty_bias_report_with_the_usual_columns(home, resources):
    fill(resources, cleaned_reviews({"reviews.csv": (10, 0.5)}).head(0))
    metadata = metadata_of(materialize(bias_report, resources))
    assert metadata["facet_values"] == 0 and metadata["bias_measurable"] is False and metadata["dagster/row_count"] == 0
    columns = {name: kind for name, kind, *_ in query(home, "DESCRIBE bias_report")}
    assert {"value_or_threshold", "n_d", "n_a", "CI", "DPL", "KL", "stage", "facet"} <= set(columns)
    assert columns["value_or_threshold"] == columns["stage"] == "VARCHAR"
    assert query(home, "SELECT count(*) FROM bias_report") == [(0,)]


def test_a_facet_column_that_is_entirely_null_leaves_every_row_out_and_is_not_measurable(home, resources):
    fill(resources, cleaned_reviews({"reviews.csv": (30, 0.5)}))
    result = materialize(bias_report, resources, facet="department_name", group=None)
    metadata = metadata_of(result)
    assert metadata["rows_without_facet"] == 30 and metadata["facet_values"] == 0
    assert metadata["bias_measurable"] is False and "no value" in metadata["note"]
    assert query(home, "SELECT count(*) FROM bias_report") == [(0,)]
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_the_landed_file_as_facet_gives_metrics_for_both_partitions(home, resources):
    fill(resources, cleaned_reviews({"happy.csv": (80, 0.8), "grumpy.csv": (60, 0.3)}, category="Dresses"))
    result = materialize(bias_report, resources, facet="source_partition")
    metadata = metadata_of(result)
    assert metadata["facet_values"] == 2 and metadata["bias_measurable"] is True
    before = dict(query(home, "SELECT value_or_threshold, DPL FROM bias_report WHERE stage = 'before_balancing'"))
    # DPL = q_a - q_d: the grumpy file is positive less often than the rest.
    assert before["grumpy.csv"] == pytest.approx(0.8 - 0.3) and before["happy.csv"] == pytest.approx(0.3 - 0.8)
    assert metadata["largest_abs_dpl"]["DPL"] == pytest.approx(0.5)
    checks = checks_of(result)
    assert not checks[WITHIN_LIMITS_CHECK].passed  # |DPL| 0.5 > 0.1
    max_abs_dpl_after = check_value(checks[BALANCING_CHECK], "max_abs_dpl_after")
    assert isinstance(max_abs_dpl_after, (int, float)), max_abs_dpl_after
    assert checks[BALANCING_CHECK].passed and max_abs_dpl_after < 1e-9


def test_source_role_is_a_facet_too_and_one_role_is_not_measurable(home, resources):
    fill(resources, cleaned_reviews({"a.csv": (40, 0.5), "b.csv": (40, 0.7)}))
    metadata = metadata_of(materialize(bias_report, resources, facet="source_role"))
    assert metadata["facet"] == "source_role" and metadata["facet_values"] == 1 and metadata["bias_measurable"] is False
    assert query(home, "SELECT DISTINCT value_or_threshold FROM bias_report") == [("train",)]


def test_rows_without_a_facet_value_or_a_label_are_counted_and_left_out_of_the_metrics(home, resources):
    cleaned = cleaned_reviews({"a.csv": (40, 0.8), "b.csv": (40, 0.4)}, category="Tops")
    cleaned["product_category"] = np.where(cleaned["source_partition"] == "a.csv", "Tops", "Knits")
    cleaned.loc[:4, "product_category"] = None  # 5 rows without a category
    cleaned.loc[40:42, "sentiment"] = None  # 3 rows without a label
    fill(resources, cleaned)
    metadata = metadata_of(materialize(bias_report, resources))
    assert metadata["rows_without_facet"] == 5 and metadata["rows_without_label"] == 3
    assert "72 of 80 rows used" in metadata["rows_left_out"]
    assert query(
        home,
        "SELECT sum(n_d), list(value_or_threshold ORDER BY value_or_threshold) FROM bias_report "
        "WHERE stage = 'before_balancing'",
    ) == [(72, ["Knits", "Tops"])]
    assert "72 of 80 rows used" in (home / "artifacts" / "bias" / "bias_report.md").read_text()


def test_a_facet_that_is_not_a_column_fails_naming_it_and_the_columns_there_are(resources):
    fill(resources, cleaned_reviews({"a.csv": (10, 0.5)}))
    with pytest.raises(dg.Failure) as failure:
        dg.materialize(
            [bias_report], resources=resources, run_config={"ops": {"bias_report": {"config": {"facet": "colour"}}}}
        )
    description = failure.value.description
    assert description is not None
    assert "'colour'" in description and "source_partition" in description


def test_the_population_names_no_worst_value_when_every_dpl_is_undefined():
    assert largest_abs(pd.DataFrame({"value_or_threshold": ["x"], "DPL": [np.nan]}), "DPL") == {
        "facet_value": None,
        "DPL": None,
    }
    assert largest_abs(pd.DataFrame({"value_or_threshold": ["x", "y"], "DPL": [0.2, -0.3]}), "DPL") == {
        "facet_value": "y",
        "DPL": -0.3,
    }


def test_a_threshold_with_every_row_on_one_side_is_not_measurable():
    frame = pd.DataFrame({"age": [50, 60, 70, None], "sentiment": [1, 0, 1, 1]})
    above = bias_population(frame, "age", "sentiment", threshold=40)
    assert above.facet_values == 3 and above.rows_without_facet == 1 and not above.measurable
    assert "same side of the threshold 40" in above.note()
    assert bias_population(frame, "age", "sentiment", threshold=55).measurable


# --- review_profile --------------------------------------------------------------------------


def test_a_labelled_only_source_gets_no_star_rating_plot(home, resources):
    fill(resources, cleaned_reviews({"labels.csv": (30, 0.5)}, category="Dresses"))
    metadata = metadata_of(materialize(review_profile, resources))
    assert "plot_star_ratings" not in metadata and "ratings" not in metadata["plot_files"]
    assert "no star ratings" in metadata["plots_skipped"]["ratings"]
    assert not (home / "artifacts" / "profile" / "star_ratings.png").exists()
    assert "plot_sentiment_by_category" in metadata  # a real category is still plotted


def test_a_source_without_categories_gets_no_category_plot_and_says_so(home, resources):
    fill(resources, cleaned_reviews({"labels.csv": (30, 0.5)}, stars=True))
    metadata = metadata_of(materialize(review_profile, resources))
    assert "plot_sentiment_by_category" not in metadata and "categories" not in metadata["plot_files"]
    assert (
        metadata["plots_skipped"] == {"categories": NO_CATEGORY} and NO_CATEGORY == "no product category in the source"
    )
    assert "plot_star_ratings" in metadata and "ratings" in metadata["plot_files"]
    # The keys the docs and other tests read stay as they were.
    assert metadata["reviews"] == 30 and metadata["categories"] == 1
    assert metadata["sentiment_counts"] == {"-1": 8, "0": 7, "1": 15}
    assert {"words_mean", "words_max", "words_limit", "words_limit_reason", "plot_words_per_review"} <= set(metadata)


def test_user_data_carries_no_synthetic_notice_and_names_its_partitions(resources):
    fill(resources, cleaned_reviews({"b.csv": (10, 0.5), "a.csv": (10, 0.5)}, stars=True))
    notice = metadata_of(materialize(review_profile, resources))["data_notice"]
    assert "SYNTHETIC" not in notice and notice == "User-supplied data: partitions a.csv, b.csv."


def test_the_bundled_partition_carries_the_synthetic_notice(resources):
    fill(
        resources,
        cleaned_reviews({BUNDLED_PARTITION: (20, 0.5), "mine.csv": (10, 0.5)}, category="Dresses", stars=True),
    )
    notice = metadata_of(materialize(review_profile, resources))["data_notice"]
    assert notice.startswith(f"Includes the bundled SYNTHETIC data (partition {BUNDLED_PARTITION})")
    assert "user-supplied data: partitions mine.csv" in notice
