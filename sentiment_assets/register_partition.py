"""`python -m sentiment_assets.register_partition KEY...`: add raw_reviews partitions to the
Dagster instance in $DAGSTER_HOME (the demo registers `bundled`; landed files get theirs from
the landing-zone sensor). A key is `<name>` or `<role>/<name>`, the name of letters, digits, '.',
'_' and '-': anything else is refused (exit status 2) before the instance is touched."""

import sys

import dagster as dg

from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions
from sentiment_assets.landing_zone import partition_key_problem


def main(keys: list[str]) -> None:
    keys = keys or [BUNDLED_PARTITION]
    refused = [f"{key!r}: {problem}" for key in keys if (problem := partition_key_problem(key))]
    if refused:
        print("refused, nothing registered: " + "; ".join(refused), file=sys.stderr)
        sys.exit(2)
    register_partitions(dg.DagsterInstance.get(), keys)
    print(f"raw_reviews partitions registered: {', '.join(keys)}")


if __name__ == "__main__":
    main(sys.argv[1:])
