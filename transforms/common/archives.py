"""WARC and ARC archives read with warcio through :class:`GzipMembers`, which inflates any gzip
framing itself: the read stage scans archives with :func:`archive_records`
(:mod:`newsbeam.transforms.read.warc`), and FetchPages reads each page at the offset the scan
found (:func:`page_from_archive`)."""

from __future__ import annotations

import zlib
from typing import Optional

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import FetchedBody, open_raw


#: Bytes read or inflated at a time: small, so reading one record at its offset reads little past it.
BLOCK = 1 << 16


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
        self._buffer = bytearray()  # inflated bytes; those before _start are given out
        self._start = 0
        self._unused = b""  # raw bytes taken but not inflated yet
        self._gzip: Optional[bool] = None
        self._inflater = None
        self._ended = False
        self._damage: Optional[OSError] = None
        #: Inflated offset → raw offset of each gzip member's start (pruned as records pass).
        self.members: dict[int, int] = {}
        #: The stream ended inside a gzip member (a cut-off download).
        self.cut_short = False

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        if self._damage is not None and self._available() == 0:
            raise self._damage
        while not self._ended and (size < 0 or self._available() < size):
            try:
                self._fill()
            except OSError as exc:  # give out what came before the damage first
                if self._available() == 0:
                    raise
                self._damage, self._ended = exc, True
        end = len(self._buffer) if size < 0 else min(len(self._buffer), self._start + size)
        data = bytes(self._buffer[self._start : end])
        self._start = end
        if self._start >= BLOCK:  # drop what was given out, now and then rather than per read
            del self._buffer[: self._start]
            self._start = 0
        self._position += len(data)
        return data

    def _available(self) -> int:
        return len(self._buffer) - self._start

    def _fill(self) -> None:
        """Add at most BLOCK inflated bytes to the buffer, or end the stream."""
        if self._gzip is None:
            self._unused = self._read_raw(2)
            self._gzip = self._unused == b"\x1f\x8b"
        if not self._gzip:
            chunk = self._unused or self._read_raw(BLOCK)
            self._unused = b""
            self._buffer += chunk
            self._ended = not chunk
            return
        if self._inflater is None:  # at a member's start, or at the end
            data = self._unused or self._read_raw(BLOCK)
            self._unused = b""
            if not data:
                self._ended = True
                return
            start = self._raw_read - len(data)
            if data[:2] != b"\x1f\x8b":
                rest = data + self._read_raw(BLOCK)
                if not rest.strip(b"\x00 \t\r\n") and not self._read_raw(1):
                    self._ended = True  # padding at the end
                    return
                raise OSError(f"bytes at offset {start} are not gzip (the file is damaged there)")
            self.members[self._position + self._available()] = start
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            self._unused = data
        data = self._inflater.unconsumed_tail or self._unused or self._read_raw(BLOCK)
        self._unused = b""
        if not data:  # the raw stream ended inside a member
            self.cut_short = self._ended = True
            return
        try:
            self._buffer += self._inflater.decompress(data, BLOCK)
        except zlib.error as exc:
            raise OSError(f"gzip data is damaged near offset {self._raw_read}: {exc}") from exc
        if self._inflater.eof:
            self._unused = self._inflater.unused_data
            self._inflater = None

    def _read_raw(self, size: int) -> bytes:
        data = self._raw.read(size)
        self._raw_read += len(data)
        return data

    @property
    def gzipped(self) -> bool:
        return bool(self._gzip)

    def starts_member(self, start: int) -> Optional[int]:
        """The raw offset to read the record at inflated offset ``start`` from on its own: its
        own offset in a plain stream, its gzip member's in a gzip one when the member starts
        with it (as the standard has it: a member per record); else None (a file gzipped whole,
        or a record in the middle of a member)."""
        return start if not self._gzip else self.members.get(start)

    def forget_before(self, offset: int) -> None:
        """Drop the member starts before an inflated offset: the reader has passed them."""
        for start in [s for s in self.members if s < offset]:
            del self.members[start]


def archive_records(stream, **options):
    """warcio's iterator over a WARC or ARC stream, ARC records given WARC headers (so their URL
    and date read the same way) and its stderr warnings counted instead of written."""
    from warcio.archiveiterator import ArchiveIterator

    class QuietArchiveIterator(ArchiveIterator):
        # warcio writes a warning straight to stderr for every record whose Content-Length was
        # wrong (it then finds the next record by its blank line); its err_count counts them.
        INC_RECORD = ""

    return QuietArchiveIterator(stream, arc2warc=True, **options)


def record_content_type(record) -> Optional[str]:
    if record.http_headers is not None:
        return record.http_headers.get_header("Content-Type")
    return record.rec_headers.get_header("Content-Type")  # a resource record's own type


def page_from_archive(location: str, offset: int, max_bytes: int) -> FetchedBody:
    """The page of the one record at ``offset`` of an archive (a gzip member's start, or a
    record's start in a plain file), as FetchPages reads it; the scan has checked the record."""
    with open_raw(location) as handle:
        handle.seek(offset)
        try:
            record = next(iter(archive_records(GzipMembers(handle))))
            url = record.rec_headers.get_header("WARC-Target-URI") or f"{location}#offset={offset}"
            data = record.content_stream().read(max_bytes + 1)
        except (StopIteration, zlib.error, *DAMAGE) as exc:
            raise InputError(
                "truncated_record", f"cannot read the record at offset {offset} of {location}: {exc}"
            ) from exc
    if len(data) > max_bytes:
        raise InputError(
            "too_large", f"the record at offset {offset} of {location} is larger than {max_bytes} bytes"
        )
    return FetchedBody(url, data, record_content_type(record))
