"""Secrets never reach a table: credentials and tokens are stripped from URLs and options.

A URL can carry a secret two ways: a user and password before the host
(``https://alice:pw@host/``) and a token in the query (``?token=...``, ``?X-Amz-Signature=...``,
``?api_key=...``). Fetching may need them; what newsbeam writes never does. Every table row
passes through :func:`redact_row` when it is stamped for writing, and the run's options through
:func:`redact_options` before they go into the ``runs`` row.

A string with nothing to strip comes back unchanged, character for character, so paths,
``input_ref`` values such as ``file.jsonl#12`` and URLs without secrets keep their exact form.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

#: Query parameter names whose value is a credential (case-insensitive, whole name).
SECRET_PARAMS = re.compile(
    r"^(?:(?:access_|id_|refresh_|auth_|api_|session_|csrf_)?token|auth|authorization|api_?key|key|"
    r"apikey|secret|client_secret|password|passwd|pwd|pass|sig|signature|session|sessionid|sid|jwt|"
    r"x-amz-(?:signature|credential|security-token)|x-goog-(?:signature|credential)|awsaccesskeyid)$",
    re.IGNORECASE,
)
#: Option names whose value is a credential (``s3_secret_access_key``, ``hdfs_password``, ...).
SECRET_OPTIONS = re.compile(r"secret|password|passwd|token|credential|private_key|access_key", re.IGNORECASE)
REDACTED = "<redacted>"
#: A URL inside free text (an error message, an --input spec).
URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """``url`` without a user, a password or secret query parameters; unchanged when it has none."""
    if not isinstance(url, str) or "://" not in url:
        return url
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
    pairs = parts.query.split("&") if parts.query else []
    kept = [
        pair for pair in pairs if not SECRET_PARAMS.match(urllib.parse.unquote_plus(pair.split("=", 1)[0]))
    ]
    if netloc == parts.netloc and len(kept) == len(pairs):
        return url
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), parts.fragment))


def redact_text(text: str) -> str:
    """Every URL in ``text`` redacted (error messages quote the URLs they failed on)."""
    if not isinstance(text, str) or "://" not in text:
        return text

    def redact(match: re.Match) -> str:
        found = match.group(0)
        url = found.rstrip(".,;:!?)]}")  # the sentence's punctuation, not the URL's
        return redact_url(url) + found[len(url) :]

    return URL_IN_TEXT.sub(redact, text)


def redact_row(row: dict) -> dict:
    """A table row with every string (and list of strings) redacted; the same dict when clean."""
    changed = {}
    for key, value in row.items():
        if isinstance(value, str) and "://" in value:
            clean = redact_text(value)
        elif isinstance(value, list) and any(isinstance(v, str) and "://" in v for v in value):
            clean = [redact_text(v) for v in value]
        else:
            continue
        if clean != value:
            changed[key] = clean
    return {**row, **changed} if changed else row


def redact_options(options: dict[str, Any]) -> dict[str, Any]:
    """Pipeline options for the ``runs`` row: secret options' values replaced, URLs redacted."""
    clean: dict[str, Any] = {}
    for name, value in options.items():
        if SECRET_OPTIONS.search(name) and value not in (None, "", False):
            clean[name] = REDACTED
        elif isinstance(value, str):
            clean[name] = redact_text(value)
        elif isinstance(value, list):
            clean[name] = [redact_text(v) if isinstance(v, str) else v for v in value]
        else:
            clean[name] = value
    return clean
