"""raw_reviews: every review file at the configured location, normalised, with nothing lost."""

import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal

import dagster as dg
import pandas as pd
from dagster_aws.s3 import S3Resource

from resources import ArtifactStore, Warehouse
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, review_files
from sentiment_assets.defs.metadata import table_metadata
from sentiment_assets.landing_zone import landed_file_for_key
from sentiment_assets.project_config import load_project_config
from sentiment_assets.roles import DEFAULT_ROLE, ROLES, unlabelled_file_error
from sentiment_assets.sources import ColumnMapping, FileSummary, IngestedIds, SourceSpec, read_reviews
from sentiment_assets.sources.bundled import SYNTHETIC_NOTICE, bundled_reviews_path
from sentiment_assets.sources.schema import empty_accepted, empty_rejected
from sentiment_assets.validation.raw_reviews_suite import RAW_REVIEWS_EXPECTATIONS, validate_reviews

GROUP = "ingest_analyze"
ROWS_RECONCILE_CHECK = "accepted_plus_rejected_equals_rows_read"
FILES_READABLE_CHECK = "every_source_file_read"
VALIDATED_COLUMNS = ["review_id", "star_rating", "review_body", "product_category", "date"]
_HELD_ELSEWHERE = re.compile(r"already ingested from partition (['\"])(.*?)\1")


def _tagged(frame: pd.DataFrame, key: str, role: str) -> pd.DataFrame:
    # Typed columns, so that an empty frame still says "string" (not Arrow's null type).
    return frame.assign(
        source_partition=pd.Series(key, index=frame.index, dtype="string"),
        source_role=pd.Series(role, index=frame.index, dtype="string"),
    )


def _refused_for_role(summary: FileSummary, role: str) -> FileSummary:
    """The file's summary, failed with the reason when its role needs labels it does not have."""
    error = None if summary.labelled or not summary.ok else unlabelled_file_error(summary.source_file, role)
    return replace(summary, error=error) if error else summary


def _has_partition_column(warehouse: Warehouse) -> bool:
    return not warehouse.query(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'raw_reviews' AND column_name = 'source_partition'"
    ).empty


def _ids_in_other_partitions(warehouse: Warehouse, key: str) -> IngestedIds:
    """The review ids other partitions hold, each with where it came from ("partition 'a.csv'
    (/landing/a.csv)"): a repeat in this partition is quarantined as a duplicate naming them.
    Named by partition, not by file, because IngestedIds lets an id through when its origin is the
    file being read -- and the same file ingested under two partitions would then count twice."""
    held = warehouse.query(
        "SELECT review_id, source_partition, source_file FROM raw_reviews WHERE source_partition IS DISTINCT FROM ?",
        [key],
    )
    origins = (
        f"partition {partition!r} ({source_file})"
        for partition, source_file in zip(held["source_partition"], held["source_file"], strict=False)
    )
    return IngestedIds(dict(zip(held["review_id"], origins, strict=False)))


def _held_by_other_partitions(summaries: list[FileSummary]) -> dict[str, int]:
    """Other partition -> rows of this one quarantined because that partition holds their ids."""
    held: Counter[str] = Counter()
    for summary in summaries:
        for reason, rows in summary.rejection_reasons.items():
            for partition in {m.group(2) for m in _HELD_ELSEWHERE.finditer(reason)}:
                held[partition] += rows
    return dict(held)


class GenericMapping(dg.Config):
    """For `preset: generic`: which source column holds what (see README, "Your own data")."""

    review_body: str
    product_category: str | None = None  # default: every row's category is "unknown"
    # At most one of star_rating / label; leave both out for an unlabelled file (to score).
    star_rating: str | None = None  # stars 1..5; or give `label`
    label: str | None = None  # negative/neutral/positive or -1/0/1
    review_id: str | None = None  # default: a hash of the row's mapped values
    title: str | None = None
    date: str | None = None  # default: the ingestion time (said in the metadata)
    extra: list[str] = []  # kept verbatim in the JSON column `extra`
    more_columns: dict[str, str] = {}  # e.g. {"department_name": "Dept"}


class RawReviewsConfig(dg.Config):
    """Where this partition's reviews come from: a file (or a glob, a directory, an s3:// prefix),
    in CSV, TSV (optionally .gz), Parquet or JSON Lines. Empty: the `bundled` partition's synthetic
    data, or for any other partition the landed file its key names (`score/june.csv`: june.csv in
    the landing directory's score folder), read with config/sentiment.yaml's ingest settings."""

    location: str | None = None
    # train: may feed training; score: only predicted (labels optional); holdout: only evaluated.
    # None: the role of the landing folder the partition key names, else ingest.role, else train.
    role: str | None = None  # one of train, score, holdout
    preset: Literal["auto", "womens_clothing", "amazon_customer_reviews", "generic"] = "auto"
    mapping: GenericMapping | None = None
    encoding: str = "utf-8"  # e.g. latin-1 for an old export
    delimiter: str | None = None  # None: from the file's suffix
    chunk_rows: int = 100_000  # rows held in memory at a time
    synthetic_rows: int = 23_486
    synthetic_seed: int = 42

    def for_partition(self, key: str) -> "RawReviewsConfig":
        """This config with the location and role a partition implies (see the class docstring);
        a role that contradicts the partition's landing folder is refused."""
        if self.role is not None and self.role not in ROLES:
            raise dg.Failure(f"raw_reviews config role {self.role!r} is not one of {list(ROLES)}")
        folder = key.rpartition("/")[0] if key.rpartition("/")[0] in ROLES else ""  # score/june.csv -> score
        if folder and self.role not in (None, folder):
            raise dg.Failure(
                f"partition {key!r} is in the {folder!r} landing folder but its run config says "
                f"role {self.role!r}; land the file in the {self.role!r} folder instead"
            )
        if self.location is not None or key == BUNDLED_PARTITION:
            return self.model_copy(update={"role": self.role or folder or DEFAULT_ROLE})
        project = load_project_config()
        landed = landed_file_for_key(str(project.landing_directory), key, project.default_role)
        # The landed file: the project's ingest settings fill what this run's config left unset.
        unset = {k: v for k, v in project.ingest.items() if k not in self.model_fields_set}
        return RawReviewsConfig(
            **{**self.model_dump(), **unset, "location": landed.read_location, "role": self.role or landed.role}
        )

    def source_spec(self) -> SourceSpec:
        mapping = ColumnMapping(**self.mapping.model_dump()) if self.mapping else None
        return SourceSpec(preset=self.preset, mapping=mapping, encoding=self.encoding, delimiter=self.delimiter)


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    partitions_def=review_files,
    check_specs=[
        dg.AssetCheckSpec(
            ROWS_RECONCILE_CHECK,
            asset="raw_reviews",
            blocking=True,
            description="Per file: accepted + rejected rows equal the rows read.",
        ),
        dg.AssetCheckSpec(
            FILES_READABLE_CHECK,
            asset="raw_reviews",
            description="Every file at the location could be read (failed files are named).",
        ),
        *[
            dg.AssetCheckSpec(
                e.check_name, asset="raw_reviews", blocking=True, description=f"Great Expectations: {e.description}"
            )
            for e in RAW_REVIEWS_EXPECTATIONS
        ],
    ],
)
def raw_reviews(
    context: dg.AssetExecutionContext,
    config: RawReviewsConfig,
    warehouse: Warehouse,
    artifacts: ArtifactStore,
    s3: S3Resource,
) -> dg.MaterializeResult:
    """Product reviews as read from the sources, one partition per file, in one normalised schema
    (review_id, date, title, review_body, star_rating, product_category, sentiment, ...). Rows that
    cannot be used go to `rejected_reviews` with file, row and reason: accepted + rejected = rows read."""
    key = context.partition_key
    try:
        config = config.for_partition(key)
    except (ValueError, FileNotFoundError) as error:
        raise dg.Failure(
            f"partition {key!r} has no `location` in its run config and names no landed file: {error}"
        ) from error
    synthetic = config.location is None
    location = (
        str(bundled_reviews_path(artifacts.path("landing", "bundled"), config.synthetic_rows, config.synthetic_seed))
        if synthetic
        else config.location
    )
    ingested = _ids_in_other_partitions(warehouse, key) if _has_partition_column(warehouse) else None
    summaries: list[FileSummary] = []
    with warehouse.staged_tables() as stage:
        # Empty frames first: they fix every column's type even if no row is ever accepted.
        stage.append("raw_reviews", _tagged(empty_accepted(), key, config.role))
        stage.append("rejected_reviews", _tagged(empty_rejected(), key, config.role))
        carried = stage.keep_existing_rows("raw_reviews", "source_partition", unless=key)
        stage.keep_existing_rows("rejected_reviews", "source_partition", unless=key)
        s3_client = s3.get_client() if location.startswith("s3://") else None
        batches = read_reviews(
            location,
            config.source_spec(),
            ingested_at=datetime.now(UTC),
            chunk_rows=config.chunk_rows,
            s3_client=s3_client,
            ingested_ids=ingested,
        )
        for batch in batches:
            stage.append("raw_reviews", _tagged(batch.accepted, key, config.role))
            stage.append("rejected_reviews", _tagged(batch.rejected, key, config.role))
            if batch.summary is None:
                continue
            summary = _refused_for_role(batch.summary, config.role)
            summaries.append(summary)
            if not summary.ok:  # a file that broke part-way (or has the wrong role) contributes no rows
                stage.delete("raw_reviews", "source_file", batch.source_file)
                stage.delete("rejected_reviews", "source_file", batch.source_file)
                context.log.error(summary.error)
            else:
                context.log.info(
                    "%s: %d rows read, %d accepted, %d rejected (%s, role %s)",
                    batch.source_file,
                    summary.rows_read,
                    summary.accepted,
                    summary.rejected,
                    summary.preset,
                    config.role,
                )
        if not any(s.ok for s in summaries):
            raise dg.Failure("no file at the location could be read: " + " | ".join(s.error or "" for s in summaries))
        accepted = sum(s.accepted for s in summaries if s.ok)
        rejected = sum(s.rejected for s in summaries if s.ok)
        held_elsewhere = _held_by_other_partitions([s for s in summaries if s.ok])
        if held_elsewhere:
            context.log.warning(
                "partition %r: %d rows quarantined, their review ids already held by partition(s) %s "
                "(the same reviews ingested under two partitions?)",
                key,
                sum(held_elsewhere.values()),
                ", ".join(map(repr, held_elsewhere)),
            )

    rows_read = sum(s.rows_read for s in summaries if s.ok)
    outcomes = validate_reviews(
        warehouse.query(f"SELECT {', '.join(VALIDATED_COLUMNS)} FROM raw_reviews WHERE source_partition = ?", [key])
    )
    failed_files = [s.source_file for s in summaries if not s.ok]
    return dg.MaterializeResult(
        metadata={
            **table_metadata(warehouse.query("SELECT * FROM raw_reviews LIMIT 0"), "raw_reviews"),
            "dagster/row_count": accepted,
            "rows_in_table": accepted + carried,
            "location": location,
            "source_role": config.role,
            "rows_read": rows_read,
            "rows_rejected": rejected,
            "rows_held_by_other_partitions": dg.MetadataValue.json(held_elsewhere),
            "files": dg.MetadataValue.json([s.as_metadata() for s in summaries]),
            "data_notice": SYNTHETIC_NOTICE if synthetic else "user-supplied source",
            "date_defaulted_rows": sum(s.date_defaulted_rows for s in summaries),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=ROWS_RECONCILE_CHECK,
                passed=all(s.accepted + s.rejected == s.rows_read for s in summaries)
                and accepted + rejected == rows_read,
                metadata={"accepted": accepted, "rejected": rejected, "rows_read": rows_read},
            ),
            dg.AssetCheckResult(
                check_name=FILES_READABLE_CHECK,
                passed=not failed_files,
                metadata={
                    "failed_files": dg.MetadataValue.json({s.source_file: s.error for s in summaries if not s.ok})
                },
            ),
            *[
                dg.AssetCheckResult(
                    check_name=o.check_name,
                    passed=o.success,
                    metadata={"unexpected_count": o.unexpected_count, "observed": str(o.observed)[:500]},
                )
                for o in outcomes
            ],
        ],
    )
