"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/): each item a record whose link
is fetched, with the hints an RSS item gives (title, authors, date, language, full content, image).

An item's link is its ``url``, else its ``external_url``, else its ``id`` when that is an http(s)
URL, checked as every list's links are (:func:`~.specs.list_link`). No library: the format is
plain JSON, read with the standard library.
"""

from __future__ import annotations

import html
import json
import re
from typing import Iterator, Optional, Union

from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import is_http
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.dates import parse_date
from newsbeam.transforms.read.specs import list_link, web_link

#: What a JSON Feed's ``version`` starts with (the spec writes https; some early feeds http).
VERSION_PREFIX = re.compile(r"^https?://jsonfeed\.org/version/", re.IGNORECASE)


def is_json_feed(document) -> bool:
    """Whether a parsed JSON document is a JSON Feed: an object whose version is a JSON Feed's."""
    return isinstance(document, dict) and bool(VERSION_PREFIX.match(str(document.get("version") or "")))


def records_from_jsonfeed(data: bytes, location: str) -> Iterator[Union[InputRecord, dict]]:
    """Each JSON Feed item as a record to fetch, or an errors row for an item that is no object,
    has no link, or links to no web page; InputError ``invalid_feed`` for a document that is not
    JSON, or is JSON but no JSON Feed."""
    feed = json_feed(data, location)
    language = primary_language(feed.get("language"))
    authors = author_names(feed)
    for index, item in enumerate(feed["items"]):
        ref = f"{location}#item={index}"
        if not isinstance(item, dict):
            yield error_row("read", "invalid_record", f"feed item {index} is not a JSON object", ref)
            continue
        link = item_link(item)
        if not link:
            yield error_row(
                "read", "no_link", f"feed item {index} has no url, external_url or http(s) id", ref
            )
            continue
        try:
            url = list_link(location, link, f"feed item {index}")
        except InputError as exc:
            yield error_row("read", exc.kind, exc.message, ref)
            continue
        yield InputRecord(
            input_ref=ref,
            input_kind="jsonfeed",
            url=url,
            title=text_of(item.get("title")),
            authors=author_names(item) or authors,  # 1.1: an item without authors has the feed's
            published_at=parse_date(item.get("date_published")) or parse_date(item.get("date_modified")),
            language=primary_language(item.get("language")) or language,
            feed=location,
            feed_html=item_html(item),
            image=item_image(location, item),
        )


def json_feed(data: bytes, location: str) -> dict:
    """The JSON Feed object the bytes hold, or InputError ``invalid_feed``."""
    try:
        document = json.loads(data.removeprefix(b"\xef\xbb\xbf"))  # json finds UTF-16 and UTF-32 itself
    except ValueError as exc:  # UnicodeDecodeError too
        raise InputError("invalid_feed", f"{location} is not valid JSON, so not a JSON Feed: {exc}") from exc
    except RecursionError as exc:  # "[[[[..." deeper than the parser goes
        raise InputError("invalid_feed", f"{location} is not valid JSON: it is nested too deep") from exc
    if not is_json_feed(document) or not isinstance(document.get("items"), list):
        raise InputError(
            "invalid_feed",
            f'{location} is JSON but not a JSON Feed, an object with a "version" of '
            '"https://jsonfeed.org/version/1.1" (or 1) and a list of "items"',
        )
    return document


def item_link(item: dict) -> Optional[str]:
    """An item's link: ``url``, else ``external_url``, else ``id`` when that is an http(s) URL
    (an id is any unique string: a tag: URI, a number)."""
    for key in ("url", "external_url"):
        if text_of(item.get(key)):
            return item[key].strip()
    identifier = text_of(item.get("id"))
    return identifier if identifier and is_http(identifier) else None


def author_names(holder: dict) -> tuple:
    """The names of a feed's or item's authors: 1.1's ``authors`` list, else 1.0's ``author``."""
    authors = holder.get("authors")
    if not isinstance(authors, list):
        authors = [holder.get("author")]
    names = (text_of(author.get("name")) for author in authors if isinstance(author, dict))
    return tuple(name for name in names if name)


def item_html(item: dict) -> Optional[str]:
    """The item's full content as HTML: ``content_html``, else ``content_text`` escaped into
    paragraphs (a blank line parts them, a newline breaks a line); None when there is neither.
    ``summary`` is a teaser, never the body, as an RSS description is not."""
    content = text_of(item.get("content_html"))
    if content:
        return item["content_html"]
    text = text_of(item.get("content_text"))
    if not text:
        return None
    paragraphs = (part.strip() for part in re.split(r"\n\s*\n", text))
    return "".join(
        f"<p>{html.escape(part, quote=False).replace(chr(10), '<br>')}</p>" for part in paragraphs if part
    )


def item_image(location: str, item: dict) -> Optional[str]:
    """An item's image: ``image``, else ``banner_image``, made absolute; only http(s) URLs."""
    for key in ("image", "banner_image"):
        url = text_of(item.get(key))
        link = web_link(location, url) if url else None
        if link:
            return link
    return None


def primary_language(tag) -> Optional[str]:
    """A language tag's primary subtag, lower-cased: ``en-GB`` → ``en``."""
    text = text_of(tag)
    if not text:
        return None
    return text.replace("_", "-").split("-")[0].lower() or None


def text_of(value) -> Optional[str]:
    """A JSON value as stripped text when it is a non-blank string, else None."""
    return value.strip() if isinstance(value, str) and value.strip() else None
