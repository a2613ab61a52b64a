"""Files without labels or categories, one mapping for labelled and unlabelled files, and the
review text kept as read beside its normalised form."""

import hashlib
import json

import pandas as pd
import pytest
from source_files import CLOTHING_HEADER, amazon_row, read_one, write

from sentiment_assets.sources import ColumnMapping, SourceError, SourceSpec
from sentiment_assets.sources.presets import AMAZON_COLUMNS
from sentiment_assets.sources.schema import ACCEPTED_DTYPES

UNLABELLED_MAPPING = ColumnMapping(review_body="text", review_id="id")


def test_a_mapping_needs_only_the_review_text_and_then_is_unlabelled_and_uncategorised():
    bare = ColumnMapping(review_body="text")
    assert (bare.product_category, bare.star_rating, bare.label, bare.labelled) == (None, None, None, False)
    assert (
        ColumnMapping(review_body="text", label="l").labelled
        and ColumnMapping(review_body="text", star_rating="s").labelled
    )
    assert bare.source_columns() == ("text",)


@pytest.mark.parametrize("preset", ["generic", "auto"])
def test_an_unlabelled_csv_of_ids_and_text_is_accepted_in_full_with_null_sentiment_and_category_unknown(
    tmp_path, preset
):
    path = write(
        tmp_path, "to_score.csv", "id,text\nS1,Lovely fabric\nS2,Fell apart after one wash\nS3,It is fine I guess\n"
    )
    result = read_one(path, SourceSpec(preset=preset, mapping=UNLABELLED_MAPPING))
    assert result.summary.preset == "generic" and result.summary.ok
    assert (result.summary.rows_read, result.summary.accepted, result.summary.rejected) == (3, 3, 0)
    assert result.rejected.empty and result.summary.rejection_reasons == {}
    accepted = result.accepted
    assert accepted["review_id"].tolist() == ["S1", "S2", "S3"]
    assert accepted["review_body"].tolist() == ["Lovely fabric", "Fell apart after one wash", "It is fine I guess"]
    assert bool(accepted["sentiment"].isna().all()) and bool(accepted["star_rating"].isna().all())
    assert accepted["product_category"].tolist() == ["unknown"] * 3
    assert {c: str(t) for c, t in accepted.dtypes.items()} == {
        c: str(pd.Series(dtype=d).dtype) for c, d in ACCEPTED_DTYPES.items()
    }
    assert result.summary.labelled is False
    assert any(note.startswith("unlabelled:") for note in result.summary.notes)
    assert "no category column: product_category is 'unknown'" in result.summary.notes


def test_an_unlabelled_file_rejects_no_row_for_its_label_but_still_for_blank_text_and_duplicates(tmp_path):
    path = write(tmp_path, "to_score.csv", "id,text\nS1,good\nS2,\nS1,again\nS4,fine\n")
    result = read_one(path, SourceSpec(preset="generic", mapping=UNLABELLED_MAPPING))
    assert result.accepted["review_id"].tolist() == ["S1", "S4"]
    assert dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=False)) == {
        2: "blank review text",
        3: "duplicate review_id",
    }


def test_an_unlabelled_file_without_ids_gets_stable_content_hash_ids(tmp_path):
    spec = SourceSpec(preset="generic", mapping=ColumnMapping(review_body="text"))
    first = read_one(write(tmp_path, "a.csv", "text\nLovely\nAwful\n"), spec).accepted["review_id"].tolist()
    again = read_one(write(tmp_path, "b.csv", "other,text\nx,Awful\ny,Lovely\n"), spec).accepted["review_id"].tolist()
    assert first == list(reversed(again)) and len(set(first)) == 2 and all(i.startswith("h") for i in first)


def test_a_mapped_category_column_with_a_blank_value_gives_unknown_not_a_rejection(tmp_path):
    path = write(tmp_path, "cats.csv", "id,text,cat,stars\nA,good,Shoes,5\nB,fine,  ,4\nC,ok,,3\n")
    spec = SourceSpec(
        preset="generic",
        mapping=ColumnMapping(review_id="id", review_body="text", product_category="cat", star_rating="stars"),
    )
    result = read_one(path, spec)
    assert result.rejected.empty
    assert result.accepted["product_category"].tolist() == ["Shoes", "unknown", "unknown"]
    assert result.summary.labelled is True and not any("category" in note for note in result.summary.notes)


def test_an_unlabelled_kaggle_export_without_the_rating_column_is_detected_as_womens_clothing(tmp_path):
    header = CLOTHING_HEADER.replace("Rating,", "")
    path = write(
        tmp_path, "kaggle_to_score.csv", header + '7,767,33,Nice,"Soft, flattering",0,4,General,Dresses,Dresses\n'
    )
    result = read_one(path)
    row = result.accepted.iloc[0]
    assert result.summary.preset == "womens_clothing" and result.summary.labelled is False
    assert (row["review_id"], row["review_body"], row["product_category"], row["clothing_id"]) == (
        "7",
        "Soft, flattering",
        "Dresses",
        767,
    )
    assert pd.isna(row["star_rating"]) and pd.isna(row["sentiment"]) and result.rejected.empty


def test_a_kaggle_export_with_neither_rating_nor_class_name_reads_with_category_unknown(tmp_path):
    header = CLOTHING_HEADER.replace("Rating,", "").replace(",Class Name", "")
    path = write(tmp_path, "bare_kaggle.csv", header + "0,767,33,Nice,Soft,1,4,General,Dresses\n")
    result = read_one(path, SourceSpec(preset="womens_clothing"))
    assert result.summary.ok and result.summary.labelled is False
    assert result.accepted["product_category"].tolist() == ["unknown"]
    assert bool(result.accepted["sentiment"].isna().all())


def test_an_amazon_tsv_without_stars_and_category_reads_unlabelled(tmp_path):
    keep = [i for i, c in enumerate(AMAZON_COLUMNS) if c not in ("star_rating", "product_category")]
    fields = amazon_row("R1").rstrip("\n").split("\t")
    path = write(
        tmp_path,
        "amazon_to_score.tsv",
        "\t".join(AMAZON_COLUMNS[i] for i in keep) + "\n" + "\t".join(fields[i] for i in keep) + "\n",
    )
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
    mappings = {
        "a_labelled.csv": ColumnMapping(review_id="id", review_body="text", label="label"),
        "b_starred.csv": ColumnMapping(review_id="id", review_body="text", star_rating="stars"),
        "c_unlabelled.csv": UNLABELLED_MAPPING,
        "d_broken.csv": UNLABELLED_MAPPING,
    }
    summaries = {
        name: read_one(tmp_path / name, SourceSpec(preset="generic", mapping=mapping)).summary
        for name, mapping in mappings.items()
    }
    assert {name: s.labelled for name, s in summaries.items()} == {
        "a_labelled.csv": True,
        "b_starred.csv": True,
        "c_unlabelled.csv": False,
        "d_broken.csv": False,
    }
    assert not summaries["d_broken.csv"].ok
    metadata = {name: s.as_metadata() for name, s in summaries.items()}
    assert {name: m["labelled"] for name, m in metadata.items()} == {name: s.labelled for name, s in summaries.items()}
    json.dumps(metadata)  # plain JSON-able values


def test_review_body_is_stored_as_read_while_review_body_normalised_is_cleaned(tmp_path):
    raw = "  It&#039;s   lovely\u00a0&amp; warm\u200b  "
    path = write(tmp_path, "texts.csv", "id,text\n" + f'A,"{raw}"\n' + 'B,"""It has no side effect, I take it..."""\n')
    result = read_one(path, SourceSpec(preset="generic", mapping=UNLABELLED_MAPPING))
    assert result.accepted["review_body"].tolist() == [raw, '"It has no side effect, I take it..."']
    assert result.accepted["review_body_normalised"].tolist() == [
        "It's lovely & warm",
        "It has no side effect, I take it...",
    ]


def test_a_review_that_is_only_invisible_characters_or_an_entity_space_is_rejected_as_blank(tmp_path):
    path = write(tmp_path, "blank.csv", 'id,text\nA,\u200b\nB,&nbsp;\nC,\u00a0\u00ad\nD,""""""\nE,real\n')
    result = read_one(path, SourceSpec(preset="generic", mapping=UNLABELLED_MAPPING))
    assert result.accepted["review_id"].tolist() == ["E"]
    assert dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=False)) == {
        1: "blank review text",
        2: "blank review text",
        3: "blank review text",
        4: "blank review text",
    }


def test_derived_ids_hash_the_trimmed_values_as_before_so_ids_of_ingested_data_do_not_change(tmp_path):
    spec = SourceSpec(
        preset="generic", mapping=ColumnMapping(review_body="text", product_category="cat", star_rating="stars")
    )
    result = read_one(write(tmp_path, "ids.csv", 'text,cat,stars\n"  Lovely  ",Dresses,5\n'), spec)
    key = "product_category=Dresses\x1freview_body=Lovely\x1fstar_rating=5"
    assert result.accepted["review_id"].tolist() == ["h" + hashlib.sha256(key.encode()).hexdigest()[:16]]
    assert result.accepted["review_body"].tolist() == ["  Lovely  "]


@pytest.mark.parametrize("preset", ["generic", "auto"])
def test_one_labelled_mapping_reads_a_labelled_file_and_an_unlabelled_one_alike(tmp_path, preset):
    mapping = ColumnMapping(review_id="id", review_body="text", label="stance", product_category="shop")
    labelled = read_one(
        write(tmp_path, "train.csv", "id,text,stance,shop\nT1,Lovely,positive,a\nT2,Awful,negative,b\n"),
        SourceSpec(preset=preset, mapping=mapping),
    )
    unlabelled = read_one(
        write(tmp_path, "score.csv", "id,text\nS1,Lovely fabric\n"), SourceSpec(preset=preset, mapping=mapping)
    )
    assert labelled.summary.labelled and labelled.accepted["sentiment"].tolist() == [1, -1]
    assert not unlabelled.summary.labelled and unlabelled.summary.accepted == 1
    assert unlabelled.accepted["product_category"].tolist() == ["unknown"]
    # The id and the text stay required: a file without them is refused with the columns named.
    missing_id = read_one(
        write(tmp_path, "noid.csv", "text,stance\nLovely,positive\n"), SourceSpec(preset="generic", mapping=mapping)
    )
    assert not missing_id.summary.ok and missing_id.summary.error is not None and "id" in missing_id.summary.error
