"""Small helpers that turn frames, figures and MLflow runs into Dagster metadata."""


import base64
from pathlib import Path

import dagster as dg
import pandas as pd

SYNTHETIC_DATA_NOTE = "Bundled default data is SYNTHETIC (generated in the Kaggle clothing-reviews layout)."


def table_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()])


def table_metadata(frame: pd.DataFrame, table: str) -> dict[str, object]:
    """Row count, schema and the table's name: what every table-writing asset reports."""
    return {
        "dagster/row_count": len(frame),
        "dagster/column_schema": table_schema(frame),
        "table": dg.MetadataValue.text(table),
    }


def png_markdown(png: bytes, title: str) -> dg.MetadataValue:
    """A PNG inlined as markdown, which the Dagster UI renders in the asset's metadata."""
    return dg.MetadataValue.md(f"**{title}**\n\n![{title}](data:image/png;base64,{base64.b64encode(png).decode()})")


def saved_png(path: Path, png: bytes) -> dg.MetadataValue:
    path.write_bytes(png)
    return dg.MetadataValue.path(str(path))


def frame_markdown(frame: pd.DataFrame, floatfmt: str = ".4f") -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.to_markdown(index=False, floatfmt=floatfmt))
