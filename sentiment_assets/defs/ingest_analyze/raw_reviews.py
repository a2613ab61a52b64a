"""raw_reviews: every review file at the configured location, normalised, with nothing lost."""

from datetime import datetime, timezone
from typing import Literal

import dagster as dg
from dagster_aws.s3 import S3Resource

from resources import DuckDBWarehouse, LocalArtifactStore
from sentiment_assets.defs.metadata import table_metadata
from sentiment_assets.sources import ColumnMapping, FileSummary, SourceSpec, read_reviews
from sentiment_assets.sources.bundled import SYNTHETIC_NOTICE, bundled_reviews_path
from sentiment_assets.sources.schema import empty_accepted, empty_rejected
from sentiment_assets.validation.raw_reviews_suite import RAW_REVIEWS_EXPECTATIONS, validate_reviews

GROUP = "ingest_analyze"
ROWS_RECONCILE_CHECK = "accepted_plus_rejected_equals_rows_read"
FILES_READABLE_CHECK = "every_source_file_read"
VALIDATED_COLUMNS = ["review_id", "star_rating", "review_body", "product_category", "date"]


class GenericMapping(dg.Config):
    """For `preset: generic`: which source column holds what (see README, "Your own data")."""

    review_body: str
    product_category: str
    star_rating: str | None = None  # stars 1..5; or give `label`
    label: str | None = None  # negative/neutral/positive or -1/0/1
    review_id: str | None = None  # default: a hash of the row's mapped values
    title: str | None = None
    date: str | None = None  # default: the ingestion time (said in the metadata)
    extra: list[str] = []  # kept verbatim in the JSON column `extra`
    more_columns: dict[str, str] = {}  # e.g. {"department_name": "Dept"}


class RawReviewsConfig(dg.Config):
    """Where the reviews come from: a file, a glob, a directory or an s3:// prefix, in CSV, TSV
    (optionally .gz), Parquet or JSON Lines. Leave `location` empty for the bundled synthetic data."""

    location: str | None = None
    preset: Literal["auto", "womens_clothing", "amazon_customer_reviews", "generic"] = "auto"
    mapping: GenericMapping | None = None
    encoding: str = "utf-8"  # e.g. latin-1 for an old export
    delimiter: str | None = None  # None: from the file's suffix
    chunk_rows: int = 100_000  # rows held in memory at a time
    synthetic_rows: int = 23_486
    synthetic_seed: int = 42

    def source_spec(self) -> SourceSpec:
        mapping = ColumnMapping(**self.mapping.model_dump()) if self.mapping else None
        return SourceSpec(preset=self.preset, mapping=mapping, encoding=self.encoding, delimiter=self.delimiter)


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    check_specs=[
        dg.AssetCheckSpec(ROWS_RECONCILE_CHECK, asset="raw_reviews", blocking=True,
                          description="Per file: accepted + rejected rows equal the rows read."),
        dg.AssetCheckSpec(FILES_READABLE_CHECK, asset="raw_reviews",
                          description="Every file at the location could be read (failed files are named)."),
        *[dg.AssetCheckSpec(e.check_name, asset="raw_reviews", blocking=True, description=f"Great Expectations: {e.description}")
          for e in RAW_REVIEWS_EXPECTATIONS],
    ],
)
def raw_reviews(
    context: dg.AssetExecutionContext,
    config: RawReviewsConfig,
    warehouse: DuckDBWarehouse,
    artifacts: LocalArtifactStore,
    s3: S3Resource,
) -> dg.MaterializeResult:
    """Product reviews as read from the source, in one normalised schema (review_id, date, title,
    review_body, star_rating, product_category, sentiment, ...). Rows that cannot be used go to
    `rejected_reviews` with file, row and reason, so accepted + rejected = rows read."""
    synthetic = config.location is None
    location = str(bundled_reviews_path(artifacts.path("landing", "bundled"), config.synthetic_rows, config.synthetic_seed)) \
        if synthetic else config.location
    summaries: list[FileSummary] = []
    with warehouse.staged_tables() as stage:
        # Empty frames first: they fix every column's type even if no row is ever accepted.
        stage.append("raw_reviews", empty_accepted())
        stage.append("rejected_reviews", empty_rejected())
        s3_client = s3.get_client() if location.startswith("s3://") else None
        batches = read_reviews(location, config.source_spec(), ingested_at=datetime.now(timezone.utc),
                               chunk_rows=config.chunk_rows, s3_client=s3_client)
        for batch in batches:
            stage.append("raw_reviews", batch.accepted)
            stage.append("rejected_reviews", batch.rejected)
            if batch.summary is None:
                continue
            summaries.append(batch.summary)
            if not batch.summary.ok:  # a file that broke part-way contributes no rows at all
                stage.delete("raw_reviews", "source_file", batch.source_file)
                stage.delete("rejected_reviews", "source_file", batch.source_file)
                context.log.error(batch.summary.error)
            else:
                context.log.info("%s: %d rows read, %d accepted, %d rejected (%s)", batch.source_file,
                                 batch.summary.rows_read, batch.summary.accepted, batch.summary.rejected, batch.summary.preset)
        if not any(s.ok for s in summaries):
            raise dg.Failure("no file at the location could be read: " + " | ".join(s.error or "" for s in summaries))
        accepted, rejected = stage.written["raw_reviews"], stage.written["rejected_reviews"]

    rows_read = sum(s.rows_read for s in summaries if s.ok)
    outcomes = validate_reviews(warehouse.read_table("raw_reviews", VALIDATED_COLUMNS))
    failed_files = [s.source_file for s in summaries if not s.ok]
    return dg.MaterializeResult(
        metadata={
            **table_metadata(warehouse.query("SELECT * FROM raw_reviews LIMIT 0"), "raw_reviews"),
            "dagster/row_count": accepted,
            "location": location,
            "rows_read": rows_read,
            "rows_rejected": rejected,
            "files": dg.MetadataValue.json([s.as_metadata() for s in summaries]),
            "data_notice": SYNTHETIC_NOTICE if synthetic else "user-supplied source",
            "date_defaulted_rows": sum(s.date_defaulted_rows for s in summaries),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=ROWS_RECONCILE_CHECK,
                passed=all(s.accepted + s.rejected == s.rows_read for s in summaries) and accepted + rejected == rows_read,
                metadata={"accepted": accepted, "rejected": rejected, "rows_read": rows_read},
            ),
            dg.AssetCheckResult(check_name=FILES_READABLE_CHECK, passed=not failed_files,
                                metadata={"failed_files": dg.MetadataValue.json({s.source_file: s.error for s in summaries if not s.ok})}),
            *[dg.AssetCheckResult(check_name=o.check_name, passed=o.success,
                                  metadata={"unexpected_count": o.unexpected_count, "observed": str(o.observed)[:500]})
              for o in outcomes],
        ],
    )
