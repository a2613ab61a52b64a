"""Which landed files are new or changed since the last look: the landing-zone sensor's logic.

The state is a map file -> sha256 of its content. A file whose path is new and whose content
has not been seen under another name, or whose content changed, needs ingesting; a byte-identical
copy of an ingested file under a new name does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sentiment_assets.sources import SourceError, expand_location


@dataclass(frozen=True)
class LandingScan:
    new_files: list[str]
    changed_files: list[str]
    duplicate_content: list[str]  # new paths whose bytes equal an already-ingested file
    state: dict[str, str]  # the cursor to store after acting on this scan

    @property
    def needs_ingest(self) -> bool:
        return bool(self.new_files or self.changed_files)


def scan_landing_zone(location: str, cursor: str | None, s3_client=None) -> LandingScan:
    """Compare the files at `location` with the state in `cursor` (JSON, or None at first)."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    try:
        files = expand_location(location, s3_client)
    except SourceError:  # no review files (yet)
        files = []
    known_content = set(seen.values())
    new, changed, duplicates = [], [], []
    state = dict(seen)
    for source in files:
        previous = seen.get(source.uri)
        if previous is None and source.sha256 in known_content:
            duplicates.append(source.uri)
        elif previous is None:
            new.append(source.uri)
        elif previous != source.sha256:
            changed.append(source.uri)
        state[source.uri] = source.sha256
        known_content.add(source.sha256)
    return LandingScan(new, changed, duplicates, state)
