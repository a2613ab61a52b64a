"""`sentiment-assets register-partition KEY...`: add raw_reviews partitions to the Dagster
instance in $DAGSTER_HOME (the demo registers `bundled`; landed files get theirs from the
landing-zone sensor). A key is `<name>` or `<role>/<name>`, the name of letters, digits, '.',
'_' and '-': anything else is refused (exit status 2) before the instance is touched."""

from __future__ import annotations

import argparse
import sys

from sentiment_assets.sources.bundled import BUNDLED_PARTITION
from sentiment_assets.sources.landing_zone import partition_key_problem


def main(argv: list[str] | None = None, prog: str = "sentiment-assets register-partition") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Add raw_reviews partitions (one per source file) to the Dagster instance in $DAGSTER_HOME.",
        epilog="A key is NAME or ROLE/NAME (role: train, score or holdout), the name of letters, digits, "
        "'.', '_' and '-'; a refused key registers nothing (exit status 2).",
    )
    parser.add_argument(
        "keys", nargs="*", metavar="KEY", help=f"a source file's partition key (default: {BUNDLED_PARTITION})"
    )
    keys = parser.parse_args(argv).keys or [BUNDLED_PARTITION]
    refused = [f"{key!r}: {problem}" for key in keys if (problem := partition_key_problem(key))]
    if refused:
        print("refused, nothing registered: " + "; ".join(refused), file=sys.stderr)
        return 2
    # Imported here: Dagster's instance machinery is slow to load, and a refused key never needs it.
    import dagster as dg

    from sentiment_assets.defs.ingest_analyze.partitions import register_partitions

    register_partitions(dg.DagsterInstance.get(), keys)
    print(f"raw_reviews partitions registered: {', '.join(keys)}")
    return 0
