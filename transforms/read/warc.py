"""WARC files (Common Crawl CC-NEWS): HTTP responses as pages, read record by record with warcio."""

from __future__ import annotations

from typing import Iterator, Union

import apache_beam as beam

from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import FetchedBody, page_html
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.dates import parse_date
from newsbeam.transforms.read.specs import to_uri


def records_from_warc(stream, location: str, max_bytes: int) -> Iterator[Union[InputRecord, dict]]:
    """Each HTTP response record of a WARC (CC-NEWS) as a page, read record by record with warcio;
    other record types (request, metadata, warcinfo) are not stories and are passed over. A page
    that is not HTML, too large, or cut off by a truncated file is an errors row."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    class QuietArchiveIterator(ArchiveIterator):
        # warcio writes a warning straight to stderr for every record whose Content-Length was
        # wrong (it then finds the next record by its blank line); counted instead, below.
        INC_RECORD = ""

    index = -1
    records = QuietArchiveIterator(stream)
    try:
        for record in records:
            if record.rec_type != "response":
                continue
            index += 1
            url = record.rec_headers.get_header("WARC-Target-URI") or f"{to_uri(location)}#record={index}"
            ref = f"{location}#record={index}"
            captured = parse_date(record.rec_headers.get_header("WARC-Date"))
            content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
            data = record.content_stream().read(max_bytes + 1)
            if len(data) > max_bytes:
                yield error_row(
                    "read", "too_large", f"WARC record {index} is larger than {max_bytes} bytes", ref, url=url
                )
                continue
            record.content_stream().read()  # drain what is left, so the length and digest checks run
            missing = getattr(record.raw_stream, "limit", 0)
            if missing > 0 or record.digest_checker.passed is False:
                problem = f"{missing} bytes short of its Content-Length" if missing > 0 else "digest mismatch"
                yield error_row(
                    "read", "truncated_record", f"WARC record {index} is damaged: {problem}", ref, url=url
                )
                continue
            try:
                html = page_html(FetchedBody(url, data, content_type))
            except InputError as exc:
                yield error_row("read", exc.kind, exc.message, ref, url=url)
                continue
            yield InputRecord(input_ref=ref, input_kind="warc", url=url, html=html, captured_at=captured)
        if records.err_count:
            beam.metrics.Metrics.counter("newsbeam", "warc_length_mismatch").inc(records.err_count)
    except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
        # The records before the damage were read; the rest of the file is one error.
        yield error_row(
            "read",
            "truncated_warc",
            f"{location} is damaged after record {index}: {exc}",
            f"{location}#record={index + 1}",
        )
