"""Secrets out of what people read: asset metadata, run logs, MLflow params and tags, model cards.

Connection settings travel as URLs (on the aws profile the Optuna study's database URL carries
its password, postgresql://user:password@host/db), and everything written to metadata, logs or
MLflow is kept and shown to whoever can open the UI. `redact` keeps what tells a reader where
things are (scheme, user, host, path) and replaces what would let them in with REDACTED.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus, urlsplit

REDACTED = "***"

# Words that make a setting, query parameter or dict key secret, and pairs of words that do
# (AWS_SECRET_ACCESS_KEY, api_key, X-Amz-Credential). Whole words only: partition_key, run_key
# and max_tokens name no secret, and a check's "passed" is not a password.
_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "credential", "credentials", "signature", "apikey"}
)
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"), ("session", "key"), ("account", "key")}
)
_SECRET_QUERY_NAMES = frozenset({"key", "sig", "auth", "authorization"})  # bare names, in URLs only
_SECRET_STEM = r"[\w.\-]*(?:pass|pwd|secret|token|credential|signature|key)[\w.\-]*"
_VALUE = r"'[^']*'|\"[^\"]*\"|[^\s,;&'\"]+"
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>`]+")
# password=hunter2, password: hunter2 (libpq DSNs, YAML, log lines), and --password hunter2.
_ASSIGNMENT = re.compile(rf"(?P<name>{_SECRET_STEM})(?P<sep>\s*[=:]\s*)(?P<value>{_VALUE})", re.IGNORECASE)
_FLAG = re.compile(rf"(?P<name>--?{_SECRET_STEM})(?P<sep>\s+)(?P<value>{_VALUE})", re.IGNORECASE)
# AWS access key ids, and 40-character secret access keys (mixed case and digits: a hex digest
# such as a run fingerprint is lower case and never matches).
_AWS_ACCESS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
_AWS_SECRET_KEY = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)


def is_secret_name(name: str) -> bool:
    """Whether a setting, key or parameter called `name` holds a secret."""
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())
    return any(w in _SECRET_WORDS for w in words) or any(
        pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False)
    )


def redact_url(url: str) -> str:
    """`url` without its password and secret query values: postgresql://user:pw@host/db ->
    postgresql://user:***@host/db; ...?sslmode=require&token=t -> ...?sslmode=require&token=***.
    The rest stays exactly as written (sqlite:////abs/path keeps its four slashes)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host: drop whatever userinfo there is
        return re.sub(r"://[^/?#]*@", f"://{REDACTED}@", url, count=1)
    if "@" in parts.netloc:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        if ":" in userinfo:
            url = url.replace(parts.netloc, f"{userinfo.split(':', 1)[0]}:{REDACTED}@{hostport}", 1)
    if parts.query:
        pairs = [_redact_query_pair(pair) for pair in parts.query.split("&")]
        url = url.replace(f"?{parts.query}", "?" + "&".join(pairs), 1)
    return url


def redact_text(text: str) -> str:
    """Free text (a log line, a command, an error) with every URL redacted, `name=value` pairs
    of secret names masked, and AWS key-looking values replaced."""
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    text = _ASSIGNMENT.sub(_mask_assignment, text)
    text = _FLAG.sub(_mask_assignment, text)
    text = _AWS_ACCESS_KEY_ID.sub(REDACTED, text)
    return _AWS_SECRET_KEY.sub(REDACTED, text)


def redact(value: Any) -> Any:
    """`value` (a str, or dicts, lists and tuples of them, as metadata, params and model cards
    are) with secrets replaced: values under secret-named keys entirely, strings by redact_text.
    Other values (numbers, None, Dagster MetadataValues) pass as they are."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_name(k) and v is not None else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def _redact_query_pair(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    secret = unquote_plus(name).lower() in _SECRET_QUERY_NAMES or is_secret_name(unquote_plus(name))
    return f"{name}={REDACTED}" if equals and secret else pair


def _mask_assignment(match: re.Match) -> str:
    value = match.group("value").strip("'\"")
    if not is_secret_name(match.group("name")) or value.startswith(REDACTED) or value.startswith("-"):
        return match.group(0)
    return f"{match.group('name')}{match.group('sep')}{REDACTED}"
