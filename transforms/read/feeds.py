"""RSS and Atom feeds: each item a record whose link is fetched (feedparser reads every dialect).

An item's link is checked as every list's is (:func:`~.specs.list_link`). A feed whose only fault
is its encoding (declared as one and written in another, declared as none Python knows, UTF-16
without a byte order mark) is decoded again by what its bytes are (:func:`as_utf8`) and read;
only a feed that no encoding makes readable is ``invalid_feed``.
"""

from __future__ import annotations

import calendar
import codecs
import datetime as dt
import re
from typing import Iterator, Optional, Union

import apache_beam as beam

from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import detected_encodings
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.lists import refuse_entity_declarations
from newsbeam.transforms.read.specs import list_link, web_link

#: The XML declaration at the head of a document, whose encoding a re-decoded feed replaces.
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def records_from_feed(data: bytes, location: str) -> Iterator[Union[InputRecord, dict]]:
    """Each RSS/Atom item as a record to fetch, or an errors row for an item without a link or
    whose link is no web page (or a file, in a feed from the web)."""
    refuse_entity_declarations(data, location)
    feed = read_feed(data, location)
    language = (feed.feed.get("language") or "").split("-")[0].lower() or None
    for index, entry in enumerate(feed.entries):
        ref = f"{location}#item={index}"
        link = entry.get("link")
        if not link:
            yield error_row("read", "no_link", f"feed item {index} has no link", ref)
            continue
        try:
            url = list_link(location, unfolded_file_link(link), f"feed item {index}")
        except InputError as exc:
            yield error_row("read", exc.kind, exc.message, ref)
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
            feed_html=full_content(entry),
            image=feed_image(entry, location),
        )


def read_feed(data: bytes, location: str):
    """feedparser's reading of a feed. When feedparser found no items, or had to guess the
    encoding (its bozo warnings CharacterEncodingOverride, CharacterEncodingUnknown,
    NonXMLContentType), the feed is read again from :func:`as_utf8`'s decoding, which wins when it
    gives as many items; InputError ``invalid_feed`` when neither reading gives any."""
    import feedparser  # the reference RSS/Atom parser: every dialect, tolerant of broken feeds

    encoding_warnings = (
        feedparser.CharacterEncodingOverride,
        feedparser.CharacterEncodingUnknown,
        feedparser.NonXMLContentType,
    )
    feed = feedparser.parse(data)
    warned = isinstance(feed.get("bozo_exception"), encoding_warnings)
    if not feed.bozo or (feed.entries and not warned):
        return feed
    redecoded = as_utf8(data)
    if redecoded is not None and redecoded != data:
        refuse_entity_declarations(redecoded, location)  # a UTF-16 feed hid its DOCTYPE from the first look
        again = feedparser.parse(redecoded)
        if again.entries and len(again.entries) >= len(feed.entries):
            feed, warned = again, True
    if not feed.entries:
        raise InputError("invalid_feed", f"{location} is not a readable RSS/Atom feed: {feed.bozo_exception}")
    if warned:
        beam.metrics.Metrics.counter("newsbeam", "feeds_read_despite_encoding").inc()
    return feed


#: Byte order marks and the codecs that read past them (UTF-32's first: UTF-16's begins it).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF8, "utf-8-sig"),
)


def as_utf8(data: bytes) -> Optional[bytes]:
    """A feed's bytes decoded by what they are, not by what they declare, and written as UTF-8
    with a declaration that says so; None when nothing decodes them. A byte order mark decides
    first, then valid UTF-8 (unless a NUL shows a wider encoding: XML allows no NUL), then
    charset_normalizer's guesses (:func:`detected_encodings`, which tells UTF-16 without a mark)."""
    codecs_to_try = [codec for bom, codec in _BOMS if data.startswith(bom)][:1]
    if b"\x00" not in data[:4096]:
        codecs_to_try.append("utf-8")
    for codec in codecs_to_try + detected_encodings(data):
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        text = XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
        return ('<?xml version="1.0" encoding="utf-8"?>' + text).encode("utf-8")
    return None


def unfolded_file_link(link: str) -> str:
    """A ``file:`` link as the feed wrote it. feedparser folds the slashes after ``scheme://``,
    so ``file:///srv/a.html`` comes out as ``file://srv/a.html``, its first folder read as a
    host; a file: URL names no host Beam could read but this one, so that host is a folder."""
    link = link.strip()
    host = link[len("file://") :].split("/", 1)[0]
    if link[: len("file://")].lower() != "file://" or host.lower() in ("", "localhost"):
        return link
    return "file:///" + link[len("file://") :]


def full_content(entry) -> Optional[str]:
    """The item's full content (RSS ``content:encoded``, Atom ``content``; feedparser has already
    sanitised it), the longest when there are several; None when the feed gives only a summary."""
    values = [c.get("value") or "" for c in entry.get("content") or []]
    best = max(values, key=len, default="")
    return best if best.strip() else None


def feed_image(entry, location: str) -> Optional[str]:
    """The item's image: Media RSS ``media:content`` (an image), then ``media:thumbnail``, then an
    image ``enclosure``; only http(s) URLs."""
    candidates = [
        m.get("url") for m in entry.get("media_content") or []
        if m.get("medium") == "image" or (m.get("type") or "").startswith("image/")
    ]  # fmt: skip
    candidates += [m.get("url") for m in entry.get("media_thumbnail") or []]
    candidates += [
        e.get("href") for e in entry.get("enclosures") or [] if (e.get("type") or "").startswith("image/")
    ]
    links = (web_link(location, url) for url in candidates if url)
    return next((link for link in links if link), None)


def feed_date(parsed) -> Optional[dt.datetime]:
    """feedparser's UTC struct_time as an aware datetime; None when absent or out of range."""
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None
