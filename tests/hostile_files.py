"""Helpers for the hostile-file tests: a generic spec, and reads that check the reconciliation
(accepted + rejected = rows read) or expect a refusal naming the file."""

import json

import pytest
from source_files import read_one

from sentiment_assets.sources import ColumnMapping, SourceError, SourceSpec

SPEC = SourceSpec(preset="generic", mapping=ColumnMapping(review_id="id", review_body="text", star_rating="stars"))
DATED = SourceSpec(
    preset="generic", mapping=ColumnMapping(review_id="id", review_body="text", star_rating="stars", date="when")
)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(path, spec=SPEC, **kwargs):
    result = read_one(path, spec, **kwargs)
    assert result.summary.ok, result.summary.error
    assert len(result.accepted) + len(result.rejected) == result.summary.rows_read
    return result


def refusal(path, spec=SPEC, **kwargs) -> str:
    with pytest.raises(SourceError) as error:
        read_one(path, spec, on_file_error="raise", **kwargs)
    assert str(error.value).startswith(f"{path}: ")
    return str(error.value)


def reasons(result):
    return dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=False))


def jsonl(records):
    return "".join(json.dumps(r) + "\n" for r in records)
