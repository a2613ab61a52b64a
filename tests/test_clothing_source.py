from pathlib import Path

import pandas as pd
import pytest
from source_files import CLOTHING_HEADER, NOW

from sentiment_assets.sources import SourceError
from sentiment_assets.sources.clothing import read_clothing_reviews


def write(tmp_path: Path, body: str, name: str = "reviews.csv", header: str = CLOTHING_HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_good_rows_are_normalised_to_the_raw_reviews_schema(tmp_path):
    path = write(tmp_path, '0,767,33,Nice,"Soft, flattering dress",5,1,0,General,Dresses,Dresses\n')
    result = read_clothing_reviews(path, NOW)
    row = result.accepted.iloc[0]
    assert (row["review_id"], row["review_body"], row["star_rating"], row["product_category"]) == (
        "0",
        "Soft, flattering dress",
        5,
        "Dresses",
    )
    assert row["date"] == pd.Timestamp("2026-11-27 12:00:00")
    assert (row["source_file"], row["source_row"]) == (str(path), 1)


def test_unusable_rows_are_rejected_with_their_row_and_reason_and_nothing_is_lost(tmp_path):
    path = write(
        tmp_path,
        "".join(
            [
                "0,1,30,t,good,5,1,0,General,Tops,Knits\n",
                "1,1,30,t,zero stars,0,1,0,General,Tops,Knits\n",
                "2,1,30,t,six stars,6,1,0,General,Tops,Knits\n",
                "3,1,30,t,word stars,five,1,0,General,Tops,Knits\n",
                "0,1,30,t,duplicate id,4,1,0,General,Tops,Knits\n",
                ",1,30,t,no id,4,1,0,General,Tops,Knits\n",
                "6,1,30,t,,3,1,0,General,Tops,Knits\n",
            ]
        ),
    )
    result = read_clothing_reviews(path, NOW)
    assert len(result.accepted) + len(result.rejected) == result.rows_read == 7
    assert result.accepted["review_id"].tolist() == ["0"]
    reasons = dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=False))
    assert reasons == {
        2: "star_rating is not an integer 1..5",
        3: "star_rating is not an integer 1..5",
        4: "star_rating is not an integer 1..5",
        5: "duplicate review_id",
        6: "missing review_id",
        7: "blank review text",  # issue 3: NaN or blank text is quarantined at ingest
    }
    assert '"Review Text":"word stars"' in result.rejected.loc[result.rejected["source_row"] == 4, "raw_record"].iloc[0]


def test_missing_required_columns_name_the_file_and_the_columns(tmp_path):
    path = write(tmp_path, "0,hello\n", header=",Review Text\n")
    with pytest.raises(SourceError) as error:
        read_clothing_reviews(path, NOW)
    # Rating and Class Name are optional (an unlabelled export): the Kaggle file is known by Clothing ID.
    assert str(error.value).startswith(f"{path}: missing required column(s) ['Clothing ID']")


def test_a_non_utf8_file_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((CLOTHING_HEADER + "0,1,30,t,Tr\xe8s jolie,5,1,0,General,Tops,Knits\n").encode("latin-1"))
    with pytest.raises(SourceError, match="latin1.csv: not UTF-8"):
        read_clothing_reviews(path, NOW)


def test_an_empty_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(SourceError, match="empty.csv: the file is empty"):
        read_clothing_reviews(path, NOW)


def test_without_an_index_column_review_ids_are_stable_content_hashes(tmp_path):
    header = CLOTHING_HEADER.removeprefix(",")
    body = "1,30,t,good,5,1,0,General,Tops,Knits\n2,31,t,bad,1,0,0,General,Tops,Knits\n"
    first = read_clothing_reviews(write(tmp_path, body, "a.csv", header), NOW).accepted["review_id"].tolist()
    again = read_clothing_reviews(write(tmp_path, body, "b.csv", header), NOW).accepted["review_id"].tolist()
    assert first == again and len(set(first)) == 2 and all(i.startswith("h") for i in first)
