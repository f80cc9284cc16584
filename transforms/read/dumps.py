"""Inputs that carry the story itself: JSONL dumps, saved HTML pages and plain-text stories."""

from __future__ import annotations

import json
from typing import Iterable, Iterator, Optional, Union

from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import FetchedBody, decode_html, page_html
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.dates import parse_date
from newsbeam.transforms.read.specs import to_uri


def records_from_jsonl(
    lines: Iterable[bytes], location: str, max_bytes: Optional[int] = None
) -> Iterator[Union[InputRecord, dict]]:
    """Each line ``{"url", "html"}`` or ``{"url", "title", "text"}`` as a record; bad lines as
    errors, a line over ``max_bytes`` as ``too_large``."""
    for lineno, line in enumerate(lines, start=1):
        ref = f"{location}:{lineno}"
        if max_bytes is not None and len(line.rstrip(b"\r\n")) > max_bytes:
            yield error_row("read", "too_large", f"line {lineno} is longer than {max_bytes} bytes", ref)
            continue
        raw = line.decode("utf-8", errors="replace")
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield error_row("read", "invalid_json", f"line {lineno} is not valid JSON: {exc.msg}", ref)
            continue
        if not isinstance(obj, dict):
            yield error_row("read", "invalid_record", f"line {lineno} is not a JSON object", ref)
            continue
        html, text, url = obj.get("html"), obj.get("text"), obj.get("url")
        if not isinstance(html, str) and not isinstance(text, str):
            yield error_row(
                "read",
                "no_body",
                f"line {lineno} has neither an 'html' nor a 'text' string",
                ref,
                url=url if isinstance(url, str) else None,
            )
            continue
        if url is not None and not isinstance(url, str):
            yield error_row("read", "invalid_record", f"line {lineno}: 'url' is not a string", ref)
            continue
        authors = obj.get("authors") or ()
        if isinstance(authors, str):
            authors = (authors,)
        elif not isinstance(authors, list):  # a number, an object: not a list of names
            authors = ()
        yield InputRecord(
            input_ref=ref,
            input_kind="jsonl",
            url=url or f"{to_uri(location)}#line={lineno}",
            html=html if isinstance(html, str) else None,
            text=text if isinstance(text, str) and not isinstance(html, str) else None,
            title=obj.get("title") if isinstance(obj.get("title"), str) else None,
            authors=tuple(a for a in authors if isinstance(a, str)),
            published_at=parse_date(obj.get("published") or obj.get("published_at") or obj.get("date")),
            language=obj.get("language") if isinstance(obj.get("language"), str) else None,
        )


def record_from_html(body: FetchedBody) -> InputRecord:
    """A local or fetched HTML page as one record."""
    return InputRecord(
        input_ref=body.location, input_kind="html", url=to_uri(body.location), html=page_html(body)
    )


def record_from_text(body: FetchedBody) -> InputRecord:
    """A plain-text story as one record (decoded as UTF-8, else by detection)."""
    if b"\x00" in body.data[:4096]:
        raise InputError("not_text", f"{body.location} is binary, not a text story")
    try:
        text = body.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = decode_html(body)
    return InputRecord(input_ref=body.location, input_kind="text", url=to_uri(body.location), text=text)
