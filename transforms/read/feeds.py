"""RSS and Atom feeds: each item a record whose link is fetched (feedparser reads every dialect)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Iterator, Optional, Union

from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import is_http
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.lists import refuse_entity_declarations
from newsbeam.transforms.read.specs import resolve_link


def records_from_feed(data: bytes, location: str) -> Iterator[Union[InputRecord, dict]]:
    """Each RSS/Atom item as a record to fetch, or an errors row for an item without a link."""
    import feedparser  # the reference RSS/Atom parser: every dialect, tolerant of broken feeds

    refuse_entity_declarations(data, location)
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
            feed_html=full_content(entry),
            image=feed_image(entry, location),
        )


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
    for url in candidates:
        if url and is_http(resolve_link(location, url)):
            return resolve_link(location, url)
    return None


def feed_date(parsed) -> Optional[dt.datetime]:
    """feedparser's UTC struct_time as an aware datetime; None when absent or out of range."""
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None
