"""Which raw_reviews partitions are training data: what the population settings are decided on."""

from resources import Warehouse
from sentiment_assets.sources.roles import TRAIN


def train_partitions(warehouse: Warehouse) -> list[str]:
    """The partitions whose role is `train` (partitions ingested before roles existed count as train)."""
    if not warehouse.table_exists("raw_reviews"):
        return []
    has_role = not warehouse.query(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'raw_reviews' AND column_name = 'source_role'"
    ).empty
    role = "coalesce(source_role, 'train')" if has_role else "'train'"
    found = warehouse.query(f"SELECT DISTINCT source_partition FROM raw_reviews WHERE {role} = ?", [TRAIN])
    return sorted(found["source_partition"].dropna().astype(str))
