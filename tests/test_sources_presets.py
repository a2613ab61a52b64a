"""Schema presets: the Kaggle clothing CSV, the Amazon TSV, a generic mapping, and auto-detection."""

import hashlib
import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from sentiment_assets.sources import ColumnMapping, SourceError, SourceSpec, gather, read_reviews
from sentiment_assets.sources.presets import AMAZON_COLUMNS
from sentiment_assets.sources.schema import ACCEPTED_DTYPES, NORMALISED_COLUMNS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
NOW_NAIVE = pd.Timestamp("2026-11-27 12:00:00")
CLOTHING_HEADER = ",Clothing ID,Age,Title,Review Text,Rating,Recommended IND,Positive Feedback Count,Division Name,Department Name,Class Name\n"
AMAZON_HEADER = "\t".join(AMAZON_COLUMNS) + "\n"
SHOP_MAPPING = ColumnMapping(review_id="order_line", review_body="comment", product_category="aisle",
                             star_rating="score", title="subject", date="written", extra=("store", "channel"))


def amazon_row(review_id, stars="5", body="Great shoes", category="Shoes", date="2015-08-31", headline="Nice"):
    fields = ["US", "1001", review_id, "P1", "9", "Running shoe", category, stars, "2", "3", "N", "Y", headline, body, date]
    return "\t".join(fields) + "\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_one(path, spec=SourceSpec(), **kwargs):
    [result] = gather(read_reviews(str(path), spec, NOW, **kwargs)).values()
    return result


def test_auto_detects_the_clothing_csv_and_uses_its_unnamed_index_as_review_id(tmp_path):
    path = write(tmp_path, "kaggle.csv", CLOTHING_HEADER + '7,767,33,Nice,"Soft, flattering",2,0,4,General,Dresses,Dresses\n')
    result = read_one(path)
    row = result.accepted.iloc[0]
    assert result.summary.preset == "womens_clothing"
    assert (row["review_id"], row["review_body"], row["star_rating"], row["sentiment"]) == ("7", "Soft, flattering", 2, -1)
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
    path = write(tmp_path, "shop.csv", "order_line,subject,comment,score,aisle,written,store,channel,ignored\n"
                                       "A-1,Too small,Runs small,2,Shoes,2024-03-01T10:00:00Z,Leeds,web,x\n")
    result = read_one(path, SourceSpec(preset="generic", mapping=SHOP_MAPPING))
    row = result.accepted.iloc[0]
    assert result.summary.preset == "generic"
    assert (row["review_id"], row["title"], row["review_body"], row["star_rating"], row["product_category"]) == (
        "A-1", "Too small", "Runs small", 2, "Shoes")
    assert row["date"] == pd.Timestamp("2024-03-01 10:00:00")
    assert json.loads(row["extra"]) == {"store": "Leeds", "channel": "web"}


def test_a_sentiment_label_in_words_or_numbers_fills_sentiment_and_leaves_star_rating_null(tmp_path):
    labels = ["Positive", " negative ", "neutral", "-1", "1", "0", "great", ""]
    path = write(tmp_path, "labelled.csv", "text,label,topic\n" + "".join(f"review {i},{v},Books\n" for i, v in enumerate(labels)))
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_body="text", product_category="topic", label="label"))
    result = read_one(path, spec)
    assert result.accepted["sentiment"].tolist() == [1, -1, 0, -1, 1, 0]
    assert result.accepted["star_rating"].isna().all()
    assert result.rejected["source_row"].tolist() == [7, 8]
    assert set(result.rejected["reason"]) == {"label is not negative/neutral/positive or -1/0/1"}


def test_auto_tries_the_generic_mapping_after_the_named_presets_file_by_file(tmp_path):
    write(tmp_path, "a_kaggle.csv", CLOTHING_HEADER + "0,1,30,t,good,5,1,0,General,Tops,Knits\n")
    write(tmp_path, "b_shop.csv", "order_line,subject,comment,score,aisle,written,store,channel\nA-1,s,fine,4,Shoes,2024-01-01,Leeds,web\n")
    results = gather(read_reviews(str(tmp_path), SourceSpec(mapping=SHOP_MAPPING), NOW))
    assert {path.rsplit("/", 1)[1]: r.summary.preset for path, r in results.items()} == {
        "a_kaggle.csv": "womens_clothing", "b_shop.csv": "generic"}


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
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars"))
    rows = ["Lovely,Dresses,5\n", "Awful,Dresses,1\n", "Lovely,Knits,5\n"]
    first = read_one(write(tmp_path, "one.csv", "text,cat,stars\n" + "".join(rows)), spec).accepted
    second = read_one(write(tmp_path, "two.csv", "stars,text,cat\n" + "".join(
        ",".join([r.split(",")[2].strip(), *r.split(",")[:2]]) + "\n" for r in reversed(rows))), spec).accepted
    ids_one = dict(zip(first["review_body"] + first["product_category"], first["review_id"]))
    ids_two = dict(zip(second["review_body"] + second["product_category"], second["review_id"]))
    assert ids_one == ids_two and len(set(ids_one.values())) == 3
    assert all(i.startswith("h") and len(i) == 17 for i in ids_one.values())


def test_without_a_date_column_the_date_is_the_ingestion_time_and_the_summary_says_so(tmp_path):
    path = write(tmp_path, "kaggle.csv", CLOTHING_HEADER + "0,1,30,t,good,5,1,0,General,Tops,Knits\n1,1,30,t,,5,1,0,General,Tops,Knits\n")
    result = read_one(path)
    assert (result.accepted["date"] == NOW_NAIVE).all()
    assert result.summary.date_defaulted_rows == 1  # the accepted row; the blank-text one was rejected
    assert any("no date column" in note and "ingestion time" in note for note in result.summary.notes)


def test_blank_dates_default_to_the_ingestion_time_and_unparseable_dates_are_rejected(tmp_path):
    dates = ["2020-01-02T03:04:05+02:00", "Aug 3, 2015", "", "2024-02-30", "yesterday"]
    path = write(tmp_path, "dated.csv", "text,cat,stars,when\n" + "".join(f'r{i},Books,4,"{d}"\n' for i, d in enumerate(dates)))
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars", date="when"))
    result = read_one(path, spec)
    assert result.accepted["date"].tolist() == [pd.Timestamp("2020-01-02 01:04:05"), pd.Timestamp("2015-08-03"), NOW_NAIVE]
    assert result.rejected["source_row"].tolist() == [4, 5] and set(result.rejected["reason"]) == {"unparseable date"}
    assert result.summary.date_defaulted_rows == 1 and "blank date" in result.summary.notes[0]


def test_accepted_rows_follow_the_contract_columns_and_dtypes_even_when_optional_columns_are_absent(tmp_path):
    path = write(tmp_path, "bare.csv", "text,cat,stars\nfine,Books,4\n")
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars"))
    accepted = read_one(path, spec).accepted
    assert tuple(accepted.columns) == NORMALISED_COLUMNS
    assert NORMALISED_COLUMNS[-1] == "review_body_normalised"  # columns are only ever appended
    assert {c: str(t) for c, t in accepted.dtypes.items()} == {c: str(pd.Series(dtype=d).dtype) for c, d in ACCEPTED_DTYPES.items()}


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


UNLABELLED_MAPPING = ColumnMapping(review_body="text", review_id="id")


def test_a_mapping_needs_only_the_review_text_and_then_is_unlabelled_and_uncategorised():
    bare = ColumnMapping(review_body="text")
    assert (bare.product_category, bare.star_rating, bare.label, bare.labelled) == (None, None, None, False)
    assert ColumnMapping(review_body="text", label="l").labelled and ColumnMapping(review_body="text", star_rating="s").labelled
    assert bare.source_columns() == ("text",)


@pytest.mark.parametrize("preset", ["generic", "auto"])
def test_an_unlabelled_csv_of_ids_and_text_is_accepted_in_full_with_null_sentiment_and_category_unknown(tmp_path, preset):
    path = write(tmp_path, "to_score.csv", "id,text\nS1,Lovely fabric\nS2,Fell apart after one wash\nS3,It is fine I guess\n")
    result = read_one(path, SourceSpec(preset=preset, mapping=UNLABELLED_MAPPING))
    assert result.summary.preset == "generic" and result.summary.ok
    assert (result.summary.rows_read, result.summary.accepted, result.summary.rejected) == (3, 3, 0)
    assert result.rejected.empty and result.summary.rejection_reasons == {}
    accepted = result.accepted
    assert accepted["review_id"].tolist() == ["S1", "S2", "S3"]
    assert accepted["review_body"].tolist() == ["Lovely fabric", "Fell apart after one wash", "It is fine I guess"]
    assert accepted["sentiment"].isna().all() and accepted["star_rating"].isna().all()
    assert accepted["product_category"].tolist() == ["unknown"] * 3
    assert {c: str(t) for c, t in accepted.dtypes.items()} == {c: str(pd.Series(dtype=d).dtype) for c, d in ACCEPTED_DTYPES.items()}
    assert result.summary.labelled is False
    assert any(note.startswith("unlabelled:") for note in result.summary.notes)
    assert "no category column: product_category is 'unknown'" in result.summary.notes


def test_an_unlabelled_file_rejects_no_row_for_its_label_but_still_for_blank_text_and_duplicates(tmp_path):
    path = write(tmp_path, "to_score.csv", "id,text\nS1,good\nS2,\nS1,again\nS4,fine\n")
    result = read_one(path, SourceSpec(preset="generic", mapping=UNLABELLED_MAPPING))
    assert result.accepted["review_id"].tolist() == ["S1", "S4"]
    assert dict(zip(result.rejected["source_row"], result.rejected["reason"])) == {
        2: "blank review text", 3: "duplicate review_id"}


def test_an_unlabelled_file_without_ids_gets_stable_content_hash_ids(tmp_path):
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_body="text"))
    first = read_one(write(tmp_path, "a.csv", "text\nLovely\nAwful\n"), spec).accepted["review_id"].tolist()
    again = read_one(write(tmp_path, "b.csv", "other,text\nx,Awful\ny,Lovely\n"), spec).accepted["review_id"].tolist()
    assert first == list(reversed(again)) and len(set(first)) == 2 and all(i.startswith("h") for i in first)


def test_a_mapped_category_column_with_a_blank_value_gives_unknown_not_a_rejection(tmp_path):
    path = write(tmp_path, "cats.csv", "id,text,cat,stars\nA,good,Shoes,5\nB,fine,  ,4\nC,ok,,3\n")
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_id="id", review_body="text", product_category="cat", star_rating="stars"))
    result = read_one(path, spec)
    assert result.rejected.empty
    assert result.accepted["product_category"].tolist() == ["Shoes", "unknown", "unknown"]
    assert result.summary.labelled is True and not any("category" in note for note in result.summary.notes)


def test_an_unlabelled_kaggle_export_without_the_rating_column_is_detected_as_womens_clothing(tmp_path):
    header = CLOTHING_HEADER.replace("Rating,", "")
    path = write(tmp_path, "kaggle_to_score.csv", header + '7,767,33,Nice,"Soft, flattering",0,4,General,Dresses,Dresses\n')
    result = read_one(path)
    row = result.accepted.iloc[0]
    assert result.summary.preset == "womens_clothing" and result.summary.labelled is False
    assert (row["review_id"], row["review_body"], row["product_category"], row["clothing_id"]) == ("7", "Soft, flattering", "Dresses", 767)
    assert pd.isna(row["star_rating"]) and pd.isna(row["sentiment"]) and result.rejected.empty


def test_a_kaggle_export_with_neither_rating_nor_class_name_reads_with_category_unknown(tmp_path):
    header = CLOTHING_HEADER.replace("Rating,", "").replace(",Class Name", "")
    path = write(tmp_path, "bare_kaggle.csv", header + "0,767,33,Nice,Soft,1,4,General,Dresses\n")
    result = read_one(path, SourceSpec(preset="womens_clothing"))
    assert result.summary.ok and result.summary.labelled is False
    assert result.accepted["product_category"].tolist() == ["unknown"] and result.accepted["sentiment"].isna().all()


def test_an_amazon_tsv_without_stars_and_category_reads_unlabelled(tmp_path):
    keep = [i for i, c in enumerate(AMAZON_COLUMNS) if c not in ("star_rating", "product_category")]
    fields = amazon_row("R1").rstrip("\n").split("\t")
    path = write(tmp_path, "amazon_to_score.tsv", "\t".join(AMAZON_COLUMNS[i] for i in keep) + "\n"
                 + "\t".join(fields[i] for i in keep) + "\n")
    result = read_one(path)
    row = result.accepted.iloc[0]
    assert result.summary.preset == "amazon_customer_reviews" and result.summary.labelled is False
    assert (row["review_id"], row["review_body"], row["product_category"]) == ("R1", "Great shoes", "unknown")
    assert pd.isna(row["sentiment"]) and pd.isna(row["star_rating"])


def test_a_generic_tsv_with_review_id_and_review_body_is_not_taken_for_the_amazon_layout(tmp_path):
    # Read as Amazon (unquoted), the quoted review with a tab inside would split into surplus fields.
    path = write(tmp_path, "export.tsv", 'review_id\treview_body\nG1\t"Loved it\tmostly"\nG2\tFine\n')
    with pytest.raises(SourceError, match="the header matches no preset"):
        read_one(path, on_file_error="raise")
    mapping = ColumnMapping(review_id="review_id", review_body="review_body")
    result = read_one(path, SourceSpec(mapping=mapping))
    assert result.summary.preset == "generic" and result.rejected.empty
    assert result.accepted["review_body"].tolist() == ["Loved it\tmostly", "Fine"]
    assert result.accepted["review_body_normalised"].tolist() == ["Loved it mostly", "Fine"]


def test_file_summary_says_whether_the_file_is_labelled_and_its_metadata_carries_it(tmp_path):
    write(tmp_path, "a_labelled.csv", "id,text,label\nL1,good,positive\n")
    write(tmp_path, "b_starred.csv", "id,text,stars\nL2,good,5\n")
    write(tmp_path, "c_unlabelled.csv", "id,text\nU1,good\n")
    write(tmp_path, "d_broken.csv", "")
    mappings = {"a_labelled.csv": ColumnMapping(review_id="id", review_body="text", label="label"),
                "b_starred.csv": ColumnMapping(review_id="id", review_body="text", star_rating="stars"),
                "c_unlabelled.csv": UNLABELLED_MAPPING, "d_broken.csv": UNLABELLED_MAPPING}
    summaries = {name: read_one(tmp_path / name, SourceSpec(preset="generic", mapping=mapping)).summary
                 for name, mapping in mappings.items()}
    assert {name: s.labelled for name, s in summaries.items()} == {
        "a_labelled.csv": True, "b_starred.csv": True, "c_unlabelled.csv": False, "d_broken.csv": False}
    assert not summaries["d_broken.csv"].ok
    metadata = {name: s.as_metadata() for name, s in summaries.items()}
    assert {name: m["labelled"] for name, m in metadata.items()} == {name: s.labelled for name, s in summaries.items()}
    json.dumps(metadata)  # plain JSON-able values


def test_review_body_is_stored_as_read_while_review_body_normalised_is_cleaned(tmp_path):
    raw = '  It&#039;s   lovely\u00a0&amp; warm\u200b  '
    path = write(tmp_path, "texts.csv", "id,text\n" + f'A,"{raw}"\n' + 'B,"""It has no side effect, I take it..."""\n')
    result = read_one(path, SourceSpec(preset="generic", mapping=UNLABELLED_MAPPING))
    assert result.accepted["review_body"].tolist() == [raw, '"It has no side effect, I take it..."']
    assert result.accepted["review_body_normalised"].tolist() == ["It's lovely & warm", "It has no side effect, I take it..."]


def test_a_review_that_is_only_invisible_characters_or_an_entity_space_is_rejected_as_blank(tmp_path):
    path = write(tmp_path, "blank.csv", "id,text\nA,\u200b\nB,&nbsp;\nC,\u00a0\u00ad\nD,\"\"\"\"\"\"\nE,real\n")
    result = read_one(path, SourceSpec(preset="generic", mapping=UNLABELLED_MAPPING))
    assert result.accepted["review_id"].tolist() == ["E"]
    assert dict(zip(result.rejected["source_row"], result.rejected["reason"])) == {
        1: "blank review text", 2: "blank review text", 3: "blank review text", 4: "blank review text"}


def test_derived_ids_hash_the_trimmed_values_as_before_so_ids_of_ingested_data_do_not_change(tmp_path):
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars"))
    result = read_one(write(tmp_path, "ids.csv", 'text,cat,stars\n"  Lovely  ",Dresses,5\n'), spec)
    key = "product_category=Dresses\x1freview_body=Lovely\x1fstar_rating=5"
    assert result.accepted["review_id"].tolist() == ["h" + hashlib.sha256(key.encode()).hexdigest()[:16]]
    assert result.accepted["review_body"].tolist() == ["  Lovely  "]


@pytest.mark.parametrize("preset", ["generic", "auto"])
def test_one_labelled_mapping_reads_a_labelled_file_and_an_unlabelled_one_alike(tmp_path, preset):
    mapping = ColumnMapping(review_id="id", review_body="text", label="stance", product_category="shop")
    labelled = read_one(write(tmp_path, "train.csv", "id,text,stance,shop\nT1,Lovely,positive,a\nT2,Awful,negative,b\n"),
                        SourceSpec(preset=preset, mapping=mapping))
    unlabelled = read_one(write(tmp_path, "score.csv", "id,text\nS1,Lovely fabric\n"), SourceSpec(preset=preset, mapping=mapping))
    assert labelled.summary.labelled and labelled.accepted["sentiment"].tolist() == [1, -1]
    assert not unlabelled.summary.labelled and unlabelled.summary.accepted == 1
    assert unlabelled.accepted["product_category"].tolist() == ["unknown"]
    # The id and the text stay required: a file without them is refused with the columns named.
    missing_id = read_one(write(tmp_path, "noid.csv", "text,stance\nLovely,positive\n"), SourceSpec(preset="generic", mapping=mapping))
    assert not missing_id.summary.ok and "id" in missing_id.summary.error
