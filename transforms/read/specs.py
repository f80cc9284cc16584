"""What a SPEC names: ``[kind:]location``, its kind (stated, from the file name, or sniffed from
the first bytes), the files a glob or folder stands for, the links a list gives made absolute
against its location and checked (:func:`list_link`: web pages, and files only from lists that are
files themselves), and the ``{date}`` placeholders a scheduled run fills from ``--run_date``."""

from __future__ import annotations

import codecs
import datetime as dt
import os
import posixpath
import re
import urllib.parse
from pathlib import Path
from typing import Optional

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import file_path, is_http
from newsbeam.transforms.common.records import Source

KINDS = ("rss", "jsonfeed", "opml", "sitemap", "urls", "warc", "html", "jsonl", "text")

#: How deep lists of lists are followed: OPML → feed, sitemap index → sitemap, robots.txt → sitemap.
MAX_NESTING = 3

#: The kinds whose inputs can name further inputs to read (an OPML's feeds, a sitemap index's or
#: robots.txt's sitemaps); the others hold only records.
LIST_KINDS = ("opml", "sitemap")

# ".xml" is left to the content: feeds and sitemaps both use it; ".json" too: a JSON Feed or a
# dump of JSON lines.
_EXTENSIONS = {
    ".rss": "rss",
    ".atom": "rss",
    ".rdf": "rss",
    ".opml": "opml",
    ".csv": "urls",
    ".warc": "warc",
    ".arc": "warc",  # ARC, the WARC's predecessor: warcio reads both
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".text": "text",
}


def parse_spec(spec: str) -> Source:
    """``rss:feeds/*.xml`` → Source('feeds/*.xml', 'rss'); a bare path or URL has no kind yet."""
    head, sep, rest = spec.partition(":")
    if sep and head.lower() in KINDS and rest:
        return Source(rest, head.lower())
    return Source(spec, None)


def nesting_levels(specs: list[str]) -> int:
    """How many levels of lists ReadInputs must be ready to read for these SPECs: one when each
    states a kind that holds only records (``html:``, ``warc:``, ``rss:`` ...), else every level
    up to MAX_NESTING, since a list, or a path whose kind is told only by its content, may name
    more lists."""
    if all(parse_spec(spec).kind not in (None, *LIST_KINDS) for spec in specs):
        return 1
    return MAX_NESTING + 1


def kind_from_name(location: str) -> Optional[str]:
    """The kind a file name suggests (``.gz`` looked through), or None."""
    path = urllib.parse.urlsplit(location).path if is_http(location) else location
    name = posixpath.basename(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _EXTENSIONS.get(posixpath.splitext(name)[1])


#: A JSON Feed's version (https://www.jsonfeed.org/version/1.1/), which its spec puts first.
JSON_FEED_VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/', re.IGNORECASE)

#: Byte order marks of the encodings that are not ASCII-compatible (UTF-32's first: UTF-16's
#: little-endian mark begins it), and the first character "<" in each without a mark.
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, b"<\x00\x00\x00", "utf-32-le"),
    (codecs.BOM_UTF32_BE, b"\x00\x00\x00<", "utf-32-be"),
    (codecs.BOM_UTF16_LE, b"<\x00", "utf-16-le"),
    (codecs.BOM_UTF16_BE, b"\x00<", "utf-16-be"),
)


def ascii_head(data: bytes, size: int = 4096) -> bytes:
    """The first ``size`` bytes, as UTF-8 when they are UTF-16 or UTF-32 (told by the byte order
    mark, or by the NULs beside a first "<", as XML's appendix F guesses), so that a feed saved
    as UTF-16 sniffs as a feed."""
    head = data[:size]
    for bom, first, codec in _WIDE_ENCODINGS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="ignore").encode("utf-8")
        if head.startswith(first):
            return head.decode(codec, errors="ignore").encode("utf-8")
    return head


def sniff_kind(data: bytes) -> str:
    """The kind the first bytes suggest: feed XML, HTML, a JSON Feed, JSON lines, or else plain
    text."""
    head = ascii_head(data).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
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
    if head.startswith((b"warc/1.", b"filedesc://")):
        return "warc"
    if head.startswith(b"{") and JSON_FEED_VERSION.search(ascii_head(data, 65536)):
        return "jsonfeed"
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
    """A feed item's link made absolute against the feed's own location (``file:page.html``
    too, against a feed on disk)."""
    link = link.strip()
    base_uri = to_uri(base)
    scheme = urllib.parse.urlsplit(base_uri).scheme
    if urllib.parse.urlsplit(link).scheme.lower() == "file" and scheme == "file":
        return urllib.parse.urljoin(base_uri, link)
    if urllib.parse.urlsplit(link).scheme:
        return link
    if scheme in ("http", "https", "file"):
        return urllib.parse.urljoin(base_uri, link)
    # urljoin only joins schemes it knows; gs:// and s3:// join like http://.
    joined = urllib.parse.urljoin("http" + base_uri[len(scheme) :], link)
    return scheme + joined[len("http") :]


#: Schemes of the filesystems a list's links are read from (a one-letter scheme is a Windows
#: drive: a path): only a list that is itself a file or in a bucket may name them.
FILE_SCHEMES = ("file", "gs", "s3")

#: How much of a refused link an errors row shows: a ``data:`` URI can hold a whole page.
SHOWN_LINK_CHARS = 200


def list_link(base: str, link: str, what: str) -> str:
    """A link a list gives (a feed item's, a sitemap's ``<loc>``, an OPML ``xmlUrl``) made
    absolute against the list's location, or InputError: ``invalid_url`` for a link that is no
    web page nor file (``urn:``, ``mailto:``, ``javascript:``, ``data:``, ``tel:``, ``ftp:``...),
    ``unsafe_link`` for a file or bucket named by a list read over http(s), which may never
    reach the worker's files. ``what`` names the link's place: "feed item 3"."""
    try:
        url = resolve_link(base, link)
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError:  # "http://[::1" and the like: urllib cannot split it
        raise InputError("invalid_url", f"{what} links to {shown_link(link)}, which is not a URL") from None
    if scheme in ("http", "https"):
        return url
    if len(scheme) > 1 and scheme not in FILE_SCHEMES:
        raise InputError(
            "invalid_url",
            f"{what} links to {shown_link(url)}, a {scheme}: link, not a web page or a file",
        )
    if is_http(base):
        raise InputError(
            "unsafe_link",
            f"{what} links to {shown_link(url)}, not an http(s) URL: a list from the web may not name files",
        )
    return url


def web_link(base: str, link: str) -> Optional[str]:
    """A link made absolute when it is an http(s) URL (a feed's image), else None."""
    try:
        url = resolve_link(base, link)
        return url if is_http(url) else None
    except ValueError:  # "http://[::1" and the like: urllib cannot split it
        return None


def shown_link(link: str) -> str:
    """A link as an errors row shows it: at most :data:`SHOWN_LINK_CHARS` of it."""
    return link if len(link) <= SHOWN_LINK_CHARS else link[: SHOWN_LINK_CHARS - 1] + "…"


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


#: Placeholders an input SPEC may hold, filled from the run's day (``--run_date``).
DATE_PLACEHOLDERS = {
    "date": "%Y-%m-%d",
    "yyyymmdd": "%Y%m%d",
    "yyyy": "%Y",
    "mm": "%m",
    "dd": "%d",
}

_PLACEHOLDER = re.compile(r"\{(" + "|".join(DATE_PLACEHOLDERS) + r")\}")


def has_date_placeholder(spec: str) -> bool:
    return bool(_PLACEHOLDER.search(spec))


def fill_date_placeholders(spec: str, day: dt.date) -> str:
    """``warc:s3://b/CC-NEWS/{yyyy}/{mm}/CC-NEWS-{yyyymmdd}*.warc.gz`` → that day's paths."""
    return _PLACEHOLDER.sub(lambda m: day.strftime(DATE_PLACEHOLDERS[m.group(1)]), spec)


def dated_inputs(specs: list[str], day: Optional[dt.date]) -> list[str]:
    """The input SPECs with their date placeholders filled from ``day`` (the ``--run_date``);
    ValueError when a SPEC holds one and there is no day to fill it with."""
    if day is None:
        for spec in specs:
            if has_date_placeholder(spec):
                names = ", ".join("{" + name + "}" for name in DATE_PLACEHOLDERS)
                raise ValueError(
                    f"--input {spec!r} holds a date placeholder ({names}) but no --run_date says which day"
                )
        return list(specs)
    return [fill_date_placeholders(spec, day) for spec in specs]
