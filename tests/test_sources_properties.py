"""Property tests: whatever the rows hold (quotes, delimiters, line breaks, NULs, invisible or
non-ASCII characters) and however they are quoted, encoded or miscounted, each file written as
CSV/TSV, JSON Lines and Parquet is either refused with a reason naming a line, or every record
is accepted or quarantined, and every accepted review text is exactly the text written."""

import json
import re
import string
from datetime import UTC, datetime

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentiment_assets.sources import ColumnMapping, SourceError, SourceSpec, gather, read_reviews

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MAPPING = ColumnMapping(review_id="id", review_body="text", star_rating="stars")
COLUMNS = ("id", "text", "stars")
# No example database: the tests write nothing into the working tree (a failure prints its example).
FAST = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: The characters readers and writers get wrong: delimiters, quotes, every kind of line break,
#: NUL and other controls, byte order marks, zero-width and separator characters.
TRICKY = [
    ",",
    ";",
    "\t",
    '"',
    "'",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "\x00",
    "\x1c",
    "\x85",
    "\u2028",
    "\ufeff",
    "\u200b",
    "\u00a0",
    " ",
    "&nbsp;",
    "é",
    "ß",
    "€",
    "\U0001f600",
]
pieces = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=4),
    st.text(string.ascii_letters, min_size=1, max_size=6),
)
texts = st.lists(pieces, max_size=8).map("".join)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "text": texts,
            "stars": st.sampled_from(["1", "3", "5", "0", "six", ""]),
            # Fields beyond the header's three (> 0), or the last ones left out (< 0).
            "field_change": st.sampled_from([0, 0, 0, 0, 1, 2, 20, -1, -2]),
            "surplus": texts,
        }
    ),
    min_size=1,
    max_size=12,
)


def fields_of(i: int, row: dict) -> list[str]:
    fields = [f"r{i}", row["text"], row["stars"]]
    change = row["field_change"]
    return fields[: len(fields) + change] if change < 0 else fields + [row["surplus"]] * change


def surely_accepted(row: dict, labelled: bool) -> bool:
    """A row every reader must accept: the header's fields, stars 1..5 (if the file has stars) and
    a letter or digit that is not part of an HTML entity (the cleaning decodes "&nbsp;" to a space)."""
    visible = re.sub(r"&[A-Za-z0-9#]+;", "", row["text"])
    stars_fine = row["stars"] in ("1", "3", "5") or not labelled
    return row["field_change"] == 0 and stars_fine and re.search("[A-Za-z0-9]", visible) is not None


def read_file(path, spec):
    [result] = gather(read_reviews(str(path), spec, NOW, chunk_rows=5)).values()
    return result


def check(result, written: list[dict], kept_fields, labelled: bool = True) -> None:
    """The invariant: every record accepted or quarantined, accepted text exactly as written."""
    summary = result.summary
    assert summary.ok, summary.error
    assert summary.rows_read == len(result.accepted) + len(result.rejected) == len(written)
    by_id = {f"r{i}": row for i, row in enumerate(written)}
    for review_id, body in zip(result.accepted["review_id"], result.accepted["review_body"], strict=False):
        row = by_id[review_id]
        assert kept_fields(row) and body == row["text"]
    surely = {f"r{i}" for i, row in enumerate(written) if surely_accepted(row, labelled)}
    assert surely <= set(result.accepted["review_id"])


def csv_field(value: str, delimiter: str, quote_anyway: bool) -> str:
    if quote_anyway or any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


@FAST
@given(written=rows, data=st.data())
def test_delimited_text_with_any_quoting_encoding_and_field_count_reconciles_or_is_refused_by_line(
    tmp_path_factory, written, data
):
    delimiter, suffix = data.draw(st.sampled_from([(",", ".csv"), ("\t", ".tsv"), (";", ".csv")]), "format")
    newline = data.draw(st.sampled_from(["\n", "\r\n"]), "newline")
    records = [fields_of(i, row) for i, row in enumerate(written)]
    lines = [delimiter.join(COLUMNS)]
    for record in records:
        lines.append(delimiter.join(csv_field(f, delimiter, data.draw(st.booleans())) for f in record))
    text = newline.join(lines) + newline
    encodings = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]
    encoding = data.draw(st.sampled_from([e for e in encodings if _encodes(text, e)]), "encoding")
    path = tmp_path_factory.mktemp("delimited") / f"reviews{suffix}"
    path.write_bytes(text.encode(encoding))
    spec = SourceSpec(
        preset="generic",
        mapping=MAPPING,
        delimiter=delimiter,
        encoding="utf-8" if encoding == "utf-8-sig" else encoding,
    )  # the reader drops the BOM
    result = read_file(path, spec)

    # A record whose quoted value spans lines and that has the wrong field count looks exactly
    # like a quote left open: the file is refused, naming the line the record starts on.
    spanning_misfit = [
        i for i, r in enumerate(records) if len(r) != len(COLUMNS) and any("\n" in f or "\r" in f for f in r)
    ]
    if spanning_misfit:
        error = result.summary.error
        assert not result.summary.ok and error is not None and re.search(r": line \d+: .*unterminated quote", error)
        return
    check(result, written, lambda row: row["field_change"] == 0)


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@FAST
@given(written=rows, ensure_ascii=st.booleans(), blank_lines=st.booleans(), bom=st.booleans())
def test_json_lines_with_any_text_and_missing_or_extra_keys_reconcile_with_the_text_kept_exactly(
    tmp_path_factory, written, ensure_ascii, blank_lines, bom
):
    lines = []
    for i, row in enumerate(written):
        record: dict[str, str] = dict(zip(COLUMNS, fields_of(i, row), strict=False))
        if row["field_change"] > 0:
            record.update({f"more_{k}": row["surplus"] for k in range(row["field_change"])})
        lines.append(json.dumps(record, ensure_ascii=ensure_ascii))
    separator = "\n\n" if blank_lines else "\n"
    path = tmp_path_factory.mktemp("jsonl") / "reviews.jsonl"
    path.write_text(("\ufeff" if bom else "") + separator.join(lines) + "\n", encoding="utf-8", newline="")
    result = read_file(path, SourceSpec(preset="generic", mapping=MAPPING))
    # The first record's keys are the file's header: without "text" the file is refused, without
    # "stars" it is read unlabelled (stars ignored, a record without them is fine).
    first = written[0]["field_change"]
    if first == -2:
        assert result.summary.error is not None
        assert result.summary.error.startswith(f"{path}: missing required column(s)")
    elif first == -1:
        check(result, written, lambda row: row["field_change"] >= -1, labelled=False)
    else:
        check(result, written, lambda row: row["field_change"] >= 0)


@FAST
@given(written=rows)
def test_parquet_with_any_text_and_null_values_reconciles_with_the_text_kept_exactly(tmp_path_factory, written):
    columns = {name: [] for name in COLUMNS}
    for i, row in enumerate(written):
        fields = fields_of(i, row)
        for position, name in enumerate(COLUMNS):
            columns[name].append(fields[position] if position < len(fields) else None)
    path = tmp_path_factory.mktemp("parquet") / "reviews.parquet"
    pd.DataFrame(columns).to_parquet(path, row_group_size=4)
    check(read_file(path, SourceSpec(preset="generic", mapping=MAPPING)), written, lambda row: row["field_change"] >= 0)


#: Text that is not well-formed CSV: stray and unbalanced quotes, line breaks anywhere.
garbage_lines = st.lists(
    st.lists(st.sampled_from(['"', '""', ",", "a", "b c", "\n", "\r\n", "\x00", "é", " "]), max_size=12).map("".join),
    max_size=15,
)


@settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=garbage_lines)
def test_malformed_csv_is_refused_by_line_or_every_record_it_counts_is_accepted_or_quarantined(tmp_path_factory, lines):
    text = "id,text,stars\n" + "\n".join(f"r{i},{line},5" for i, line in enumerate(lines)) + "\n"
    path = tmp_path_factory.mktemp("garbage") / "reviews.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        [result] = gather(
            read_reviews(
                str(path), SourceSpec(preset="generic", mapping=MAPPING), NOW, chunk_rows=3, on_file_error="raise"
            )
        ).values()
    except SourceError as error:
        assert re.search(r": line \d+", str(error)), str(error)
        return
    assert result.summary.rows_read == len(result.accepted) + len(result.rejected)
    # A record takes at least one non-blank physical line ("\r", "\n" and "\r\n" end one).
    physical = [line for line in re.split(r"\r\n|\r|\n", text)[1:] if line.strip(" ")]
    assert result.summary.rows_read <= len(physical)
    for body in result.accepted["review_body"]:  # as read: without quotes to undouble, verbatim in the file
        assert '"' in body or body in text
