"""Turn a failed read into a message a person can act on: where the undecodable byte is, which
delimiter the file really uses."""

from __future__ import annotations

import gzip
from pathlib import Path

BLOCK_BYTES = 1 << 20
CANDIDATE_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


def _names(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def undecodable_byte(path: Path, encoding: str, compressed: bool) -> tuple[int, int, int, int] | None:
    """(byte offset, line, column, byte value) of the first byte `encoding` cannot decode, or None.

    Offsets count from the start of the (decompressed) text; lines and columns are 1-based.
    Only run after a read has failed, so the extra pass costs nothing on good files.
    """
    opener = gzip.open if compressed else open
    offset, line, line_start, carry = 0, 1, 0, b""
    with opener(path, "rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            data = carry + block
            try:
                data.decode(encoding)
                carry = b""
            except UnicodeDecodeError as error:
                if error.reason == "unexpected end of data" and error.end == len(data):
                    # A multi-byte character cut by the block boundary: decode it with the next block.
                    carry = data[error.start :]
                    data = data[: error.start]
                else:
                    bad = offset + error.start
                    before = data[: error.start]
                    newlines = before.count(b"\n")
                    if newlines:
                        line_start = offset + before.rfind(b"\n") + 1
                    return bad, line + newlines, bad - line_start + 1, data[error.start]
            newlines = data.count(b"\n")
            if newlines:
                line_start = offset + data.rfind(b"\n") + 1
            line += newlines
            offset += len(data)
        if carry:
            return offset, line, offset - line_start + 1, carry[0]
    return None


def encoding_message(path: Path, encoding: str, compressed: bool, fallback: str) -> str:
    """The message for a file that is not valid `encoding` text, with the place and a way out."""
    where = undecodable_byte(path, encoding, compressed)
    name = encoding.upper() if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    place = (
        f"byte 0x{where[3]:02x} at byte offset {where[0]} (line {where[1]}, column {where[2]}"
        f"{' of the decompressed text' if compressed else ''})"
        if where
        else fallback
    )
    return (
        f"not {name} text: {place}. If the file is in another encoding, read it deliberately "
        f"with the source's encoding option (e.g. encoding='latin-1' or 'cp1252')"
    )


def other_delimiter(header_cell: str, used: str) -> str | None:
    """The delimiter a single-column header is really split by, if it contains one."""
    counts = {d: header_cell.count(d) for d in CANDIDATE_DELIMITERS if d != used}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def delimiter_message(header_cell: str, used: str, really: str) -> str:
    return (
        f"the header is one column {header_cell[:120]!r} containing {_names(really)}: the file looks "
        f"{_names(really)}-separated, not {_names(used)}-separated; set delimiter={really!r} in the source spec"
    )
