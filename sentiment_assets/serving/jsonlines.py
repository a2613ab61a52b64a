"""The endpoint's request and response shape: the course's JSON Lines of `{"features": [...]}`.

Request (application/jsonlines): one JSON object per line, each with a list of review texts,

    {"features": ["Love the fit, the fabric is soft."]}
    {"features": ["Runs small.", "The zipper broke after one wash."]}

or (application/json) a single such object. Response (application/jsonlines): one line per
text, in input order across all lines, `{"predicted_label": -1|0|1, "probability": p}`.

Every malformed request becomes a `RequestError` carrying the HTTP status and a message that
names the line and the problem, so a client can fix its payload without reading server logs.
Two refusals protect the server rather than the model: JSON nested deeper than MAX_JSON_DEPTH
(400, checked before parsing, since the parser recurses once per level and 100,000 levels
overflow it) and blank texts (422: there is nothing in them to score).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator

JSONLINES_TYPES = frozenset(
    {"application/jsonlines", "application/x-jsonlines", "application/jsonl", "application/x-ndjson"}
)
JSON_TYPE = "application/json"
RESPONSE_TYPE = "application/jsonlines"
EXAMPLE_LINE = '{"features": ["review text", ...]}'

BAD_REQUEST, REQUEST_TIMEOUT, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, UNPROCESSABLE = 400, 408, 413, 415, 422
#: A request needs two levels ({"features": [...]}); more is refused before json.loads recurses.
MAX_JSON_DEPTH = 32
# A JSON string, escapes included ("unrolled" so that it scans a long string without backtracking).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


class RequestError(ValueError):
    """A request the endpoint refuses: `status` is the HTTP code, the message says why, and
    `fields` (if any) say where, for a client to act on without parsing the message."""

    def __init__(self, status: int, message: str, **fields: object):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields


def media_type(content_type: str | None) -> str:
    """`application/jsonlines; charset=utf-8` -> `application/jsonlines`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_content_type(content_type: str | None) -> str:
    """The request's media type if the endpoint reads it, else a 415 naming what it accepts."""
    kind = media_type(content_type)
    if kind in JSONLINES_TYPES or kind == JSON_TYPE:
        return kind
    shown = repr(content_type) if content_type else "no Content-Type"
    raise RequestError(
        UNSUPPORTED_MEDIA_TYPE,
        f"unsupported content type {shown}; send {RESPONSE_TYPE} "
        f"(one {EXAMPLE_LINE} per line) or {JSON_TYPE} (one such object)",
    )


def parse_invocation(body: bytes, content_type: str | None, max_texts: int) -> list[str]:
    """All texts of a request, in order. Raises RequestError (400/413/415/422) for a bad one."""
    kind = check_content_type(content_type)
    if not body.strip():
        raise RequestError(BAD_REQUEST, f"empty body; send one {EXAMPLE_LINE} per line")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(BAD_REQUEST, f"body is not UTF-8 (invalid byte at offset {error.start})") from None
    objects = _single_object(text) if kind == JSON_TYPE else _objects_per_line(text)
    texts: list[str] = []
    for line_number, item in objects:
        texts.extend(_features(item, line_number, first_index=len(texts)))
        # Checked as we go, so a huge request is refused before all of it is validated.
        if len(texts) > max_texts:
            raise RequestError(
                PAYLOAD_TOO_LARGE,
                f"too many texts: line {line_number} brings the request to "
                f"{len(texts)}; the limit is {max_texts} per request",
            )
    if not texts:
        raise RequestError(BAD_REQUEST, "no texts to score: every 'features' list is empty")
    return texts


def _objects_per_line(text: str) -> Iterator[tuple[int, object]]:
    # split("\n"), not splitlines(): JSON strings may hold raw U+2028 and other separators.
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue  # a trailing newline or blank separator line carries no request
        check_nesting(line, f"line {line_number}")
        try:
            yield line_number, json.loads(line)
        except json.JSONDecodeError as error:
            raise RequestError(
                BAD_REQUEST, f"line {line_number}: invalid JSON ({error.msg} at column {error.colno})"
            ) from None


def _single_object(text: str) -> Iterator[tuple[int, object]]:
    check_nesting(text, "the body")
    try:
        yield 1, json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestError(
            BAD_REQUEST, f"line {error.lineno}: invalid JSON ({error.msg} at column {error.colno})"
        ) from None


def check_nesting(text: str, where: str, limit: int = MAX_JSON_DEPTH) -> None:
    """A 400 if `text` opens more than `limit` arrays/objects inside one another.

    Brackets inside strings do not count. Where the text is not valid JSON the count may run
    high, never low, so the parser is never handed more nesting than `limit`.
    """
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    if brackets.count("[") + brackets.count("{") <= limit:
        return  # every real request: too few brackets to nest that deep
    depth = 0
    for bracket in brackets:
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            raise RequestError(
                BAD_REQUEST,
                f"{where}: JSON nested deeper than {limit} levels; a request is one {EXAMPLE_LINE} per line",
            )


def is_blank(text: str) -> bool:
    """Nothing a model could read: empty, or only whitespace and invisible characters
    (zero-width spaces and joiners, byte-order marks, control characters)."""
    # strip() drops the whitespace at C speed; the rest stops at the first visible character.
    return all(char.isspace() or unicodedata.category(char) in ("Cf", "Cc") for char in text.strip())


def _features(item: object, line_number: int, first_index: int = 0) -> list[str]:
    """The texts of one line; `first_index` is the request-wide index of its first text."""
    where = f"line {line_number}"
    if not isinstance(item, dict):
        raise RequestError(UNPROCESSABLE, f"{where}: expected an object like {EXAMPLE_LINE}, got {json_type(item)}")
    if "features" not in item:
        raise RequestError(UNPROCESSABLE, f"{where}: missing 'features' (expected {EXAMPLE_LINE})")
    features = item["features"]
    if not isinstance(features, list):
        raise RequestError(UNPROCESSABLE, f"{where}: 'features' must be a list of strings, got {json_type(features)}")
    for index, value in enumerate(features):
        if not isinstance(value, str):
            raise RequestError(UNPROCESSABLE, f"{where}: features[{index}] must be a string, got {json_type(value)}")
        if is_blank(value):
            raise RequestError(
                UNPROCESSABLE,
                f"{where}: features[{index}] (text {first_index + index} of the request) is blank: "
                "empty or only whitespace/zero-width characters; send review text",
                line=line_number,
                feature=index,
                text_index=first_index + index,
            )
    return features


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for error messages a non-Python client understands."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def format_predictions(labels: Iterable[int], probabilities: Iterable[float]) -> bytes:
    """The JSON Lines response body: one `{"predicted_label", "probability"}` line per text."""
    lines = (
        json.dumps({"predicted_label": int(label), "probability": float(p)})
        for label, p in zip(labels, probabilities, strict=True)
    )
    return ("\n".join(lines) + "\n").encode("utf-8")
