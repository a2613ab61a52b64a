"""Hostile and broken review files: every record is accepted, quarantined with a reason, or the
whole file is refused naming the line; accepted text is stored exactly as read; memory stays
bounded whatever the input."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hostile_files import DATED, SPEC, jsonl, read, reasons, refusal, write
from source_files import NOW, json_cell

from sentiment_assets.sources import gather, read_reviews

# 1. Unterminated quotes


def quoted_rows(count, broken=None):
    lines = []
    for i in range(1, count + 1):
        closing = "" if i == broken else '"'
        lines.append(f'r{i},"review {i}, fine{closing},5\n')
    return "id,text,stars\n" + "".join(lines)


def test_an_unterminated_quote_in_row_501_of_1000_refuses_the_file_naming_the_line_it_opened_on(tmp_path):
    message = refusal(write(tmp_path, "open.csv", quoted_rows(1000, broken=501)), chunk_rows=100)
    assert ": line 502: a quoted value is not closed properly at line 503" in message  # row 501 is line 502
    assert "unterminated quote" in message and "not ingested" in message
    assert len(read(write(tmp_path, "closed.csv", quoted_rows(1000)), chunk_rows=100).accepted) == 1000


def test_a_quote_still_open_at_the_end_of_the_file_refuses_it_naming_the_line_it_opened_on(tmp_path):
    body = "".join(f"r{i},review {i},5\n" for i in range(1, 1001)).replace("r501,review", 'r501,"review')
    message = refusal(write(tmp_path, "eof.csv", "id,text,stars\n" + body))
    assert ": line 502: a quoted value is still open at the end of the file (line 1001)" in message
    assert "quoting='none'" in message  # the way out for a file whose values are never quoted


def test_a_quote_that_swallows_a_line_and_leaves_the_wrong_field_count_refuses_the_file(tmp_path):
    # The stray quote that "closes" the open one ends a value, so the quoting itself looks fine.
    text = 'id,text,stars\nr1,"opened here,5\nr2,bought it in size 27"\nr3,fine,5\n'
    message = refusal(write(tmp_path, "swallow.csv", text))
    assert ": line 2: a quoted value spans lines 2-3 and leaves 2 fields, not the header's 3" in message


def test_multi_line_quoted_reviews_in_a_well_formed_file_are_read_whole_with_their_line_endings(tmp_path):
    texts = ['one\ntwo, "three"', "crlf\r\nkept", "lone\rcarriage", "\n\nleading blank lines"]
    body = "".join(f'r{i},"{t.replace(chr(34), chr(34) * 2)}",5\r\n' for i, t in enumerate(texts))
    result = read(write(tmp_path, "multi.csv", "id,text,stars\r\n" + body + "\r\n\r\n"))
    assert result.accepted["review_body"].tolist() == texts and result.rejected.empty


def test_a_one_line_row_with_broken_quoting_is_quarantined_with_its_line_as_read(tmp_path):
    text = 'id,text,stars\nr1,"He said "hi" to me",5\nr2,"fine ""quoted""",5\nr3,a 5" screen,4\n'
    result = read(write(tmp_path, "broken.csv", text))
    assert result.accepted["review_body"].tolist() == ['fine "quoted"', 'a 5" screen']
    assert reasons(result) == {
        1: "malformed quoting (a quote inside a quoted value not doubled, or text after a closing quote)"
    }
    assert json_cell(result.rejected, "raw_record", 0) == {"_unparsed_line": 'r1,"He said "hi" to me",5\n'}


# 2. NUL bytes


def test_a_nul_in_a_review_is_kept_as_read_in_csv_tsv_jsonl_and_parquet_alike(tmp_path):
    text = "hello\x00world"
    paths = [
        write(tmp_path, "nul.csv", f"id,text,stars\na,{text},5\n"),
        write(tmp_path, "nul.tsv", f"id\ttext\tstars\na\t{text}\t5\n"),
        write(tmp_path, "nul.jsonl", jsonl([{"id": "a", "text": text, "stars": 5}])),
        write(tmp_path, "raw_nul.jsonl", '{"id": "a", "text": "hello\x00world", "stars": 5}\n'),
    ]
    pd.DataFrame({"id": ["a"], "text": [text], "stars": [5]}).to_parquet(tmp_path / "nul.parquet")
    for path in [*paths, tmp_path / "nul.parquet"]:
        assert read(path).accepted["review_body"].tolist() == [text], path.name


# 3. Binary Parquet text


def test_a_binary_parquet_text_column_is_decoded_and_its_one_value_that_is_not_utf8_quarantined(tmp_path):
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "text": pa.array([b"bytes body", b"caf\xe9", "Zu gro\u00df".encode()]),
            "stars": [5, 4, 3],
        }
    )
    pq.write_table(table, tmp_path / "binary.parquet")
    result = read(tmp_path / "binary.parquet")
    assert result.accepted["review_body"].tolist() == ["bytes body", "Zu gro\u00df"]
    assert reasons(result) == {2: "column 'text' is not valid UTF-8 text"}
    assert json_cell(result.rejected, "raw_record", 0)["text"] == "caf\\xe9"  # the bytes, escaped; no b'...'


# 5. Duplicate column names


def test_a_header_that_names_a_column_twice_is_refused_naming_the_column(tmp_path):
    message = refusal(write(tmp_path, "twice.csv", "id,text,stars,text\na,first,5,second\n"))
    assert "duplicate column name(s) in the header: 'text' (columns 2, 4)" in message
    pq.write_table(
        pa.table([["a"], ["first"], [5], ["second"]], names=["id", "text", "stars", "text"]), tmp_path / "twice.parquet"
    )
    assert "duplicate column name(s) in the header: 'text'" in refusal(tmp_path / "twice.parquet")


# 6. A byte order mark in JSON Lines


def test_a_json_lines_file_starting_with_a_utf8_byte_order_mark_is_read(tmp_path):
    path = write(
        tmp_path,
        "bom.jsonl",
        "\ufeff"
        + jsonl([{"id": "a", "text": "\ufeffkept inside", "stars": 5}, {"id": "b", "text": "two", "stars": 4}]),
    )
    result = read(path)
    assert result.accepted["review_body"].tolist() == ["\ufeffkept inside", "two"]  # only the file's mark goes


# 7. Invisible text


def test_texts_made_only_of_invisible_characters_are_quarantined_as_blank(tmp_path):
    invisible = [
        "\u200b",
        "\ufeff",
        "\u200e\u200f",
        "\u2066\u2069",
        "\u3164",
        "\u2800",
        "\ufe0f",
        "\u00ad\u2060",
        "\x00",
        "\u180e \u034f",
        "\u202a\u202c",
        "\U000e0041",
    ]
    texts = [*invisible, "visible\u200b"]
    result = read(
        write(tmp_path, "invisible.jsonl", jsonl({"id": f"r{i}", "text": t, "stars": 5} for i, t in enumerate(texts)))
    )
    assert result.accepted["review_body"].tolist() == ["visible\u200b"]
    assert set(reasons(result).values()) == {"blank review text"} and len(result.rejected) == len(invisible)


# 8. Ids that are missing-value markers


def test_ids_nan_inf_and_none_are_quarantined_not_taken_as_review_ids(tmp_path):
    ids = ["nan", "NaN", "inf", "-inf", "+Infinity", "None", "null", "<NA>", "ok"]
    result = read(write(tmp_path, "ids.csv", "id,text,stars\n" + "".join(f"{i},fine,5\n" for i in ids)))
    assert result.accepted["review_id"].tolist() == ["ok"]
    assert set(reasons(result).values()) == {
        "review_id is a missing-value or infinity marker (nan, inf, None, null, NA), not an id"
    }
    typed = write(
        tmp_path,
        "ids.jsonl",
        '{"id": NaN, "text": "a", "stars": 5}\n'
        '{"id": Infinity, "text": "b", "stars": 5}\n'
        '{"id": 7, "text": "c", "stars": 5}\n',
    )
    assert read(typed).accepted["review_id"].tolist() == ["7"]
    pd.DataFrame({"id": [np.nan, 1.0], "text": ["a", "b"], "stars": [5, 5]}).to_parquet(tmp_path / "ids.parquet")
    assert read(tmp_path / "ids.parquet").rejected["source_row"].tolist() == [1]


# 9. Dates outside the nanosecond range


def test_dates_outside_the_supported_range_say_so_instead_of_unparseable(tmp_path):
    rows = ["a,x,5,1500-01-01", "b,x,5,2300-05-06T10:00:00Z", "c,x,5,Aug 3 1492", "d,x,5,garbage", "e,x,5,2015-08-31"]
    result = read(write(tmp_path, "dates.csv", "id,text,stars,when\n" + "\n".join(rows) + "\n"), DATED)
    out_of_range = "date outside the range the warehouse stores (1677-09-21 to 2262-04-11: nanosecond timestamps)"
    assert reasons(result) == {1: out_of_range, 2: out_of_range, 3: out_of_range, 4: "unparseable date"}
    assert result.accepted["date"].tolist() == [pd.Timestamp("2015-08-31")]


# 10. JSON objects and arrays as review text


def test_a_json_object_or_array_as_review_text_is_quarantined_not_accepted_as_its_json(tmp_path):
    records = [
        {"id": "a", "text": {"body": "good"}, "stars": 5},
        {"id": "b", "text": ["good"], "stars": 5},
        {"id": "c", "text": "good", "stars": 5, "tags": ["kept", "in extra"]},
    ]
    result = read(write(tmp_path, "nested.jsonl", jsonl(records)))
    assert result.accepted["review_id"].tolist() == ["c"]
    assert reasons(result) == {
        1: "review text is a JSON object, not a string (column 'text')",
        2: "review text is a JSON array, not a string (column 'text')",
    }
    struct = pa.array([{"body": "good"}, None], pa.struct([("body", pa.string())]))
    pq.write_table(pa.table({"id": ["a", "b"], "text": struct, "stars": [5, 5]}), tmp_path / "nested.parquet")
    assert reasons(read(tmp_path / "nested.parquet")) == {
        1: "review text is a JSON object, not a string (column 'text')",
        2: "blank review text",
    }


# 11. Surplus fields


def test_a_row_with_20_surplus_fields_is_quarantined_like_a_row_with_2(tmp_path):
    body = "a,fine,5\nb,two,5,x,y\nc,twenty,5" + ",s" * 20 + "\nd,fine,4\n"
    result = read(write(tmp_path, "surplus.csv", "id,text,stars\n" + body))
    assert result.accepted["review_id"].tolist() == ["a", "d"]
    assert set(reasons(result)) == {2, 3}
    assert set(reasons(result).values()) == {"more fields than the header (an unquoted delimiter in a value?)"}
    assert json_cell(result.rejected, "raw_record", 1)["_field_23"] == "s"  # every surplus field kept


def test_the_results_do_not_depend_on_the_chunk_size(tmp_path):
    body = 'a,fine,5\nb,"x"y,5\nc,twenty,5' + ",s" * 20 + "\nd,\u200b,4\nnan,ok,3\ne,fine,4\n"
    path = write(tmp_path, "mixed.csv", "id,text,stars\n" + body)
    whole = read(path)
    for size in (1, 2, 4):
        batches = list(read_reviews(str(path), SPEC, NOW, chunk_rows=size))
        [chunked] = gather(batches).values()
        pd.testing.assert_frame_equal(chunked.rejected, whole.rejected)
        pd.testing.assert_frame_equal(chunked.accepted, whole.accepted)


def test_json_that_python_cannot_hold_is_refused_naming_the_line_not_raised_as_a_crash(tmp_path):
    huge_number = write(
        tmp_path,
        "digits.jsonl",
        jsonl([{"id": "a", "text": "ok", "stars": 5}]) + '{"id": "b", "text": "ok", "stars": 1' + "0" * 5000 + "}\n",
    )
    assert ": line 2 cannot be read as JSON: Exceeds the limit (4300 digits)" in refusal(huge_number)
    deep = write(tmp_path, "deep.jsonl", '{"id": "a", "text": ' + "[" * 100_000 + "]" * 100_000 + ', "stars": 5}\n')
    assert ": line 1 cannot be read as JSON: maximum recursion depth exceeded" in refusal(deep)
