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

from newsbeam.transforms.common.archives import archive_records, record_content_type
from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import FetchedBody, check_page, decode_html
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.dates import parse_date
from newsbeam.transforms.read.specs import to_uri

#: Record types that hold a page: an HTTP response, or a page archived as a resource.
PAGE_TYPES = ("response", "resource")
#: Target URI schemes of a page; ``dns:``, ``whois:``, ``filedesc:`` records are crawl notes.
PAGE_SCHEMES = ("http:", "https:", "file:")

_BLOCK = 1 << 20


def _damage_errors() -> tuple:
    from warcio.exceptions import ArchiveLoadFailed
    from warcio.statusandheaders import StatusAndHeadersParserException

    return (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, OSError, ValueError)


#: What reading a damaged archive raises: warcio's own errors, a cut-off stream, bad gzip.
DAMAGE = _damage_errors()


class GzipMembers:
    """A binary stream that inflates a gzip stream member after member (or passes a plain one
    through), keeping where each member starts so the reader can tell which records can be
    read alone. ``tell()`` is the offset in the inflated stream, which warcio counts in.

    A stream that ends inside a member ends there (warcio then finds the last record short of
    its Content-Length and says so); bytes after a member that are not gzip are an OSError,
    unless they are padding (NULs or whitespace, which some writers leave)."""

    def __init__(self, raw):
        self._raw = raw
        self._raw_read = 0  # bytes taken from the raw stream
        self._position = 0  # bytes given out
        self._pending = b""
        self._gzip: Optional[bool] = None
        self._inflater = None
        self._ended = False
        self._damage: Optional[OSError] = None
        #: Inflated offset → raw offset of each gzip member's start (pruned as records pass).
        self.members: dict[int, int] = {}
        #: The stream ended inside a gzip member (a cut-off download).
        self.cut_short = False
        self.member_count = 0

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        if self._damage is not None and not self._pending:
            raise self._damage
        while not self._ended and (size < 0 or len(self._pending) < size):
            try:
                self._fill()
            except OSError as exc:  # give out what came before the damage first
                if not self._pending:
                    raise
                self._damage, self._ended = exc, True
        if size < 0:
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        self._position += len(data)
        return data

    def _take(self, size: int) -> bytes:
        data = self._raw.read(size)
        self._raw_read += len(data)
        return data

    def _fill(self) -> None:
        if self._gzip is None:
            head = self._take(2)
            self._gzip = head == b"\x1f\x8b"
            self._unused = head
        if not self._gzip:
            chunk = self._unused or self._take(_BLOCK)
            self._unused = b""
            if not chunk:
                self._ended = True
            self._pending += chunk
            return
        if self._inflater is None:  # at a member's start
            data = self._unused or self._take(_BLOCK)
            if not data:
                self._ended = True
                return
            start = self._raw_read - len(data)
            if data[:2] != b"\x1f\x8b":
                rest = data + self._take(_BLOCK)
                if not rest.strip(b"\x00 \t\r\n") and not self._raw.read(1):
                    self._ended = True  # padding at the end
                    return
                raise OSError(f"bytes at offset {start} are not gzip (the file is damaged there)")
            self.members[self._position + len(self._pending)] = start
            self.member_count += 1
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            self._unused = data
        data = self._unused or self._take(_BLOCK)
        self._unused = b""
        if not data:  # the raw stream ended inside a member
            self.cut_short = True
            self._ended = True
            return
        try:
            self._pending += self._inflater.decompress(data)
        except zlib.error as exc:
            raise OSError(f"gzip data is damaged near offset {self._raw_read}: {exc}") from exc
        if self._inflater.eof:
            self._unused = self._inflater.unused_data
            self._inflater = None

    @property
    def gzipped(self) -> bool:
        return bool(self._gzip)

    def alone(self, start: int, length: int) -> Optional[int]:
        """The raw offset to read the record at inflated ``[start, start + length)`` from on its
        own, or None: in a gzip file, the record must start a member and no other may start
        inside it (the members hold a record each, as the standard asks)."""
        if not self._gzip:
            return start
        inside = any(start < s < start + length for s in self.members)
        return None if inside else self.members.get(start)

    def forget_before(self, offset: int) -> None:
        """Drop the member starts before an inflated offset: the reader has passed them."""
        for start in [s for s in self.members if s < offset]:
            del self.members[start]


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


def read_capped(stream, max_bytes: int) -> tuple[bytes, int]:
    """Up to ``max_bytes + 1`` bytes of a record's content, and how many bytes it held in all
    (the rest is read and dropped, so the length and digest checks run)."""
    data = stream.read(max_bytes + 1)
    total = len(data)
    while chunk := stream.read(_BLOCK):
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
            try:
                data, total = read_capped(record.content_stream(), max_bytes)
            except (zlib.error, ValueError, EOFError) as exc:  # a Content-Encoding that does not decode
                yield error_row(
                    "read", "bad_gzip", f"WARC record {index}'s content does not decode: {exc}", ref, url=url
                )
                continue
            problem = record_problem(record, index, total, max_bytes)
            if problem:
                yield error_row("read", problem[0], problem[1], ref, url=url)
                continue
            body = FetchedBody(url, data, record_content_type(record))
            try:
                check_page(body)
            except InputError as exc:
                yield error_row("read", exc.kind, exc.message, ref, url=url)
                continue
            start, damage = records.offset, None
            try:  # where the record ends: warcio reads on to the next record's first line
                alone = members.alone(start, records.get_record_length())
            except DAMAGE as exc:  # the record is whole; what follows it is not
                alone, damage = None, exc
            members.forget_before(start)
            page = InputRecord(
                input_ref=ref,
                input_kind="warc",
                url=url,
                captured_at=parse_date(record.rec_headers.get_header("WARC-Date")),
            )
            if alone is not None and not inline:
                yield dataclasses.replace(page, archive=(location, alone))
                continue
            try:
                html = decode_html(body)
            except InputError as exc:
                yield error_row("read", exc.kind, exc.message, ref, url=url)
                continue
            if not inline:
                beam.metrics.Metrics.counter("newsbeam", "warc_pages_not_seekable").inc()
            yield dataclasses.replace(page, html=html)
            if damage is not None:
                raise damage
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
