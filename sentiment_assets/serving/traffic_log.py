"""One record per answered request, appended to a JSON Lines file that is rotated at a size cap.

A file rather than server memory, so `sentiment-assets serving stats`, a Dagster
asset or a notebook can read the traffic while the server runs, and the records survive a
restart. For `traffic.jsonl` the files are:

- `traffic.jsonl`              the records being appended now, at most `max_bytes`
- `traffic.jsonl.1` .. `.N`    earlier records, newest first; older ones are deleted
- `traffic.jsonl.totals.json`  the running totals (traffic_stats) of every record before the
                               current file, rewritten at each rotation

so the totals of all traffic ever logged are that checkpoint plus one file at most `max_bytes`
long, and a report costs the same on the first day and the hundredth. The server keeps the
totals in memory and adds each record as it appends it: its /stats reads nothing at all.
Appends from one server process are serialised by a lock; that is all a local endpoint needs
(several processes would each want their own file).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import IO

from sentiment_assets.serving.settings import DEFAULT_TRAFFIC_LOG_BACKUPS, DEFAULT_TRAFFIC_LOG_MAX_BYTES
from sentiment_assets.serving.traffic_stats import (  # noqa: F401  (re-exported: the log's readers use them)
    TrafficRecord,
    TrafficTotals,
    format_stats,
    percentile,
    summarize,
)


class TrafficLog:
    """The JSON Lines files of TrafficRecords, and the totals over all of them."""

    def __init__(
        self, path: Path, max_bytes: int = DEFAULT_TRAFFIC_LOG_MAX_BYTES, backups: int = DEFAULT_TRAFFIC_LOG_BACKUPS
    ):
        if max_bytes < 1 or backups < 0:
            raise ValueError(f"need max_bytes >= 1 and backups >= 0, got {max_bytes} and {backups}")
        self.path = Path(path)
        self.max_bytes, self.backups = max_bytes, backups
        self.checkpoint_path = self.path.with_name(self.path.name + ".totals.json")
        self._lock = threading.Lock()
        self._totals: TrafficTotals | None = None  # read from disk on first use, then kept current

    def rotated_path(self, generation: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{generation}")

    def append(self, record: TrafficRecord) -> None:
        line = (json.dumps(asdict(record)) + "\n").encode("utf-8")
        with self._lock:
            totals = self._loaded_totals()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.exists() else 0
            if size and size + len(line) > self.max_bytes:
                self._rotate(totals)
            with self.path.open("ab") as log:
                log.write(line)
            totals.add(record)

    def summary(self, weights: Mapping[str, float]) -> dict:
        """traffic_stats' summary of every record ever appended (not only the retained files)."""
        with self._lock:
            return self._loaded_totals().summary(weights)

    def read(self) -> list[TrafficRecord]:
        """The retained records, oldest first; a line being written right now (or a damaged one) is skipped."""
        records: list[TrafficRecord] = []
        for path in self._retained_paths():
            try:
                with path.open(encoding="utf-8") as lines:
                    records.extend(_records(lines))
            except FileNotFoundError:
                continue  # rotated away between listing and opening
        return records

    def _retained_paths(self) -> list[Path]:
        return [self.rotated_path(n) for n in range(self.backups, 0, -1)] + [self.path]

    def _rotate(self, totals: TrafficTotals) -> None:
        # .N-1 -> .N (replacing, so dropping, the oldest) ... current -> .1; then a new current file
        # and the checkpoint of everything before it, named by that file's inode.
        for generation in range(self.backups, 0, -1):
            older = self.rotated_path(generation - 1) if generation > 1 else self.path
            if older.exists():
                os.replace(older, self.rotated_path(generation))
        self.path.unlink(missing_ok=True)  # only still there when no rotated file is kept
        self.path.touch()
        _write_atomically(
            self.checkpoint_path, json.dumps({"file_inode": self.path.stat().st_ino, "totals": totals.to_dict()})
        )

    def _loaded_totals(self) -> TrafficTotals:
        if self._totals is None:
            self._totals = self._totals_on_disk()
        return self._totals

    def _totals_on_disk(self) -> TrafficTotals:
        """The checkpoint plus the records after it: the current file, and the newest rotated one
        as well if the checkpoint still names it (a rotation under way, or interrupted)."""
        for attempt in range(3):  # a rotation between reading the checkpoint and opening the files: again
            before = _identity(self.checkpoint_path)
            checkpoint = self._read_checkpoint()
            opened = [(path, path.open(encoding="utf-8")) for path in self._retained_paths() if path.exists()]
            if _identity(self.checkpoint_path) == before or attempt == 2:
                break
            for _, handle in opened:
                handle.close()
        try:
            paths = [path for path, _ in opened]
            inodes = [os.fstat(handle.fileno()).st_ino for _, handle in opened]
            if checkpoint is None:
                totals, first = TrafficTotals(), 0  # never rotated, or the checkpoint was lost: all there is
            else:
                totals, inode = checkpoint
                first = (
                    inodes.index(inode)
                    if inode in inodes
                    else paths.index(self.path)
                    if self.path in paths
                    else len(paths)
                )
            for _, handle in opened[first:]:
                totals.add_all(_records(handle))  # line by line: memory does not grow with the file
            return totals
        finally:
            for _, handle in opened:
                handle.close()

    def _read_checkpoint(self) -> tuple[TrafficTotals, int] | None:
        try:
            saved = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
            return TrafficTotals.from_dict(saved["totals"]), int(saved["file_inode"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None  # a damaged checkpoint: count what the retained files still hold


def _records(lines: IO[str]) -> Iterator[TrafficRecord]:
    for line in lines:
        try:
            yield TrafficRecord(**json.loads(line))
        except (ValueError, TypeError):
            continue


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8"
    ) as scratch:
        scratch.write(text)
    os.replace(scratch.name, path)
