"""Where a fine-tuning run keeps its checkpoints, so that a run killed on one machine can be
resumed on another: a local directory, or an S3 prefix that any machine can reach.

A store only keeps opaque payloads (bytes) numbered by optimizer step; what is inside them is
the training loop's business (see `resume.py`). Beside them it keeps a few small named objects:
the STOP marker that asks the run training into it to stop at its next step boundary (how a run
is moved to another machine, `training/move.py`), and the run's segments (`segments.py`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

CHECKPOINT_NAME = "checkpoint-{step:08d}.pt"
_CHECKPOINT_PATTERN = re.compile(r"checkpoint-(\d{8})\.pt$")
STOP_NAME = "STOP"  # present: the run training into this store stops at its next step boundary


class CheckpointStore(ABC):
    """The checkpoints of one training run, newest last; older ones beyond `keep_last` are pruned."""

    def __init__(self, keep_last: int = 2) -> None:
        if keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {keep_last!r}")
        self.keep_last = keep_last

    @abstractmethod
    def save(self, step: int, payload: bytes) -> None:
        """Store the checkpoint taken after optimizer step `step` (complete or not at all)."""

    @abstractmethod
    def load(self, step: int) -> bytes:
        """The payload saved for `step`."""

    @abstractmethod
    def steps(self) -> list[int]:
        """Steps of the checkpoints held, ascending."""

    @abstractmethod
    def describe(self) -> str:
        """Where the checkpoints are, for log lines and error messages."""

    @abstractmethod
    def write_object(self, name: str, data: bytes) -> None:
        """Store a small named object beside the checkpoints (whole or not at all)."""

    @abstractmethod
    def read_object(self, name: str) -> bytes | None:
        """The named object, or None when there is none."""

    @abstractmethod
    def delete_object(self, name: str) -> None:
        """Remove the named object, if there is one."""

    def request_stop(self, after_step: int = 0) -> None:
        """Ask the run training into this store to stop once it has done `after_step` steps (0:
        at its next step boundary); it checkpoints that step first. Any process that reaches the
        store may ask: the run checks after every optimizer step."""
        if after_step < 0:
            raise ValueError(f"after_step must be >= 0, got {after_step!r}")
        self.write_object(STOP_NAME, json.dumps({"after_step": after_step}).encode())

    def stop_requested(self, step: int) -> bool:
        """Whether a run that has done `step` optimizer steps is asked to stop now."""
        after_step = self.requested_stop_step()
        return after_step is not None and step >= after_step

    def requested_stop_step(self) -> int | None:
        """The step a stop request asks the run to stop once done; None when there is none."""
        marker = self.read_object(STOP_NAME)
        return None if marker is None else int(json.loads(marker).get("after_step", 0))

    def clear_stop(self) -> None:
        """Withdraw the stop request (the run that honours one clears it, so that the next run
        into this store does not stop at once)."""
        self.delete_object(STOP_NAME)

    def latest(self) -> bytes | None:
        """The newest checkpoint's payload, or None when the store is empty."""
        steps = self.steps()
        return self.load(steps[-1]) if steps else None

    def _to_prune(self) -> list[int]:
        return self.steps()[: -self.keep_last]


class LocalCheckpointStore(CheckpointStore):
    """Checkpoints as files `checkpoint-{step:08d}.pt` in a directory."""

    def __init__(self, directory: str | os.PathLike, keep_last: int = 2) -> None:
        super().__init__(keep_last)
        self.directory = Path(directory)

    def save(self, step: int, payload: bytes) -> None:
        self.write_object(CHECKPOINT_NAME.format(step=step), payload)
        for old in self._to_prune():
            (self.directory / CHECKPOINT_NAME.format(step=old)).unlink(missing_ok=True)

    def load(self, step: int) -> bytes:
        return (self.directory / CHECKPOINT_NAME.format(step=step)).read_bytes()

    def steps(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        found = (_CHECKPOINT_PATTERN.match(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def describe(self) -> str:
        return str(self.directory)

    def write_object(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Write elsewhere, flush to disk, then rename: a run killed mid-write leaves only a
        # temp file (which `steps` ignores), never a truncated checkpoint that looks complete.
        fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self.directory / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read_object(self, name: str) -> bytes | None:
        path = self.directory / name
        return path.read_bytes() if path.is_file() else None

    def delete_object(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)


class S3CheckpointStore(CheckpointStore):
    """Checkpoints as objects `{prefix}/checkpoint-{step:08d}.pt` in a bucket, through a boto3
    S3 client. A put is atomic on S3: an object is either there whole or not at all."""

    def __init__(self, client, bucket: str, prefix: str, keep_last: int = 2) -> None:
        super().__init__(keep_last)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def save(self, step: int, payload: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(step), Body=payload)
        old = self._to_prune()
        if old:
            objects = [{"Key": self._key(s)} for s in old]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})

    def load(self, step: int) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(step))["Body"].read()

    def steps(self) -> list[int]:
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key_prefix()):
            for item in page.get("Contents", []):
                match = _CHECKPOINT_PATTERN.match(item["Key"][len(self._key_prefix()) :])
                if match:
                    found.append(int(match.group(1)))
        return sorted(found)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def write_object(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key_prefix() + name, Body=data)

    def read_object(self, name: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key_prefix() + name)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def delete_object(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key_prefix() + name)

    def _key_prefix(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    def _key(self, step: int) -> str:
        return self._key_prefix() + CHECKPOINT_NAME.format(step=step)


def checkpoint_store_from_uri(uri: str, s3_client=None, keep_last: int = 2) -> CheckpointStore:
    """A store for `s3://bucket/prefix` or a local directory path.

    Without `s3_client`, an S3 store gets a boto3 client configured by the environment
    (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, credentials), as every AWS tool is."""
    if uri.startswith("s3://"):
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"an S3 checkpoint URI needs a bucket: s3://bucket/prefix, got {uri!r}")
        if s3_client is None:
            import boto3  # only S3 runs need it

            s3_client = boto3.client("s3")
        return S3CheckpointStore(s3_client, bucket, prefix, keep_last)
    return LocalCheckpointStore(uri, keep_last)
