"""`python -m sentiment_assets.register_partition KEY...`: add raw_reviews partitions to the
Dagster instance in $DAGSTER_HOME (the demo registers `bundled`; landed files get theirs from
the landing-zone sensor)."""

import sys

import dagster as dg

from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions


def main(keys: list[str]) -> None:
    register_partitions(dg.DagsterInstance.get(), keys or [BUNDLED_PARTITION])
    print(f"raw_reviews partitions registered: {', '.join(keys or [BUNDLED_PARTITION])}")


if __name__ == "__main__":
    main(sys.argv[1:])
