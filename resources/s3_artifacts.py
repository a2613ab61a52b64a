"""The aws profile's artifact store: s3://{bucket}/{prefix}/..., mirrored through a local cache.

Assets ask for `artifacts.path("bias", "report.md")` and then read or write that file with any
library, so the store hands out local paths and keeps S3 in step:

- `path()` first downloads the object (or every object under it, for a directory) when S3 has
  it and the cache does not, so a fresh process reads what an earlier run wrote;
- `write_json` / `write_bytes` upload at once;
- files written through `path()` are uploaded by `sync()`, which teardown_after_execution runs
  at the end of every run: every cache file new or changed since setup (or since it was
  downloaded or last uploaded).

checkpoints/ is never mirrored: fine-tuning checkpoints go to `uri("checkpoints", ...)` through
the S3 checkpoint store, and copying gigabytes twice is the cost this avoids. Credentials come
only from the standard AWS chain; none is a field here and none is logged.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource
from pydantic import Field, PrivateAttr, field_validator

from resources.artifacts import ArtifactStore, json_bytes

logger = logging.getLogger(__name__)

NOT_MIRRORED = "checkpoints"
_PROCESS_CACHE: dict[int, str] = {}


def process_cache_dir() -> str:
    """One temp directory per process: a worker process never reads another's half-written files."""
    pid = os.getpid()
    if pid not in _PROCESS_CACHE:
        _PROCESS_CACHE[pid] = tempfile.mkdtemp(prefix="sentiment-artifacts-")
    return _PROCESS_CACHE[pid]


Signature = tuple[int, int]  # (mtime_ns, size) of a cache file


class S3ArtifactStore(ArtifactStore):
    """Artifacts under s3://{bucket}/{prefix}/, read and written through the local cache `root`."""

    bucket: str
    prefix: str = "artifacts"
    root: str = Field(
        default="", validate_default=True, description="local cache directory; empty = a temp directory per process"
    )
    endpoint_url: str | None = None
    region_name: str | None = None

    _client: Any = PrivateAttr(default=None)
    # Cache files as they were last downloaded, uploaded or seen at setup; None until first use.
    _synced: dict[str, Signature] | None = PrivateAttr(default=None)

    @field_validator("root")
    @classmethod
    def _cache_directory(cls, root: str) -> str:
        return root or process_cache_dir()

    # --- names ------------------------------------------------------------------------------

    def _relative(self, *parts: str) -> str:
        return PurePosixPath(*(str(p) for p in parts)).as_posix()

    def key(self, *parts: str) -> str:
        relative = self._relative(*parts)
        return f"{self.prefix.strip('/')}/{relative}" if self.prefix.strip("/") else relative

    def uri(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"

    @staticmethod
    def _mirrored(relative: str) -> bool:
        return PurePosixPath(relative).parts[:1] != (NOT_MIRRORED,)

    # --- the cache --------------------------------------------------------------------------

    def client(self):
        if self._client is None:
            self._client = S3Resource(region_name=self.region_name, endpoint_url=self.endpoint_url).get_client()
        return self._client

    def _scan(self) -> dict[str, Signature]:
        found = {}
        for file in Path(self.root).rglob("*"):
            relative = file.relative_to(self.root).as_posix()
            if file.is_file() and self._mirrored(relative):
                stat = file.stat()
                found[relative] = (stat.st_mtime_ns, stat.st_size)
        return found

    def _baseline(self) -> dict[str, Signature]:
        if self._synced is None:
            self._synced = self._scan()
        return self._synced

    def _remember(self, relative: str) -> None:
        stat = Path(self.root, relative).stat()
        self._baseline()[relative] = (stat.st_mtime_ns, stat.st_size)

    def _download(self, relative: str) -> None:
        """The object `relative`, or every object under `relative/`, into the cache."""
        key = self.key(relative)
        listing = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=key)
        for page in listing:
            for item in page.get("Contents", []):
                if item["Key"] != key and not item["Key"].startswith(key + "/"):
                    continue  # e.g. report.md.bak next to report.md
                inner = (
                    self._relative(relative, item["Key"][len(key) :].lstrip("/")) if item["Key"] != key else relative
                )
                target = Path(self.root, inner)
                if target.exists():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                self.client().download_file(self.bucket, item["Key"], str(target))
                self._remember(inner)
                logger.info("downloaded s3://%s/%s", self.bucket, item["Key"])

    def _upload(self, relative: str) -> None:
        self.client().upload_file(str(Path(self.root, relative)), self.bucket, self.key(relative))
        self._remember(relative)
        logger.info("uploaded %s", self.uri(relative))

    # --- the ArtifactStore interface --------------------------------------------------------

    def path(self, *parts: str) -> Path:
        """The artifact's path in the cache (parents created), downloaded first if only S3 has it."""
        self._baseline()
        relative = self._relative(*parts)
        target = Path(self.root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() and self._mirrored(relative):
            self._download(relative)
        return target

    def write_bytes(self, relative_path: str, payload: bytes) -> Path:
        self._baseline()
        relative = self._relative(relative_path)
        target = Path(self.root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
        if self._mirrored(relative):
            self._upload(relative)
        return target

    def write_json(self, relative_path: str, payload: Any) -> Path:
        return self.write_bytes(relative_path, json_bytes(payload))

    def sync(self) -> list[str]:
        """Upload every cache file new or changed since setup / last transfer; their s3:// URIs."""
        before = self._baseline()
        changed = [
            relative for relative, signature in sorted(self._scan().items()) if before.get(relative) != signature
        ]
        for relative in changed:
            self._upload(relative)
        return [self.uri(relative) for relative in changed]

    # --- the run's lifecycle ----------------------------------------------------------------

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.root).mkdir(parents=True, exist_ok=True)
        self._synced = self._scan()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        uploaded = self.sync()
        if uploaded:
            logger.info("uploaded %d artifact(s) written during the run", len(uploaded))
