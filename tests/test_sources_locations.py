"""Locations: a file, a glob, a directory or an s3:// prefix, expanded into hashed files."""

import hashlib
import io

import pytest
from source_files import CLOTHING_HEADER, NOW

from sentiment_assets.sources import SourceError, SourceSpec, expand_location, gather, read_reviews

CSV = (CLOTHING_HEADER + "0,1,30,t,good,5,1,0,General,Tops,Knits\n").encode()


class FakeS3:
    """The two calls the reader makes, over a dict of key -> bytes, listing `page_size` keys a page."""

    def __init__(self, objects, page_size=2):
        self.objects, self.page_size, self.gets = dict(objects), page_size, []

    def list_objects_v2(self, Bucket, Prefix, ContinuationToken=None):
        assert Bucket == "bucket"
        keys = sorted(k for k in self.objects if k.startswith(Prefix))
        start = int(ContinuationToken or 0)
        page = keys[start : start + self.page_size]
        more = start + self.page_size < len(keys)
        return {
            "Contents": [{"Key": k, "Size": len(self.objects[k])} for k in page],
            "IsTruncated": more,
            **({"NextContinuationToken": str(start + self.page_size)} if more else {}),
        }

    def get_object(self, Bucket, Key):
        self.gets.append(Key)
        return {"Body": io.BytesIO(self.objects[Key])}


def make_files(folder, names):
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(CSV + name.encode())


def test_a_directory_gives_its_review_files_sorted_and_skips_other_hidden_and_partial_files(tmp_path):
    make_files(
        tmp_path,
        [
            "b.tsv",
            "a.csv",
            "c.parquet",
            "d.jsonl",
            "e.csv.gz",
            "notes.txt",
            ".hidden.csv",
            "f.csv.partial",
            "sub/g.csv",
        ],
    )
    assert [f.name for f in expand_location(str(tmp_path))] == ["a.csv", "b.tsv", "c.parquet", "d.jsonl", "e.csv.gz"]


def test_a_glob_may_descend_into_subfolders(tmp_path):
    make_files(tmp_path, ["a.csv", "sub/g.csv", "sub/h.tsv"])
    assert [f.name for f in expand_location(str(tmp_path / "**" / "*.csv"))] == ["a.csv", "g.csv"]


def test_each_file_carries_its_size_and_the_sha256_of_its_bytes_whatever_its_name(tmp_path):
    (tmp_path / "one.csv").write_bytes(CSV)
    (tmp_path / "copy.csv").write_bytes(CSV)
    one, copy = expand_location(str(tmp_path / "one.csv"))[0], expand_location(str(tmp_path / "copy.csv"))[0]
    assert one.sha256 == copy.sha256 == hashlib.sha256(CSV).hexdigest() and one.size == len(CSV)
    (tmp_path / "copy.csv").write_bytes(CSV + b"1,1,30,t,more,4,1,0,General,Tops,Knits\n")
    assert expand_location(str(tmp_path / "copy.csv"))[0].sha256 != one.sha256


def test_a_missing_path_and_a_folder_without_review_files_are_errors_naming_the_location(tmp_path):
    with pytest.raises(SourceError, match="nowhere.csv: no such file or directory"):
        expand_location(str(tmp_path / "nowhere.csv"))
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(SourceError, match=f"{tmp_path}: no review files found"):
        list(read_reviews(str(tmp_path), SourceSpec(), NOW))


def test_an_s3_prefix_lists_every_page_and_takes_the_review_files_directly_under_it():
    s3 = FakeS3(
        {
            "landing/b.csv": CSV,
            "landing/a.tsv": CSV,
            "landing/c.csv": CSV,
            "landing/old/x.csv": CSV,
            "landing/notes.txt": CSV,
            "landing2/z.csv": CSV,
        }
    )
    uris = [f.uri for f in expand_location("s3://bucket/landing", s3)]
    assert uris == ["s3://bucket/landing/a.tsv", "s3://bucket/landing/b.csv", "s3://bucket/landing/c.csv"]
    assert [f.uri for f in expand_location("s3://bucket/landing/", s3)] == uris


def test_an_s3_uri_may_name_one_object_or_a_glob():
    s3 = FakeS3({"landing/a.csv": CSV, "landing/b.tsv": CSV, "landing/2024/c.csv": CSV})
    assert [f.uri for f in expand_location("s3://bucket/landing/a.csv", s3)] == ["s3://bucket/landing/a.csv"]
    assert [f.uri for f in expand_location("s3://bucket/landing/*.csv", s3)] == [
        "s3://bucket/landing/2024/c.csv",
        "s3://bucket/landing/a.csv",
    ]


def test_s3_objects_are_hashed_and_read_through_the_client_into_the_normalised_table():
    s3 = FakeS3({"landing/a.csv": CSV})
    [source] = expand_location("s3://bucket/landing", s3)
    assert source.sha256 == hashlib.sha256(CSV).hexdigest() and source.size == len(CSV)
    [result] = gather(read_reviews("s3://bucket/landing", SourceSpec(), NOW, s3_client=s3)).values()
    assert result.summary.ok and result.accepted["source_file"].tolist() == ["s3://bucket/landing/a.csv"]
    assert result.summary.sha256 == source.sha256


def test_an_s3_object_that_changes_between_listing_and_reading_is_an_error():
    class ChangingS3(FakeS3):
        def get_object(self, Bucket, Key):
            body = super().get_object(Bucket, Key)
            self.objects[Key] = CSV + b"1,1,30,t,new,4,1,0,General,Tops,Knits\n"  # a later upload
            return body

    with pytest.raises(SourceError, match="landing/a.csv: the object changed between listing and reading"):
        list(
            read_reviews(
                "s3://bucket/landing",
                SourceSpec(),
                NOW,
                s3_client=ChangingS3({"landing/a.csv": CSV}),
                on_file_error="raise",
            )
        )


def test_an_s3_location_without_a_client_says_it_needs_one():
    with pytest.raises(SourceError, match="needs an S3 client"):
        expand_location("s3://bucket/landing")
