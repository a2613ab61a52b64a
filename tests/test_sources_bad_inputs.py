"""Issue #3 item 5: every bad input ends in a clear error naming the file, or in quarantined rows,
with accepted + rejected == rows read and the rest of the batch kept."""

import gzip
import json

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from source_files import CLOTHING_HEADER as HEADER
from source_files import NOW, json_cell

from sentiment_assets.sources import ColumnMapping, IngestedIds, SourceError, SourceSpec, gather, read_reviews
from sentiment_assets.sources.presets import AMAZON_COLUMNS

GENERIC = SourceSpec(
    preset="generic",
    mapping=ColumnMapping(review_id="id", review_body="text", product_category="cat", star_rating="stars"),
)


def row(review_id, text="good", stars="5", category="Knits"):
    return f"{review_id},1,30,t,{text},{stars},1,0,General,Tops,{category}\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def read(location, spec=SourceSpec(), **kwargs):
    results = gather(read_reviews(str(location), spec, NOW, **kwargs))
    for result in results.values():  # the invariant, checked on every read in this module
        assert len(result.accepted) + len(result.rejected) == result.summary.rows_read
    return results


def read_one(path, spec=SourceSpec(), **kwargs):
    [result] = read(path, spec, **kwargs).values()
    return result


def reasons(result):
    return dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=False))


def test_an_empty_file_is_an_error_naming_it_and_the_other_files_still_load(tmp_path):
    empty = write(tmp_path, "a_empty.csv", "")
    write(tmp_path, "b_good.csv", HEADER + row(0))
    with pytest.raises(SourceError, match="a_empty.csv: the file is empty"):
        read_one(empty, on_file_error="raise")
    results = read(tmp_path)
    error = results[str(empty)].summary.error
    assert error is not None and error.startswith(f"{empty}: the file is empty")
    assert len(results[str(tmp_path / "b_good.csv")].accepted) == 1


def test_a_file_of_blank_lines_is_empty_too(tmp_path):
    with pytest.raises(SourceError, match="blank.csv: the file is empty"):
        read_one(write(tmp_path, "blank.csv", "\n\n  \n"), on_file_error="raise")


def test_a_header_only_file_is_not_an_error_but_zero_rows_with_a_note(tmp_path):
    result = read_one(write(tmp_path, "header.csv", HEADER))
    assert result.summary.ok and result.summary.preset == "womens_clothing"
    assert (result.summary.rows_read, len(result.accepted), len(result.rejected)) == (0, 0, 0)
    assert "header only: the file has no data rows" in result.summary.notes


def test_missing_required_columns_are_an_error_naming_the_file_and_the_columns(tmp_path):
    path = write(tmp_path, "partial.csv", ",Title,Rating\n0,t,5\n")
    with pytest.raises(SourceError) as error:
        read_one(path, SourceSpec(preset="womens_clothing"), on_file_error="raise")
    assert str(error.value).startswith(f"{path}: missing required column(s) ['Review Text', 'Clothing ID']")
    assert "found ['Unnamed: 0', 'Title', 'Rating']" in str(error.value)
    assert "a file without labels (to score) needs only its text column, mapped as review_body" in str(error.value)


def test_a_latin1_file_is_an_error_with_the_byte_offset_and_line_and_reads_with_the_encoding_option(tmp_path):
    path = write(tmp_path, "latin1.csv", HEADER + row(0) + row(1, text="Tr\xe8s jolie"), encoding="latin-1")
    with pytest.raises(SourceError) as error:
        read_one(path, on_file_error="raise")
    offset = len((HEADER + row(0) + "1,1,30,t,Tr").encode())
    assert str(error.value).startswith(f"{path}: not UTF-8 text: byte 0xe8 at byte offset {offset} (line 3, column 12)")
    assert "encoding='latin-1'" in str(error.value)
    result = read_one(path, SourceSpec(encoding="latin-1"))
    assert result.accepted["review_body"].tolist() == ["good", "Très jolie"]


def test_a_bad_byte_far_into_a_gzip_file_reports_its_place_in_the_decompressed_text(tmp_path):
    body = "".join(row(i) for i in range(2000)) + row(2000, text="caf\xe9")
    path = write(tmp_path, "late.csv.gz", gzip.compress((HEADER + body).encode("latin-1")))
    with pytest.raises(SourceError, match=r"line 2002, column 16 of the decompressed text"):
        read_one(path, chunk_rows=500, on_file_error="raise")


def test_blank_and_null_review_texts_are_quarantined_and_the_other_rows_kept(tmp_path):
    csv_path = write(tmp_path, "blank.csv", HEADER + row(0) + row(1, text="") + row(2, text="   ") + "3,1,30,t\n")
    result = read_one(csv_path)
    assert result.accepted["review_id"].tolist() == ["0"]
    assert reasons(result)[2] == reasons(result)[3] == "blank review text"
    assert reasons(result)[4].startswith("star_rating is not an integer 1..5; blank review text")  # a short row
    jsonl = write(
        tmp_path,
        "null.jsonl",
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "a", "text": None, "cat": "Books", "stars": 4},
                {"id": "b", "text": "ok", "cat": "Books", "stars": 4},
            ]
        ),
    )
    result = read_one(jsonl, GENERIC)
    assert result.accepted["review_id"].tolist() == ["b"] and reasons(result) == {1: "blank review text"}
    assert json_cell(result.rejected, "raw_record", 0) == {"id": "a", "text": None, "cat": "Books", "stars": 4}


def test_texts_that_normalise_to_nothing_are_quarantined_as_blank_while_the_kept_text_stays_as_read(tmp_path):
    texts = ["\u200b", "&nbsp;", "\u00a0\ufeff", '""', " &nbsp;\u200b ", " It&#039;s\u00a0good "]
    quoted = ['"' + t.replace('"', '""') + '"' for t in texts]
    result = read_one(write(tmp_path, "invisible.csv", HEADER + "".join(row(i, text=q) for i, q in enumerate(quoted))))
    assert reasons(result) == {
        1: "blank review text",
        2: "blank review text",
        3: "blank review text",
        4: "blank review text",
        5: "blank review text",
    }
    assert result.accepted["review_body"].tolist() == [" It&#039;s\u00a0good "]
    assert result.accepted["review_body_normalised"].tolist() == ["It's good"]


def test_a_blank_category_is_read_as_unknown_and_no_longer_quarantined(tmp_path):
    result = read_one(write(tmp_path, "nocat.csv", HEADER + row(0) + row(1, category="") + row(2, category="   ")))
    assert result.rejected.empty and result.summary.rejection_reasons == {}
    assert result.accepted["product_category"].tolist() == ["Knits", "unknown", "unknown"]


def test_a_bad_label_is_still_quarantined_with_its_reason_when_the_mapping_has_a_label(tmp_path):
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_id="id", review_body="text", label="label"))
    result = read_one(write(tmp_path, "labels.csv", "id,text,label\nA,good,positive\nB,meh,so-so\nC,bad,\n"), spec)
    assert result.accepted["review_id"].tolist() == ["A"] and result.summary.labelled
    assert reasons(result) == {
        2: "label is not negative/neutral/positive or -1/0/1",
        3: "label is not negative/neutral/positive or -1/0/1",
    }


def test_stars_0_6_five_and_fractions_are_quarantined_while_5_point_0_is_read_as_5(tmp_path):
    stars = ["0", "6", "five", "4.5", "", "-1", "5.0", "3"]
    path = write(tmp_path, "stars.csv", HEADER + "".join(row(i, stars=s) for i, s in enumerate(stars)))
    result = read_one(path)
    assert result.accepted["star_rating"].tolist() == [5, 3]
    assert set(reasons(result)) == {1, 2, 3, 4, 5, 6}
    assert set(reasons(result).values()) == {"star_rating is not an integer 1..5"}
    assert '"Rating":"five"' in result.rejected["raw_record"][2]


def test_duplicate_ids_within_a_file_keep_the_first_usable_copy_even_across_chunks(tmp_path):
    body = row("A") + row("B") + row("C", stars="0") + row("A", text="again") + row("C") + row("C", text="third")
    result = read_one(write(tmp_path, "dups.csv", HEADER + body), chunk_rows=2)
    assert result.accepted["review_id"].tolist() == ["A", "B", "C"]
    assert result.accepted["source_row"].tolist() == [1, 2, 5]  # a broken first C does not push out a good one
    assert reasons(result) == {
        3: "star_rating is not an integer 1..5",
        4: "duplicate review_id",
        6: "duplicate review_id",
    }


def test_duplicate_ids_across_files_are_kept_once_and_the_reason_names_the_first_file(tmp_path):
    first = write(tmp_path, "a.csv", "id,text,cat,stars\nR1,one,Books,5\nR2,two,Books,4\n")
    second = write(tmp_path, "b.csv", "id,text,cat,stars\nR2,two again,Books,4\nR3,three,Books,3\n")
    results = read(tmp_path, GENERIC)
    assert results[str(first)].accepted["review_id"].tolist() == ["R1", "R2"]
    assert results[str(second)].accepted["review_id"].tolist() == ["R3"]
    assert reasons(results[str(second)]) == {1: f"duplicate review_id already ingested from {first}"}


def test_ids_already_in_the_warehouse_are_rejected_but_a_changed_file_may_replace_its_own_rows(tmp_path):
    path = write(tmp_path, "b.csv", "id,text,cat,stars\nR1,one,Books,5\nR2,two,Books,4\nR3,three,Books,3\n")
    warehouse = {"R1": "s3://bucket/landing/old.tsv", "R3": str(path)}
    result = read_one(path, GENERIC, ingested_ids=warehouse)
    assert result.accepted["review_id"].tolist() == ["R2", "R3"]
    assert reasons(result) == {1: "duplicate review_id already ingested from s3://bucket/landing/old.tsv"}
    bare = read_one(path, GENERIC, ingested_ids=np.array(["R2"], dtype=object))  # just ids, e.g. from a query
    assert reasons(bare) == {2: "duplicate review_id already ingested from another file"}
    known = IngestedIds.from_frame(pd.DataFrame({"review_id": ["R2"], "source_file": ["old.csv"]}))
    assert reasons(read_one(path, GENERIC, ingested_ids=known)) == {
        2: "duplicate review_id already ingested from old.csv"
    }
    assert len(known) == 1  # the caller's ids are not grown by the read


def test_a_one_megabyte_review_with_commas_quotes_and_newlines_is_kept_whole(tmp_path):
    text = ('He said "wow", then\nmore. ' * 40_000)[:1_000_000]
    quoted = '"' + text.replace('"', '""') + '"'
    result = read_one(write(tmp_path, "long.csv", HEADER + row(0) + row(1, text=quoted) + row(2)), chunk_rows=2)
    assert result.accepted["review_id"].tolist() == ["0", "1", "2"]
    assert result.accepted["review_body"][1] == text and len(text) == 1_000_000  # exactly as read


def test_quotes_and_sql_metacharacters_in_a_category_are_kept_verbatim_into_duckdb(tmp_path):
    category = 'Women\'s; DROP TABLE x; -- "best"'
    quoted = '"' + category.replace('"', '""') + '"'
    result = read_one(write(tmp_path, "sql.csv", HEADER + row(0, category=quoted) + row(1)))
    assert result.accepted["product_category"].tolist() == [category, "Knits"]
    with duckdb.connect() as connection:  # the values travel as data (Arrow), never inside SQL text
        connection.register("incoming", pa.Table.from_pandas(result.accepted, preserve_index=False))
        connection.execute("CREATE TABLE raw_reviews AS SELECT * FROM incoming")
        stored = connection.execute("SELECT product_category FROM raw_reviews ORDER BY source_row").fetchall()
    assert stored == [(category,), ("Knits",)]


def test_a_truncated_gzip_is_an_error_and_its_already_streamed_batches_are_dropped(tmp_path):
    data = gzip.compress((HEADER + "".join(row(i, text=f"review {i} " + "x" * 80) for i in range(20_000))).encode())
    truncated = write(tmp_path, "a_truncated.csv.gz", data[: len(data) // 2])
    write(tmp_path, "b_fine.csv", HEADER + row(0))
    batches = list(read_reviews(str(tmp_path), SourceSpec(), NOW, chunk_rows=1000))
    streamed = sum(len(b.accepted) for b in batches if b.source_file == str(truncated))
    summary = next(b.summary for b in batches if b.summary and b.source_file == str(truncated))
    assert streamed > 0 and not summary.ok and summary.rows_read == 0
    assert summary.error is not None
    assert summary.error.startswith(f"{truncated}: the gzip stream is truncated or corrupt")
    assert f"after {streamed} data rows" in summary.error and "was not ingested" in summary.error
    results = gather(batches)
    assert results[str(truncated)].accepted.empty and len(results[str(tmp_path / "b_fine.csv")].accepted) == 1


def test_a_semicolon_file_read_as_csv_is_an_error_naming_the_real_delimiter_and_reads_with_the_override(tmp_path):
    path = write(tmp_path, "semi.csv", HEADER.replace(",", ";") + row(0).replace(",", ";"))
    with pytest.raises(SourceError) as error:
        read_one(path, on_file_error="raise")
    assert str(error.value).startswith(f"{path}: the header is one column")
    assert "looks ';'-separated, not ','-separated; set delimiter=';'" in str(error.value)
    assert len(read_one(path, SourceSpec(delimiter=";")).accepted) == 1


def test_a_comma_file_named_tsv_says_it_is_comma_separated(tmp_path):
    with pytest.raises(SourceError, match="looks ','-separated, not tab-separated"):
        read_one(write(tmp_path, "commas.tsv", HEADER + row(0)), on_file_error="raise")


def test_a_row_with_an_unquoted_delimiter_is_quarantined_not_shifted(tmp_path):
    path = write(
        tmp_path, "shifted.csv", "id,text,cat,stars\nR1,fine,Books,5\nR2,good, really,Books,4\nR3,ok,Books,3\n"
    )
    result = read_one(path, GENERIC)
    assert result.accepted["review_id"].tolist() == ["R1", "R3"]
    assert reasons(result)[2].startswith("more fields than the header")
    assert json_cell(result.rejected, "raw_record", 0)["_field_5"] == "4"


def test_a_landing_directory_mixing_two_schemas_reads_each_file_with_its_own_preset(tmp_path):
    kaggle = write(tmp_path, "kaggle.csv", HEADER + row(0))
    amazon_row = "\t".join(
        ["US", "1", "R1", "P", "9", "Shoe", "Shoes", "4", "0", "0", "N", "Y", "Hi", "Nice", "2015-08-31"]
    )
    amazon = write(tmp_path, "amazon.tsv", "\t".join(AMAZON_COLUMNS) + "\n" + amazon_row + "\n")
    detected = read(tmp_path)
    assert {p: r.summary.preset for p, r in detected.items()} == {
        str(amazon): "amazon_customer_reviews",
        str(kaggle): "womens_clothing",
    }
    fixed = read(tmp_path, SourceSpec(preset="womens_clothing"))
    error = fixed[str(amazon)].summary.error
    assert error is not None and error.startswith(
        f"{amazon}: missing required column(s) ['Review Text', 'Clothing ID'] for preset 'womens_clothing'"
    )
    assert fixed[str(kaggle)].summary.ok and len(fixed[str(kaggle)].accepted) == 1
    with pytest.raises(SourceError, match="amazon.tsv: missing required column"):
        read(tmp_path, SourceSpec(preset="womens_clothing"), on_file_error="raise")


def test_a_json_array_named_json_says_json_lines_hold_one_object_per_line(tmp_path):
    path = write(tmp_path, "array.json", json.dumps([{"id": "a"}, {"id": "b"}], indent=1))
    with pytest.raises(SourceError, match="array.json: line 1 is not valid JSON.*JSON array"):
        read_one(path, GENERIC, on_file_error="raise")
