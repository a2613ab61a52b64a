"""Which raw_reviews partitions are training data: what the population settings are decided on."""

from resources import Warehouse
from sentiment_assets.frames import column, rows_where
from sentiment_assets.sources.roles import TRAIN


def train_partitions(warehouse: Warehouse) -> list[str]:
    """The partitions whose role is `train` (partitions ingested before roles existed count as train)."""
    if not warehouse.table_exists("raw_reviews"):
        return []
    has_role = "source_role" in warehouse.table_columns("raw_reviews")
    rows = warehouse.read_table(
        "raw_reviews", ["source_partition", "source_role"] if has_role else ["source_partition"]
    )
    if has_role:
        rows = rows_where(rows, column(rows, "source_role").fillna(TRAIN) == TRAIN)
    return sorted(column(rows, "source_partition").dropna().astype(str).unique().tolist())
