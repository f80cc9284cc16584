"""The records passed between stages: a :class:`Source` is a thing to read, an
:class:`InputRecord` one story an input offers, on its way from ReadInputs through FetchPages to
ParseArticles. After parsing, a story is an ``articles`` row (a dict checked against
``schemas/articles.py`` when it is written)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Source:
    """One thing to read: a file or URL, with its kind if the SPEC stated one, and how many lists
    (OPML, sitemap index, robots.txt) led to it."""

    location: str
    kind: Optional[str] = None
    depth: int = 0
    #: The list (OPML, sitemap index, robots.txt) that named this source, for its errors rows.
    parent: Optional[str] = None


@dataclass(frozen=True, slots=True)
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
    #: Why the page could not be fetched, as (kind, message), when the record goes on without it
    #: because its feed carried the story (``feed_html``): ParseArticles reads the feed's copy,
    #: or makes this the record's fetch error when that copy holds too little text.
    fetch_error: Optional[tuple] = None
    #: (file, byte offset) of the WARC or ARC record that holds the page, which FetchPages reads
    #: after the shuffle, so an archive's pages never sit in a shuffled collection; None when the
    #: record carries its page (``html``) or names one to fetch.
    archive: Optional[tuple] = None

    @property
    def needs_fetch(self) -> bool:
        """True when the page is neither carried (``html``, ``text``) nor in an archive's record:
        its ``url`` is what FetchPages fetches or reads."""
        return self.html is None and self.text is None and self.archive is None

    def __reduce__(self):
        # Pickled as its values in field order: a CC-NEWS file is 40,000 records, and a local
        # runner holds every record of a shuffle at once (a pickled field name costs more than
        # most values).
        return InputRecord, tuple(getattr(self, name) for name in self.__dataclass_fields__)
