"""Where reviews live: a local file, a glob, a directory, or an s3://bucket/prefix, expanded into
the files to read, each with its size and a content hash (the identity a landing-zone sensor needs:
same bytes, same file, whatever its name or timestamp)."""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .formats import SUFFIX_FORMATS, is_review_file
from .schema import SourceError

BLOCK_BYTES = 1 << 20  # hash and download in 1 MiB blocks: memory stays flat for any file size
GLOB_CHARACTERS = "*?["


@dataclass(frozen=True)
class SourceFile:
    """One file to read: its URI (a local path or s3://bucket/key), size in bytes, sha256 of its bytes."""

    uri: str
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.uri).name if self.uri.startswith("s3://") else Path(self.uri).name


def _sha256(stream: Any) -> str:
    digest = hashlib.sha256()
    while block := stream.read(BLOCK_BYTES):
        digest.update(block)
    return digest.hexdigest()


def _wanted(name: str) -> bool:
    # Hidden files and ".partial" downloads are not (yet) review files; other suffixes are not ours.
    return not name.startswith(".") and is_review_file(name)


def _local_files(location: str) -> list[Path]:
    path = Path(location)
    if any(c in location for c in GLOB_CHARACTERS):
        matches = [Path(p) for p in glob.glob(location, recursive=True)]
        return sorted(p for p in matches if p.is_file() and _wanted(p.name))
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and _wanted(p.name))
    if path.is_file():
        return [path]  # named explicitly: read even with an odd suffix (the reader says if it cannot)
    raise SourceError(location, "no such file or directory")


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise SourceError(uri, "an S3 location is s3://bucket/prefix")
    return bucket, key


def _list_s3(client: Any, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    """(key, size) of every object under prefix, following list_objects_v2's continuation tokens."""
    arguments = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = client.list_objects_v2(**arguments)
        for item in page.get("Contents", []):
            yield item["Key"], int(item["Size"])
        if not page.get("IsTruncated"):
            return
        arguments["ContinuationToken"] = page["NextContinuationToken"]


def _s3_objects(location: str, client: Any) -> list[tuple[str, int]]:
    """The keys an s3:// location means: the object itself, the review files directly under the
    prefix taken as a folder, or the keys matching a glob pattern (fnmatch: '*' also crosses '/')."""
    bucket, key = _split_s3(location)
    if any(c in key for c in GLOB_CHARACTERS):
        literal = key[: min(key.find(c) for c in GLOB_CHARACTERS if c in key)]
        listed = _list_s3(client, bucket, literal)
        return sorted((k, s) for k, s in listed if fnmatch.fnmatchcase(k, key) and _wanted(PurePosixPath(k).name))
    listed = list(_list_s3(client, bucket, key))
    exact = [(k, s) for k, s in listed if k == key and key and not key.endswith("/")]
    if exact:
        return exact
    folder = key if not key or key.endswith("/") else key + "/"
    return sorted(
        (k, s) for k, s in listed if k.startswith(folder) and "/" not in k[len(folder) :] and _wanted(k[len(folder) :])
    )


def expand_location(location: str, s3_client: Any = None) -> list[SourceFile]:
    """The review files at `location`, sorted by URI, each hashed by streaming its bytes.

    Directories (local or S3 prefixes) give the files directly inside them whose suffix is a
    review format (SUFFIX_FORMATS); use a glob such as "landing/**/*.csv" to descend. S3 goes
    through `s3_client` (a boto3 S3 client or anything with list_objects_v2/get_object).
    """
    if location.startswith("s3://"):
        if s3_client is None:
            raise SourceError(location, "an s3:// location needs an S3 client (the storage resource's boto3 client)")
        bucket, _ = _split_s3(location)
        files = []
        for key, size in _s3_objects(location, s3_client):
            body = s3_client.get_object(Bucket=bucket, Key=key)["Body"]
            files.append(SourceFile(f"s3://{bucket}/{key}", size, _sha256(body)))
    else:
        files = []
        for path in _local_files(location):
            with path.open("rb") as handle:
                files.append(SourceFile(str(path), path.stat().st_size, _sha256(handle)))
    if not files:
        raise SourceError(location, f"no review files found (looked for {list(SUFFIX_FORMATS)})")
    return files


@contextlib.contextmanager
def local_copy(source: SourceFile, s3_client: Any = None) -> Iterator[Path]:
    """A local path with the file's bytes: the file itself, or an S3 object downloaded (streamed)
    into a temporary directory that is removed afterwards. Readers need a path: Parquet seeks.

    Either way the bytes read are the bytes hashed when the file was listed: an S3 object is
    checked as it downloads, a local file is hashed again once read (a SourceError naming it
    when it changed in between, so the recorded sha256 is always that of the rows ingested)."""
    if not source.uri.startswith("s3://"):
        path = Path(source.uri)
        yield path
        try:
            with path.open("rb") as handle:
                now = _sha256(handle)
        except OSError as error:
            raise SourceError(source.uri, f"the file went away while it was read ({error})") from error
        if now != source.sha256:
            raise SourceError(
                source.uri,
                f"the file changed while it was read (sha256 {source.sha256} when listed, {now} after); read it again",
            )
        return
    bucket, key = _split_s3(source.uri)
    with tempfile.TemporaryDirectory(prefix="reviews-") as folder:
        path = Path(folder) / PurePosixPath(key).name
        digest = hashlib.sha256()
        body = s3_client.get_object(Bucket=bucket, Key=key)["Body"]
        with path.open("wb") as out:
            while block := body.read(BLOCK_BYTES):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != source.sha256:
            raise SourceError(source.uri, "the object changed between listing and reading; read it again")
        yield path
