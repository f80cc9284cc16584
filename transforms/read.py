"""Read input SPECs (paths, globs, URLs) into input records: one per story an input offers.

A SPEC is ``[kind:]location``. Its kind is the prefix when given, else the file name's
extension, else a sniff of the content. One input record is one feed item, sitemap or URL-list
entry, WARC response, HTML file, JSONL line or text file; an input that cannot be read at all is
one ``errors`` row, so every record is accounted for. This module holds the types, the kinds and
the Beam transform; each format's reader is in ``read_feeds``, ``read_lists``, ``read_dumps`` or
``read_warc``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import posixpath
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.errors import ERRORS, InputError, apply_with_errors, failed
from newsbeam.transforms.fetch import FetchedBody, FetchPolicy, fetch, file_path, is_http
from newsbeam.transforms.timing import timed_iter

KINDS = ("rss", "opml", "sitemap", "urls", "warc", "html", "jsonl", "text")
#: How deep lists of lists are followed: OPML → feed, sitemap index → sitemap, robots.txt → sitemap.
MAX_NESTING = 3

# ".xml" is left to the content: feeds and sitemaps both use it.
_EXTENSIONS = {
    ".rss": "rss",
    ".atom": "rss",
    ".rdf": "rss",
    ".opml": "opml",
    ".csv": "urls",
    ".warc": "warc",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".text": "text",
}


@dataclass(frozen=True)
class Source:
    """One thing to read: a file or URL, with its kind if the SPEC stated one, and how many lists
    (OPML, sitemap index, robots.txt) led to it."""

    location: str
    kind: Optional[str] = None
    depth: int = 0


@dataclass(frozen=True)
class InputRecord:
    """One story as an input offers it, before fetching and parsing.

    ``html`` or ``text`` is set when the input carries the story itself; otherwise ``url`` is
    fetched. ``title``, ``authors``, ``published_at``, ``language``, ``feed_html`` and ``image``
    are hints from the feed or dump, used where the page itself says less.
    """

    input_ref: str
    input_kind: str
    url: str
    html: Optional[str] = None
    text: Optional[str] = None
    title: Optional[str] = None
    authors: tuple = ()
    published_at: Optional[dt.datetime] = None
    language: Optional[str] = None
    feed: Optional[str] = None
    captured_at: Optional[dt.datetime] = None  # WARC-Date, or when newsbeam fetched the page
    #: A feed's full content for the item (RSS ``content:encoded``, Atom ``content``), as HTML:
    #: the body when the page gives less, or when the page cannot be fetched at all.
    feed_html: Optional[str] = None
    image: Optional[str] = None  # the feed's image for the item (Media RSS or an image enclosure)


# ---------------------------------------------------------------- specs and kinds


def parse_spec(spec: str) -> Source:
    """``rss:feeds/*.xml`` → Source('feeds/*.xml', 'rss'); a bare path or URL has no kind yet."""
    head, sep, rest = spec.partition(":")
    if sep and head.lower() in KINDS and rest:
        return Source(rest, head.lower())
    return Source(spec, None)


def kind_from_name(location: str) -> Optional[str]:
    """The kind a file name suggests (``.gz`` looked through), or None."""
    path = urllib.parse.urlsplit(location).path if is_http(location) else location
    name = posixpath.basename(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _EXTENSIONS.get(posixpath.splitext(name)[1])


def sniff_kind(data: bytes) -> str:
    """The kind the first bytes suggest: feed XML, HTML, JSON lines, or else plain text."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:1024]:
        return "html"
    if head.startswith(b"<") and b"<opml" in head:
        return "opml"
    if head.startswith(b"<") and (b"<urlset" in head or b"<sitemapindex" in head):
        return "sitemap"
    if head.startswith(b"<") and any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf", b"<channel")):
        return "rss"
    if head.startswith(b"<"):
        return "html"
    if head.startswith(b"warc/1."):
        return "warc"
    if head.startswith(b"{"):
        return "jsonl"
    lines = [line.strip() for line in head.splitlines() if line.strip() and not line.startswith(b"#")][:5]
    if lines and all(re.match(rb"^https?://\S+$", line) for line in lines):
        return "urls"
    return "text"


def is_glob(location: str) -> bool:
    return any(ch in location for ch in "*?[")


def to_uri(location: str) -> str:
    """A URL for a location: http(s), gs:// etc. stay as they are; local paths become file:// URIs."""
    scheme = urllib.parse.urlsplit(location).scheme
    if scheme == "file" or len(scheme) > 1:  # a one-letter scheme is a Windows drive
        return location
    return Path(os.path.abspath(location)).as_uri()


def resolve_link(base: str, link: str) -> str:
    """A feed item's link made absolute against the feed's own location."""
    link = link.strip()
    if urllib.parse.urlsplit(link).scheme:
        return link
    base_uri = to_uri(base)
    scheme = urllib.parse.urlsplit(base_uri).scheme
    if scheme in ("http", "https", "file"):
        return urllib.parse.urljoin(base_uri, link)
    # urljoin only joins schemes it knows; gs:// and s3:// join like http://.
    joined = urllib.parse.urljoin("http" + base_uri[len(scheme) :], link)
    return scheme + joined[len("http") :]


def expand_source(source: Source) -> list[Source]:
    """A SPEC's location as the files it stands for (globs and folders matched); URLs as they are."""
    if is_http(source.location):
        return [source]
    pattern = file_pattern(source.location)
    matches = FileSystems.match([pattern])[0].metadata_list
    return sorted(
        (Source(m.path, source.kind) for m in matches if not posixpath.basename(m.path).startswith(".")),
        key=lambda s: s.location,
    )


def file_pattern(location: str) -> str:
    """A local folder stands for every file under it, subfolders included."""
    path = file_path(location)
    if not is_glob(path) and os.path.isdir(path):
        return os.path.join(path, "**")
    return path


# ---------------------------------------------------------------- one input to records


def to_utc(value) -> Optional[dt.datetime]:
    """A datetime as aware UTC (naive ones are taken as UTC); anything else is None."""
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def parse_date(value) -> Optional[dt.datetime]:
    """An ISO 8601 / RFC 822 date string as an aware UTC datetime, or None."""
    if not value or not isinstance(value, str):
        return None
    from dateutil import parser as dateparser

    try:
        return to_utc(dateparser.parse(value))
    except (ValueError, OverflowError):
        return None


DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def refuse_entity_declarations(data: bytes, location: str) -> None:
    """Refuse an XML feed, OPML or sitemap whose DOCTYPE declares entities of its own: a
    "billion laughs" bomb or an external-entity read, never a real feed. Our parsers would not
    expand them anyway (expat's amplification limit, lxml with ``resolve_entities=False``), but
    a document built to attack its reader is an errors row, not a source of links."""
    match = DOCTYPE.search(data, 0, 65536)
    if not match:
        return
    end = data.find(b"]>", match.end())
    subset = data[match.end() : end if end >= 0 else match.end() + 1_000_000]
    if b"<!ENTITY" in subset.upper():
        raise InputError(
            "bad_xml", f"{location} declares its own XML entities (an XML bomb or external entity), not read"
        )


def records_from(body: FetchedBody, kind: Optional[str], source: Optional[Source] = None) -> Iterator:
    """Every record (or nested source) one input holds, by its kind (stated, from the name, or
    sniffed). The readers live in ``read_*.py``; imported here, as they import this module."""
    from newsbeam.transforms.read_dumps import record_from_html, record_from_text, records_from_jsonl
    from newsbeam.transforms.read_feeds import records_from_feed
    from newsbeam.transforms.read_lists import (
        items_from_sitemap,
        records_from_url_list,
        sitemaps_from_robots,
        sources_from_opml,
    )
    from newsbeam.transforms.read_warc import records_from_warc

    source = source or Source(body.location, kind)
    kind = kind or kind_from_name(body.location) or sniff_kind(body.data)
    if kind == "sitemap" and posixpath.basename(urllib.parse.urlsplit(body.location).path) == "robots.txt":
        yield from sitemaps_from_robots(body.data, source)
    elif kind == "sitemap":
        yield from items_from_sitemap(body.data, source)
    elif kind == "opml":
        yield from sources_from_opml(body.data, source)
    elif kind == "urls":
        yield from records_from_url_list(body.data, body.location)
    elif kind == "warc":
        yield from records_from_warc(io.BytesIO(body.data), body.location, len(body.data) + 1)
    elif kind == "rss":
        yield from records_from_feed(body.data, body.location)
    elif kind == "jsonl":
        yield from records_from_jsonl(body.data.splitlines(), body.location)
    elif kind == "html":
        yield record_from_html(body)
    else:
        yield record_from_text(body)


# ---------------------------------------------------------------- Beam


class ExpandSpecFn(beam.DoFn):
    """A SPEC → the sources it matches; a SPEC that matches nothing is an errors row."""

    def process(self, spec: str):
        source = parse_spec(spec)
        try:
            sources = expand_source(source)
        except Exception as exc:  # FileSystems raises BeamIOError and friends for bad patterns
            yield failed("read", InputError("io_error", f"cannot list {spec}: {exc}"), spec)
            return
        if not sources:
            yield failed("read", InputError("not_found", f"{spec} matches no files"), spec)
        yield from sources


class ReadSourceFn(beam.DoFn):
    """A source → its input records; an unreadable source, or one with no records in it, is one
    errors row, so every input ends in some table."""

    def __init__(self, policy: FetchPolicy):
        self._policy = policy

    def process(self, source: Source):
        counter = beam.metrics.Metrics.counter("newsbeam", "inputs_read")
        found = 0
        try:
            for item in timed_iter("read", self._records(source)):
                found += 1
                if isinstance(item, Source):  # a list of lists: read at the next level
                    if item.depth > MAX_NESTING:
                        counter.inc()
                        yield failed(
                            "read",
                            InputError(
                                "too_deep", f"{item.location} is nested more than {MAX_NESTING} lists deep"
                            ),
                            item.location,
                        )
                    else:
                        yield item
                    continue
                counter.inc()
                if isinstance(item, dict):
                    yield beam.pvalue.TaggedOutput(ERRORS, item)
                else:
                    yield item
            if not found:  # a feed with no items, a URL list with no URLs, an empty dump or WARC
                raise InputError("empty", f"{source.location} holds no records")
        except InputError as exc:
            counter.inc()
            yield failed(
                "read", exc, source.location, url=source.location if is_http(source.location) else None
            )

    def _records(self, source: Source) -> Iterator[Union[InputRecord, dict]]:
        from newsbeam.transforms.read_dumps import records_from_jsonl
        from newsbeam.transforms.read_warc import records_from_warc

        kind = source.kind or kind_from_name(source.location)
        if not is_http(source.location) and kind == "jsonl":
            # Dumps can be far larger than memory: read them line by line.
            lines = stream_lines(source.location, self._policy.max_bytes)
            yield from records_from_jsonl(lines, source.location, self._policy.max_bytes)
            return
        if not is_http(source.location) and kind == "warc":
            # A day of CC-NEWS is gigabytes: stream it record by record, warcio undoing the gzip members.
            yield from records_from_warc(open_raw(source.location), source.location, self._policy.max_bytes)
            return
        if not is_http(source.location) and kind == "html":
            # One page: FetchPages reads it after the records are spread over the workers, so its
            # bytes never sit in a shuffled collection (the runner holds those in memory).
            yield InputRecord(input_ref=source.location, input_kind="html", url=to_uri(source.location))
            return
        location = source.location
        if (
            source.kind == "sitemap"
            and is_http(location)
            and urllib.parse.urlsplit(location).path in ("", "/")
        ):
            location = urllib.parse.urljoin(
                location, "/robots.txt"
            )  # a site root: its robots.txt lists the sitemaps
        body = gunzipped(fetch(location, self._policy), self._policy.max_bytes)
        yield from records_from(body, source.kind, dataclasses.replace(source, location=location))


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


def open_raw(location: str):
    """A file as raw bytes through FileSystems, not decompressed (warcio reads gzip members itself)."""
    from apache_beam.io.filesystem import CompressionTypes

    try:
        return FileSystems.open(file_path(location), compression_type=CompressionTypes.UNCOMPRESSED)
    except FileNotFoundError as exc:
        raise InputError("not_found", f"no such file: {location}") from exc
    except OSError as exc:
        raise InputError("io_error", f"cannot read {location}: {exc}") from exc


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


class ReadInputs(beam.PTransform):
    """SPECs → input records, plus an errors PCollection; each input record is in exactly one."""

    def __init__(self, specs: list[str], policy: FetchPolicy, error_threshold: float = 1.0):
        super().__init__()
        self._specs = list(specs)
        self._policy = policy
        self._threshold = error_threshold

    def expand(self, pbegin):
        expanded = (
            pbegin
            | "Specs" >> beam.Create(self._specs)
            | "ExpandSpecs" >> beam.ParDo(ExpandSpecFn()).with_outputs(ERRORS, main="sources")
        )
        sources, records, errors = expanded.sources, [], [expanded[ERRORS]]
        # Lists of lists (OPML → feeds, sitemap index → sitemaps) are read level by level: a Beam
        # graph is fixed, so the levels are unrolled up to MAX_NESTING.
        for level in range(MAX_NESTING + 1):
            found, level_errors = apply_with_errors(
                sources | f"SpreadSources{level}" >> beam.Reshuffle(),
                f"ReadSources{level}",
                ReadSourceFn(self._policy),
                "read",
                lambda s: (s.location, None, None),
                self._threshold,
                partial=True,  # a dump's records stream out as read; buffering them could exhaust memory
            )
            level_records, sources = found | f"SplitNested{level}" >> beam.Partition(
                lambda item, _: 1 if isinstance(item, Source) else 0, 2
            )
            records.append(level_records)
            errors.append(level_errors)
        return (
            records | "AllRecords" >> beam.Flatten(),
            errors | "ReadErrors" >> beam.Flatten(),
        )
