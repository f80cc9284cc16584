"""WARC and ARC archives (Common Crawl CC-NEWS): pages read record by record with warcio.

A CC-NEWS file is about 1 GB gzipped, some 40,000 records, so nothing here holds a file whole.
The read stage scans an archive once (:func:`records_from_warc`): it checks every page record
(length, digests, HTTP status, size) and yields a light record per page that names the file
and the byte offset of its record (``InputRecord.archive``). FetchPages reads each page at its
offset (:func:`page_from_archive`) after the records are spread over the workers, so a file's
pages never sit in a shuffled collection and are read in parallel.

gzip framing: the standard gzips each record as its own member, which is what makes an offset
a place to start reading. The scan decompresses the stream itself (:class:`GzipMembers`), so a
file gzipped whole, or with members that do not match the records, reads as well; its records
cannot be read alone, so they carry their page (``html``) instead of an offset.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Iterator, Optional, Union

import apache_beam as beam

from newsbeam.transforms.common.archives import (
    BLOCK,
    DAMAGE,
    GzipMembers,
    archive_records,
    record_content_type,
)
from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import FetchedBody, check_page, decode_html
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.dates import parse_date
from newsbeam.transforms.read.specs import to_uri

#: Record types that hold a page: an HTTP response, or a page archived as a resource.
PAGE_TYPES = ("response", "resource")
#: Target URI schemes of a page; ``dns:``, ``whois:``, ``filedesc:`` records are crawl notes.
PAGE_SCHEMES = ("http:", "https:", "file:")


def is_page_record(record) -> bool:
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    return record.rec_type in PAGE_TYPES and (not uri or uri.lower().startswith(PAGE_SCHEMES))


def digest_failure(record) -> Optional[str]:
    """Why a record fails its digests, or None. The block digest covers every byte of the
    record, so it decides when there is one. The payload digest alone decides only without a
    Transfer-Encoding: writers disagree on whether it covers the chunked or the dechunked
    payload (warcio #74, #75), so a mismatch there says nothing about the bytes."""
    problems = record.digest_checker.problems
    block = [p for p in problems if p.startswith("block digest")]
    if block:
        return block[0]
    has_block = bool(record.rec_headers.get_header("WARC-Block-Digest"))
    payload = [p for p in problems if p.startswith("payload digest")]
    chunked = bool(record.http_headers and record.http_headers.get_header("Transfer-Encoding"))
    if payload and not has_block and not chunked:
        return payload[0]
    if payload:
        beam.metrics.Metrics.counter("newsbeam", "warc_payload_digest_disputed").inc()
    return None


def http_status(record) -> Optional[int]:
    """The archived HTTP status of a response record, or None (a resource, an ARC record)."""
    if record.http_headers is None or record.rec_type != "response":
        return None
    code = (record.http_headers.get_statuscode() or "").strip()
    return int(code) if code.isdigit() else None


#: How much of a page the scan keeps when FetchPages reads the page again: enough to tell HTML.
HEAD = 1 << 16


def read_capped(stream, keep: int) -> tuple[bytes, int]:
    """Up to ``keep + 1`` bytes of a record's content, and how many bytes it held in all (the
    rest is read and dropped, a block at a time, so the length and digest checks run)."""
    data = stream.read(keep + 1)
    total = len(data)
    while chunk := stream.read(BLOCK):
        total += len(chunk)
    return data, total


def records_from_warc(
    stream, location: str, max_bytes: int, inline: bool = False
) -> Iterator[Union[InputRecord, dict]]:
    """Each page record of a WARC or ARC (an HTTP ``response``, or a ``resource``) as an input
    record; request, metadata, warcinfo and revisit records and crawl notes (``dns:``) are passed
    over. A record that is damaged (short of its Content-Length, failing its digest), archived
    with an HTTP error status, or larger than ``max_bytes`` is an errors row; a file damaged
    past a point is one more row, for the rest of it.

    A page's input record names its file and offset (``archive``) when its record can be read
    alone there, else it carries the page; ``inline`` makes every record carry its page (an
    archive fetched over HTTP, whose bytes are not there to read again)."""
    members = GzipMembers(stream)
    records = archive_records(members, check_digests=True)
    index = -1
    try:
        for record in records:
            if not is_page_record(record):
                continue
            index += 1
            ref = f"{location}#record={index}"
            url = record.rec_headers.get_header("WARC-Target-URI") or f"{to_uri(location)}#record={index}"
            # A record that starts a gzip member (or any record of a plain file) can be read
            # again alone at its offset: the scan keeps only its head, to tell a page.
            alone = None if inline else members.starts_member(records.offset)
            try:
                data, total = read_capped(record.content_stream(), HEAD if alone is not None else max_bytes)
            except (zlib.error, ValueError, EOFError) as exc:  # a Content-Encoding that does not decode
                yield error_row(
                    "read", "bad_gzip", f"WARC record {index}'s content does not decode: {exc}", ref, url=url
                )
                continue
            members.forget_before(records.offset)
            problem = record_problem(record, index, total, max_bytes)
            body = FetchedBody(url, data, record_content_type(record))
            try:
                if problem:
                    raise InputError(*problem)
                if data.strip() or total <= len(data):  # a head of whitespace says nothing yet
                    check_page(body)
                html = None if alone is not None else decode_html(body)
            except InputError as exc:
                yield error_row("read", exc.kind, exc.message, ref, url=url)
                continue
            page = InputRecord(
                input_ref=ref,
                input_kind="warc",
                url=url,
                captured_at=parse_date(record.rec_headers.get_header("WARC-Date")),
            )
            if alone is not None:
                yield dataclasses.replace(page, archive=(location, alone))
                continue
            if not inline:
                beam.metrics.Metrics.counter("newsbeam", "warc_pages_not_seekable").inc()
            yield dataclasses.replace(page, html=html)
        if records.err_count:
            beam.metrics.Metrics.counter("newsbeam", "warc_length_mismatch").inc(records.err_count)
    except DAMAGE as exc:
        # The records before the damage were read; the rest of the file is one error.
        where = f"after record {index}" if index >= 0 else "before its first page record"
        yield error_row(
            "read",
            "truncated_warc",
            f"{location} is damaged {where}, and the rest of it cannot be read: {exc}",
            f"{location}#record={index + 1}",
        )


def record_problem(record, index: int, total: int, max_bytes: int) -> Optional[tuple[str, str]]:
    """(kind, message) when a page record read to its end is not a page to parse: cut short,
    failing its digest, an archived HTTP error, or over the size cap."""
    missing = getattr(record.raw_stream, "limit", 0)
    if missing > 0:
        return (
            "truncated_record",
            f"WARC record {index} is cut short, {missing} bytes short of its Content-Length",
        )
    failure = digest_failure(record)
    if failure is not None:
        return (
            "bad_digest",
            f"WARC record {index} fails its digest check ({failure}): its bytes are not what was archived",
        )
    status = http_status(record)
    if status is not None and not 200 <= status < 300:
        return f"http_{status}", f"WARC record {index} archives an HTTP {status} response, not a page"
    if total > max_bytes:
        return "too_large", f"WARC record {index} is larger than {max_bytes} bytes"
    return None
