"""Reading one record of a WARC or ARC archive with warcio: the read stage scans archives with
:func:`archive_records` (:mod:`newsbeam.transforms.read.warc`), and FetchPages reads each page
at the offset the scan found (:func:`page_from_archive`)."""

from __future__ import annotations

import zlib
from typing import Optional

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import FetchedBody, open_raw


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
    from warcio.exceptions import ArchiveLoadFailed

    with open_raw(location) as handle:
        handle.seek(offset)
        try:
            record = next(iter(archive_records(handle)))
            url = record.rec_headers.get_header("WARC-Target-URI") or f"{location}#offset={offset}"
            data = record.content_stream().read(max_bytes + 1)
        except (StopIteration, ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
            raise InputError(
                "truncated_record", f"cannot read the record at offset {offset} of {location}: {exc}"
            ) from exc
    if len(data) > max_bytes:
        raise InputError(
            "too_large", f"the record at offset {offset} of {location} is larger than {max_bytes} bytes"
        )
    return FetchedBody(url, data, record_content_type(record))
