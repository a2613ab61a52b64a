"""raw_reviews is partitioned by source file: each landed file is one dynamic partition, so a new
file is ingested on its own and a changed file replaces only its own rows."""

import dagster as dg

from sentiment_assets.sources import bundled
from sentiment_assets.sources.landing_zone import check_partition_key

REVIEW_FILES = "review_files"
review_files = dg.DynamicPartitionsDefinition(name=REVIEW_FILES)

# The bundled synthetic data is the partition `make demo` registers and ingests.
BUNDLED_PARTITION = bundled.BUNDLED_PARTITION


def register_partitions(instance: dg.DagsterInstance, keys: list[str]) -> None:
    """Add the keys that are not partitions yet. Every key is checked first with the landing zone's
    rule (a key becomes a path in the landing directory), so a bad one registers nothing."""
    for key in keys:
        check_partition_key(key)
    new = [k for k in dict.fromkeys(keys) if not instance.has_dynamic_partition(REVIEW_FILES, k)]
    if new:
        instance.add_dynamic_partitions(REVIEW_FILES, new)
