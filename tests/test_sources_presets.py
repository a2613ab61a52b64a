"""Schema presets: the Kaggle clothing CSV, the Amazon TSV, a generic mapping, and auto-detection."""

import json

import pandas as pd
import pytest
from source_files import AMAZON_HEADER, CLOTHING_HEADER, NOW, NOW_NAIVE, SHOP_MAPPING, amazon_row, read_one, write

from sentiment_assets.sources import ColumnMapping, SourceError, SourceSpec, gather, read_reviews
from sentiment_assets.sources.presets import AMAZON_COLUMNS
from sentiment_assets.sources.schema import ACCEPTED_DTYPES, NORMALISED_COLUMNS


def test_auto_detects_the_clothing_csv_and_uses_its_unnamed_index_as_review_id(tmp_path):
    path = write(
        tmp_path, "kaggle.csv", CLOTHING_HEADER + '7,767,33,Nice,"Soft, flattering",2,0,4,General,Dresses,Dresses\n'
    )
    result = read_one(path)
    row = result.accepted.iloc[0]
    assert result.summary.preset == "womens_clothing"
    assert (row["review_id"], row["review_body"], row["star_rating"], row["sentiment"]) == (
        "7",
        "Soft, flattering",
        2,
        -1,
    )
    assert (row["clothing_id"], row["age"], row["recommended"], row["positive_feedback_count"]) == (767, 33, 0, 4)
    assert (row["division_name"], row["department_name"], row["product_category"]) == ("General", "Dresses", "Dresses")
    assert row["date"] == NOW_NAIVE and pd.isna(row["extra"])


def test_auto_detects_the_amazon_tsv_with_its_dates_headlines_and_other_columns_kept_in_extra(tmp_path):
    path = write(tmp_path, "amazon_reviews_us_Shoes.tsv", AMAZON_HEADER + amazon_row("R1", stars="3", headline="Okay"))
    result = read_one(path)
    row = result.accepted.iloc[0]
    assert result.summary.preset == "amazon_customer_reviews"
    assert (row["review_id"], row["title"], row["star_rating"], row["sentiment"]) == ("R1", "Okay", 3, 0)
    assert row["date"] == pd.Timestamp("2015-08-31") and result.summary.date_defaulted_rows == 0
    extra = json.loads(row["extra"])
    assert extra["product_title"] == "Running shoe" and extra["verified_purchase"] == "Y" and len(extra) == 9


def test_amazon_tsv_fields_are_unquoted_so_a_review_starting_with_a_quote_does_not_swallow_the_next_line(tmp_path):
    path = write(tmp_path, "amazon.tsv", AMAZON_HEADER + amazon_row("R1", body='"Loved it, mostly') + amazon_row("R2"))
    result = read_one(path)
    assert result.summary.rows_read == 2
    assert result.accepted["review_body"].tolist() == ['"Loved it, mostly', "Great shoes"]


def test_a_generic_mapping_reads_a_shop_export_and_keeps_the_extra_columns(tmp_path):
    path = write(
        tmp_path,
        "shop.csv",
        "order_line,subject,comment,score,aisle,written,store,channel,ignored\n"
        "A-1,Too small,Runs small,2,Shoes,2024-03-01T10:00:00Z,Leeds,web,x\n",
    )
    result = read_one(path, SourceSpec(preset="generic", mapping=SHOP_MAPPING))
    row = result.accepted.iloc[0]
    assert result.summary.preset == "generic"
    assert (row["review_id"], row["title"], row["review_body"], row["star_rating"], row["product_category"]) == (
        "A-1",
        "Too small",
        "Runs small",
        2,
        "Shoes",
    )
    assert row["date"] == pd.Timestamp("2024-03-01 10:00:00")
    assert json.loads(row["extra"]) == {"store": "Leeds", "channel": "web"}


def test_a_sentiment_label_in_words_or_numbers_fills_sentiment_and_leaves_star_rating_null(tmp_path):
    labels = ["Positive", " negative ", "neutral", "-1", "1", "0", "great", ""]
    path = write(
        tmp_path,
        "labelled.csv",
        "text,label,topic\n" + "".join(f"review {i},{v},Books\n" for i, v in enumerate(labels)),
    )
    spec = SourceSpec(
        preset="generic", mapping=ColumnMapping(review_body="text", product_category="topic", label="label")
    )
    result = read_one(path, spec)
    assert result.accepted["sentiment"].tolist() == [1, -1, 0, -1, 1, 0]
    assert bool(result.accepted["star_rating"].isna().all())
    assert result.rejected["source_row"].tolist() == [7, 8]
    assert set(result.rejected["reason"]) == {"label is not negative/neutral/positive or -1/0/1"}


def test_auto_tries_the_generic_mapping_after_the_named_presets_file_by_file(tmp_path):
    write(tmp_path, "a_kaggle.csv", CLOTHING_HEADER + "0,1,30,t,good,5,1,0,General,Tops,Knits\n")
    write(
        tmp_path,
        "b_shop.csv",
        "order_line,subject,comment,score,aisle,written,store,channel\nA-1,s,fine,4,Shoes,2024-01-01,Leeds,web\n",
    )
    results = gather(read_reviews(str(tmp_path), SourceSpec(mapping=SHOP_MAPPING), NOW))
    assert {path.rsplit("/", 1)[1]: r.summary.preset for path, r in results.items()} == {
        "a_kaggle.csv": "womens_clothing",
        "b_shop.csv": "generic",
    }


def test_a_header_that_matches_no_preset_is_an_error_listing_the_expected_and_found_columns(tmp_path):
    path = write(tmp_path, "mystery.csv", "comment,score\nnice,5\n")
    with pytest.raises(SourceError) as error:
        read_one(path, on_file_error="raise")
    message = str(error.value)
    assert message.startswith(f"{path}: the header matches no preset")
    assert "womens_clothing needs ['Review Text', 'Clothing ID']" in message
    assert "amazon_customer_reviews needs ['marketplace', 'review_id', 'product_id', 'review_body']" in message
    assert "Found ['comment', 'score']" in message
    assert "for another layout use preset 'generic' with a column mapping" in message
    assert "a file without labels (to score) needs only its text column, mapped as review_body" in message


def test_a_fixed_preset_missing_required_columns_names_the_file_the_preset_and_both_column_lists(tmp_path):
    header = "\t".join(c for c in AMAZON_COLUMNS if c != "review_body") + "\n"
    path = write(tmp_path, "no_text.tsv", header)
    with pytest.raises(SourceError) as error:
        read_one(path, SourceSpec(preset="amazon_customer_reviews"), on_file_error="raise")
    message = str(error.value)
    assert f"{path}: missing required column(s) ['review_body'] for preset 'amazon_customer_reviews'" in message
    assert "expected ['marketplace'" in message and "found ['marketplace'" in message


def test_derived_review_ids_are_the_same_for_the_same_row_in_any_file_and_differ_between_rows(tmp_path):
    spec = SourceSpec(
        preset="generic", mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars")
    )
    rows = ["Lovely,Dresses,5\n", "Awful,Dresses,1\n", "Lovely,Knits,5\n"]
    first = read_one(write(tmp_path, "one.csv", "text,cat,stars\n" + "".join(rows)), spec).accepted
    second = read_one(
        write(
            tmp_path,
            "two.csv",
            "stars,text,cat\n"
            + "".join(",".join([r.split(",")[2].strip(), *r.split(",")[:2]]) + "\n" for r in reversed(rows)),
        ),
        spec,
    ).accepted
    ids_one = dict(zip(first["review_body"] + first["product_category"], first["review_id"], strict=False))
    ids_two = dict(zip(second["review_body"] + second["product_category"], second["review_id"], strict=False))
    assert ids_one == ids_two and len(set(ids_one.values())) == 3
    assert all(i.startswith("h") and len(i) == 17 for i in ids_one.values())


def test_without_a_date_column_the_date_is_the_ingestion_time_and_the_summary_says_so(tmp_path):
    path = write(
        tmp_path,
        "kaggle.csv",
        CLOTHING_HEADER + "0,1,30,t,good,5,1,0,General,Tops,Knits\n1,1,30,t,,5,1,0,General,Tops,Knits\n",
    )
    result = read_one(path)
    assert (result.accepted["date"] == NOW_NAIVE).all()
    assert result.summary.date_defaulted_rows == 1  # the accepted row; the blank-text one was rejected
    assert any("no date column" in note and "ingestion time" in note for note in result.summary.notes)


def test_blank_dates_default_to_the_ingestion_time_and_unparseable_dates_are_rejected(tmp_path):
    dates = ["2020-01-02T03:04:05+02:00", "Aug 3, 2015", "", "2024-02-30", "yesterday"]
    path = write(
        tmp_path, "dated.csv", "text,cat,stars,when\n" + "".join(f'r{i},Books,4,"{d}"\n' for i, d in enumerate(dates))
    )
    spec = SourceSpec(
        preset="generic",
        mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars", date="when"),
    )
    result = read_one(path, spec)
    assert result.accepted["date"].tolist() == [
        pd.Timestamp("2020-01-02 01:04:05"),
        pd.Timestamp("2015-08-03"),
        NOW_NAIVE,
    ]
    assert result.rejected["source_row"].tolist() == [4, 5] and set(result.rejected["reason"]) == {"unparseable date"}
    assert result.summary.date_defaulted_rows == 1 and "blank date" in result.summary.notes[0]


def test_accepted_rows_follow_the_contract_columns_and_dtypes_even_when_optional_columns_are_absent(tmp_path):
    path = write(tmp_path, "bare.csv", "text,cat,stars\nfine,Books,4\n")
    spec = SourceSpec(
        preset="generic", mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars")
    )
    accepted = read_one(path, spec).accepted
    assert tuple(accepted.columns) == NORMALISED_COLUMNS
    assert NORMALISED_COLUMNS[-1] == "review_body_normalised"  # columns are only ever appended
    assert {c: str(t) for c, t in accepted.dtypes.items()} == {
        c: str(pd.Series(dtype=d).dtype) for c, d in ACCEPTED_DTYPES.items()
    }


def test_specs_and_mappings_that_cannot_work_are_refused_when_they_are_made():
    with pytest.raises(ValueError, match="at most one of `star_rating`.*not both: got star_rating='s' and label='l'"):
        ColumnMapping(review_body="t", product_category="c", star_rating="s", label="l")
    with pytest.raises(ValueError, match="at most one of `star_rating`"):
        ColumnMapping(review_body="t", star_rating="s", label="l")
    with pytest.raises(ValueError, match="needs a column mapping"):
        SourceSpec(preset="generic")
    with pytest.raises(ValueError, match="unknown preset"):
        SourceSpec(preset="kaggle")
    with pytest.raises(ValueError, match="unknown encoding"):
        SourceSpec(encoding="klingon")
    with pytest.raises(ValueError, match="more_columns may only fill"):
        ColumnMapping(review_body="t", product_category="c", star_rating="s", more_columns={"review_id": "x"})
