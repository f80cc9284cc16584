"""Files read as streams through Beam's FileSystems, so dumps and archives larger than memory are
read a line or a record at a time, and a gzip body is inflated only up to the page cap."""

from __future__ import annotations

import dataclasses
from typing import Iterator, Optional

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import FetchedBody, file_path, open_raw


def gunzipped(body: FetchedBody, max_bytes: int) -> FetchedBody:
    """A gzip body (a ``.xml.gz`` sitemap over HTTP) decompressed, at most ``max_bytes`` of it:
    a gzip bomb is an error, not an out-of-memory."""
    if body.data[:2] != b"\x1f\x8b":
        return body
    import zlib

    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(body.data, max_bytes + 1)
    except zlib.error as exc:
        raise InputError("bad_gzip", f"{body.location} is not valid gzip: {exc}") from exc
    if len(data) > max_bytes:
        raise InputError("too_large", f"{body.location} inflates to more than {max_bytes} bytes")
    return dataclasses.replace(body, data=data)


def is_archive(location: str) -> bool:
    """True when a file's first bytes (inflated if gzipped) are a WARC's or an ARC's."""
    import zlib

    try:
        with open_raw(location) as handle:
            head = handle.read(1 << 12)
    except (InputError, OSError):
        return False  # reading it for real says what is wrong
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, 64)
        except zlib.error:
            return False
    return head.startswith((b"WARC/1.", b"WARC/0.", b"filedesc://"))


def _capped_lines(handle, max_bytes: int, block: int = 1 << 20) -> Iterator[bytes]:
    buffer, skipping = b"", False
    while chunk := handle.read(block):
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            if not skipping:
                yield buffer[start : end + 1]
            skipping, start = False, end + 1
        buffer = buffer[start:]
        if len(buffer) > max_bytes:  # a line too long to hold: its head stands for it
            if not skipping:
                yield buffer[: max_bytes + 1]
            buffer, skipping = b"", True
    if buffer and not skipping:
        yield buffer


def stream_lines(location: str, max_bytes: Optional[int] = None) -> Iterator[bytes]:
    """The lines of a file, read through FileSystems (``.gz`` and ``.bz2`` decompressed). A line
    longer than ``max_bytes`` is never held whole: its first ``max_bytes + 1`` bytes stand for
    it (so the reader can tell it is too long) and the rest is skipped."""
    try:
        with FileSystems.open(file_path(location)) as handle:
            if max_bytes is None:
                yield from iter(handle.readline, b"")
            else:  # Beam's compressed files take no size for readline: split blocks ourselves
                yield from _capped_lines(handle, max_bytes)
    except FileNotFoundError as exc:
        raise InputError("not_found", f"no such file: {location}") from exc
    except OSError as exc:
        raise InputError("io_error", f"cannot read {location}: {exc}") from exc
