"""raw_reviews: every review file at the configured location, normalised, with nothing lost."""

from typing import Any, Literal

import dagster as dg
from dagster_aws.s3 import S3Resource

from resources import ArtifactStore, Warehouse
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, review_files
from sentiment_assets.defs.metadata import empty_table, table_metadata
from sentiment_assets.operations.project_config import load_project_config
from sentiment_assets.sources import ColumnMapping, SourceSpec
from sentiment_assets.sources.bundled import SYNTHETIC_NOTICE, bundled_reviews_path
from sentiment_assets.sources.ingest import IngestedPartition, NoFileReadable, ingest_partition, partition_rows
from sentiment_assets.sources.landing_zone import landed_file_for_key
from sentiment_assets.sources.roles import DEFAULT_ROLE, ROLES
from sentiment_assets.validation.raw_reviews_suite import RAW_REVIEWS_EXPECTATIONS, ExpectationOutcome, validate_reviews

GROUP = "ingest_analyze"
ROWS_RECONCILE_CHECK = "accepted_plus_rejected_equals_rows_read"
FILES_READABLE_CHECK = "every_source_file_read"


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


# No automation condition: the landing-zone sensor starts one run per landed file, people start
# the others (`dg launch`, ingest_job); the conditions of everything downstream take over from here.
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
    config = _partition_config(config, key)
    location, synthetic = config.location, config.location is None
    if location is None:
        location = str(
            bundled_reviews_path(artifacts.path("landing", "bundled"), config.synthetic_rows, config.synthetic_seed)
        )
    try:
        ingested = ingest_partition(
            warehouse,
            key,
            location,
            config.role or DEFAULT_ROLE,  # for_partition always sets it
            config.source_spec(),
            chunk_rows=config.chunk_rows,
            log=context.log,
            s3_client=s3.get_client() if location.startswith("s3://") else None,
        )
    except NoFileReadable as error:
        raise dg.Failure(str(error)) from error
    metadata: dict[str, Any] = {
        **table_metadata(empty_table(warehouse, "raw_reviews"), "raw_reviews"),
        **_ingest_metadata(ingested, location, SYNTHETIC_NOTICE if synthetic else "user-supplied source"),
    }
    return dg.MaterializeResult(
        metadata=metadata, check_results=_check_results(ingested, validate_reviews(partition_rows(warehouse, key)))
    )


def _partition_config(config: RawReviewsConfig, key: str) -> RawReviewsConfig:
    try:
        return config.for_partition(key)
    except (ValueError, FileNotFoundError) as error:
        raise dg.Failure(
            f"partition {key!r} has no `location` in its run config and names no landed file: {error}"
        ) from error


def _ingest_metadata(ingested: IngestedPartition, location: str, data_notice: str) -> dict[str, Any]:
    return {
        "dagster/row_count": ingested.accepted,
        "rows_in_table": ingested.accepted + ingested.rows_in_other_partitions,
        "location": location,
        "source_role": ingested.role,
        "rows_read": ingested.rows_read,
        "rows_rejected": ingested.rejected,
        "rows_held_by_other_partitions": dg.MetadataValue.json(ingested.held_by_other_partitions),
        "files": dg.MetadataValue.json([s.as_metadata() for s in ingested.summaries]),
        "source_files": _source_files_markdown(ingested),
        "ingested_at": dg.MetadataValue.timestamp(ingested.ingested_at.tz_localize("UTC")),
        "data_notice": data_notice,
        "date_defaulted_rows": sum(s.date_defaulted_rows for s in ingested.summaries),
    }


def _source_files_markdown(ingested: IngestedPartition) -> dg.MetadataValue:
    """The files read whole, as the source_files table records them: file, sha256, bytes."""
    lines = ["| file | sha256 | bytes |", "| --- | --- | ---: |"]
    lines += [f"| {_cell(s.source_file)} | `{s.sha256}` | {s.size_bytes} |" for s in ingested.read]
    return dg.MetadataValue.md("\n".join(lines))


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def _check_results(ingested: IngestedPartition, outcomes: list[ExpectationOutcome]) -> list[dg.AssetCheckResult]:
    counts = {"accepted": ingested.accepted, "rejected": ingested.rejected, "rows_read": ingested.rows_read}
    return [
        dg.AssetCheckResult(check_name=ROWS_RECONCILE_CHECK, passed=ingested.reconciles, metadata=counts),
        dg.AssetCheckResult(
            check_name=FILES_READABLE_CHECK,
            passed=not ingested.failed,
            metadata={"failed_files": dg.MetadataValue.json(ingested.failed)},
        ),
        *[
            dg.AssetCheckResult(
                check_name=o.check_name,
                passed=o.success,
                metadata={"unexpected_count": o.unexpected_count, "observed": str(o.observed)[:500]},
            )
            for o in outcomes
        ],
    ]
