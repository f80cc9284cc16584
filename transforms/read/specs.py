"""What a SPEC names: ``[kind:]location``, its kind (stated, from the file name, or sniffed from
the first bytes), the files a glob or folder stands for, links made absolute against a feed's
location, and the ``{date}`` placeholders a scheduled run fills from ``--run_date``."""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import urllib.parse
from pathlib import Path
from typing import Optional

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.common.fetching import file_path, is_http
from newsbeam.transforms.common.records import Source

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
    if head.startswith((b"warc/1.", b"filedesc://")):
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
