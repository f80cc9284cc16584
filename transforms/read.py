"""Read input SPECs (paths, globs, URLs) into input records: one per story an input offers.

A SPEC is ``[kind:]location``. Its kind is the prefix when given (``rss:``, ``html:``,
``jsonl:``, ``text:``), else the file name's extension, else a sniff of the content. One input
record is one feed item, one HTML file, one JSONL line or one text file; an input that cannot
be read at all is one ``errors`` row, so every record is accounted for.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import csv
import io
import json
import os
import re
import posixpath
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from transforms.errors import ERRORS, InputError, apply_with_errors, error_row, failed
from transforms.fetch import FetchedBody, FetchPolicy, decode_html, fetch, file_path, is_http, page_html

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
    fetched. ``title``, ``authors``, ``published_at`` and ``language`` are hints from the feed or
    dump, used where the page itself says nothing.
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


def records_from_feed(data: bytes, location: str) -> Iterator[Union[InputRecord, dict]]:
    """Each RSS/Atom item as a record to fetch, or an errors row for an item without a link."""
    import feedparser  # the reference RSS/Atom parser: every dialect, tolerant of broken feeds

    feed = feedparser.parse(data)
    if feed.bozo and not feed.entries:
        raise InputError("invalid_feed", f"{location} is not a readable RSS/Atom feed: {feed.bozo_exception}")
    language = (feed.feed.get("language") or "").split("-")[0].lower() or None
    for index, entry in enumerate(feed.entries):
        ref = f"{location}#item={index}"
        link = entry.get("link")
        if not link:
            yield error_row("read", "no_link", f"feed item {index} has no link", ref)
            continue
        url = resolve_link(location, link)
        if is_http(location) and not is_http(url):
            # A feed from the web may only point at the web: never at this machine's files or buckets.
            yield error_row(
                "read", "unsafe_link", f"feed item {index} links to {url}, not an http(s) URL", ref
            )
            continue
        authors = tuple(a["name"] for a in entry.get("authors", []) if a.get("name"))
        yield InputRecord(
            input_ref=ref,
            input_kind="rss",
            url=url,
            title=entry.get("title") or None,
            authors=authors,
            published_at=feed_date(entry.get("published_parsed") or entry.get("updated_parsed")),
            language=language,
            feed=location,
        )


def feed_date(parsed) -> Optional[dt.datetime]:
    """feedparser's UTC struct_time as an aware datetime; None when absent or out of range."""
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def records_from_jsonl(lines: Iterable[bytes], location: str) -> Iterator[Union[InputRecord, dict]]:
    """Each line ``{"url", "html"}`` or ``{"url", "title", "text"}`` as a record; bad lines as errors."""
    for lineno, line in enumerate(lines, start=1):
        raw = line.decode("utf-8", errors="replace")
        if not raw.strip():
            continue
        ref = f"{location}:{lineno}"
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


def parse_xml(data: bytes, location: str):
    """A safe lxml parse: no entity expansion, no external entities or DTDs, no network, no huge
    trees (a "billion laughs" document is an error, not an out-of-memory)."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InputError("bad_xml", f"{location} is not well-formed XML: {exc}") from exc
    if root is None:
        raise InputError("bad_xml", f"{location} holds no XML document")
    return root


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(node, name: str) -> Optional[str]:
    for child in node.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def sources_from_opml(data: bytes, source: Source) -> Iterator[Source]:
    """Every feed an OPML list names (outlines with an xmlUrl, at any depth)."""
    root = parse_xml(data, source.location)
    if _local(root.tag) != "opml":
        raise InputError("bad_opml", f"{source.location} is XML but not OPML")
    for outline in (node for node in root.iter() if _local(node.tag) == "outline"):
        feed = outline.get("xmlUrl") or outline.get("xmlurl")
        if feed:
            yield Source(resolve_link(source.location, feed), "rss", source.depth + 1)


def items_from_sitemap(data: bytes, source: Source) -> Iterator[Union[InputRecord, Source, dict]]:
    """A urlset's pages as records (with Google News title, date and language when present), or a
    sitemap index's sitemaps as sources."""
    root = parse_xml(data, source.location)
    kind = _local(root.tag)
    if kind == "sitemapindex":
        for node in root:
            loc = _child_text(node, "loc") if _local(node.tag) == "sitemap" else None
            if loc:
                yield Source(resolve_link(source.location, loc), "sitemap", source.depth + 1)
        return
    if kind != "urlset":
        raise InputError("bad_sitemap", f"{source.location} is XML but neither a urlset nor a sitemap index")
    for index, node in enumerate(n for n in root if _local(n.tag) == "url"):
        ref = f"{source.location}#url={index}"
        loc = _child_text(node, "loc")
        if not loc:
            yield error_row("read", "no_link", f"sitemap entry {index} has no <loc>", ref)
            continue
        language = _child_text(node, "language")
        yield InputRecord(
            input_ref=ref,
            input_kind="sitemap",
            url=resolve_link(source.location, loc),
            title=_child_text(node, "title"),
            published_at=parse_date(_child_text(node, "publication_date") or _child_text(node, "lastmod")),
            language=language.split("-")[0].lower() if language else None,
            feed=source.location,
        )


def sitemaps_from_robots(data: bytes, source: Source) -> Iterator[Source]:
    """The ``Sitemap:`` lines of a robots.txt."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            yield Source(resolve_link(source.location, value.strip()), "sitemap", source.depth + 1)


def records_from_url_list(data: bytes, location: str) -> Iterator[Union[InputRecord, dict]]:
    """One URL per line (``#`` starts a comment), or a CSV with a url (or link) column."""
    text = data.decode("utf-8-sig", errors="replace")
    first = next(
        (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), ""
    )
    if location.lower().endswith((".csv", ".csv.gz")) or (
        "," in first and not first.strip().startswith("http")
    ):
        reader = csv.DictReader(io.StringIO(text))
        column = next(
            (c for c in reader.fieldnames or [] if c and c.strip().lower() in ("url", "link")), None
        )
        if column is None:
            raise InputError("no_url_column", f"{location} has no url or link column")
        rows = ((index + 2, (row.get(column) or "").strip()) for index, row in enumerate(reader))
    else:
        rows = ((index + 1, line.split("#", 1)[0].strip()) for index, line in enumerate(text.splitlines()))
    for lineno, url in rows:
        if not url:
            continue
        ref = f"{location}:{lineno}"
        if not is_http(url):
            yield error_row("read", "invalid_url", f"line {lineno} is not an http(s) URL: {url[:200]}", ref)
            continue
        yield InputRecord(input_ref=ref, input_kind="urls", url=url)


def records_from_warc(stream, location: str, max_bytes: int) -> Iterator[Union[InputRecord, dict]]:
    """Each HTTP response record of a WARC (CC-NEWS) as a page, read record by record with warcio;
    other record types (request, metadata, warcinfo) are not stories and are passed over. A page
    that is not HTML, too large, or cut off by a truncated file is an errors row."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    index = -1
    try:
        for record in ArchiveIterator(stream):
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
    except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
        # The records before the damage were read; the rest of the file is one error.
        yield error_row(
            "read",
            "truncated_warc",
            f"{location} is damaged after record {index}: {exc}",
            f"{location}#record={index + 1}",
        )


def records_from(body: FetchedBody, kind: Optional[str], source: Optional[Source] = None) -> Iterator:
    """Every record (or nested source) one input holds, by its kind (stated, from the name, or
    sniffed)."""
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
    """A source → its input records; an unreadable source is one errors row."""

    def __init__(self, policy: FetchPolicy):
        self._policy = policy

    def process(self, source: Source):
        counter = beam.metrics.Metrics.counter("newsbeam", "inputs_read")
        try:
            for item in self._records(source):
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
        except InputError as exc:
            counter.inc()
            yield failed(
                "read", exc, source.location, url=source.location if is_http(source.location) else None
            )

    def _records(self, source: Source) -> Iterator[Union[InputRecord, dict]]:
        kind = source.kind or kind_from_name(source.location)
        if not is_http(source.location) and kind == "jsonl":
            # Dumps can be far larger than memory: read them line by line.
            yield from records_from_jsonl(stream_lines(source.location), source.location)
            return
        if not is_http(source.location) and kind == "warc":
            # A day of CC-NEWS is gigabytes: stream it record by record, warcio undoing the gzip members.
            yield from records_from_warc(open_raw(source.location), source.location, self._policy.max_bytes)
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


def stream_lines(location: str) -> Iterator[bytes]:
    """The lines of a file, read through FileSystems (``.gz`` and ``.bz2`` decompressed)."""
    try:
        with FileSystems.open(file_path(location)) as handle:
            yield from iter(handle.readline, b"")
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
