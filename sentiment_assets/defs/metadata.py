"""Small helpers that turn frames, figures and MLflow runs into Dagster metadata."""

import base64
from pathlib import Path

import dagster as dg
import pandas as pd

from resources import Warehouse

# What each column means, for the asset catalog. One place, so the same name means the same thing
# in every table.
COLUMN_DESCRIPTIONS: dict[str, str] = {
    "review_id": "Identifier of the review in its source (the Kaggle row id, the Amazon review_id, or a content hash).",
    "date": "When the review was written; the ingestion time (UTC) when the source has no date.",
    "title": "The review's headline.",
    "review_body": "The review text (in raw_reviews exactly as read; from stg_reviews on, normalised).",
    "review_body_normalised": "The review text as models read it: HTML entities decoded, wrapping quotes, zero-width "
    "characters and extra whitespace removed, Unicode NFC.",
    "review_body_raw": "The review text exactly as read from the file.",
    "star_rating": "The reviewer's rating, 1 to 5 (null when the source has a sentiment label instead).",
    "product_category": "The product's class: the bias facet ('unknown' when the source has none).",
    "division_name": "Store division (General, General Petite, Initmates).",
    "department_name": "Store department (Tops, Dresses, Bottoms, ...).",
    "clothing_id": "The reviewed item's id.",
    "age": "Reviewer's age.",
    "recommended": "1 if the reviewer recommends the item.",
    "positive_feedback_count": "How many other customers found the review helpful.",
    "source_file": "The file the row was read from.",
    "source_row": "1-based data row number in that file (header excluded).",
    "source_partition": "The raw_reviews partition (source file) that wrote the row.",
    "sha256": "The sha256 (hex) of the source file's bytes as stored, when it was ingested.",
    "size_bytes": "The source file's size in bytes, when it was ingested.",
    "source_role": "What the file is for: train (may feed training), score (predicted only), holdout (evaluated only).",
    "original_review_id": "The review an up-sampled copy repeats (its own review_id otherwise).",
    "sentiment": "-1 negative, 0 neutral, 1 positive (from the source's label, else from the stars).",
    "label_id": "sentiment + 1: the class index models use.",
    "extra": "JSON object of source columns kept verbatim.",
    "reason": "Why the row was rejected.",
    "raw_record": "The original row, as JSON.",
    "input_ids": "MiniLM WordPiece token ids (with [CLS]/[SEP]), at most review_features' max_seq_length tokens.",
    "attention_mask": "1 per token of input_ids.",
    "split_type": "train / validation / test, stratified by sentiment, ordered by a hash of review_id.",
    "ingested_at": "When the feature store recorded the row (UTC).",
    "predicted_label": "The model's sentiment, -1/0/1.",
    "probability": "The model's probability of predicted_label.",
    "model_version": "Registry version of the model that made the prediction.",
    "label_source": "'source' (the data's own label or stars) or 'human' (set by a person in the review queue).",
    "labelled_by": "The reviewer who set a human label.",
    "labelled_at": "When the human label was recorded (UTC).",
    "human_label": "The label a person gave, -1/0/1 (null until labelled).",
    "reviewer": "Who labelled the review.",
}


def table_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=str(c), type=str(t), description=COLUMN_DESCRIPTIONS.get(str(c)))
            for c, t in frame.dtypes.items()
        ]
    )


def empty_table(warehouse: Warehouse, table: str) -> pd.DataFrame:
    """`table`'s columns with their types and no rows: what its schema metadata is read from."""
    columns = warehouse.table_columns(table)
    return warehouse.read_table(table, columns, where={columns[0]: []})


def table_metadata(frame: pd.DataFrame, table: str) -> dict[str, dg.MetadataValue]:
    """Row count, schema and the table's name: what every table-writing asset reports."""
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": dg.MetadataValue.table_schema(table_schema(frame)),
        "table": dg.MetadataValue.text(table),
    }


def png_markdown(png: bytes, title: str) -> dg.MetadataValue:
    """A PNG inlined as markdown, which the Dagster UI renders in the asset's metadata."""
    return dg.MetadataValue.md(f"**{title}**\n\n![{title}](data:image/png;base64,{base64.b64encode(png).decode()})")


def saved_png(path: Path, png: bytes) -> dg.MetadataValue:
    path.write_bytes(png)
    return dg.MetadataValue.path(str(path))


def frame_markdown(frame: pd.DataFrame, floatfmt: str = ".4f") -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.to_markdown(index=False, floatfmt=floatfmt) or "")  # str without a buffer
