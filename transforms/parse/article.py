"""One input record (with its page or text) into an ``articles`` row: each field from the best
evidence, the feed's or dump's hints where the page says less, and plain-text stories in the
same shape.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Optional

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.parse import fields
from newsbeam.transforms.parse.body import FEED_BODY_SHARE, clean_body, fragment_text, without_headline
from newsbeam.transforms.parse.extractors import NewspaperReading, newspaper_tree, read_with_trafilatura
from newsbeam.transforms.parse.fields import as_utc, plausible_published, utc_offset, visible
from newsbeam.transforms.parse.language import detect_language
from newsbeam.transforms.parse.structured import Evidence, page_evidence
from newsbeam.transforms.parse.tone import tone

MAX_TITLE_LINE = 160

#: A page with more tags than this is refused (``too_complex``) before it is parsed: fundus's
#: busiest page has 8,093, and parsers slow down and bloat on a flood of ``<br>`` or links.
MAX_TAGS = 100_000

#: Seconds one record may spend in parsing (``--parse_time_budget``); fundus's median is 0.12.
DEFAULT_TIME_BUDGET = 30.0

#: Less body than this is page furniture (a menu word, a cookie notice), not a story. Counted in
#: characters, not words: a Japanese brief of 75 characters is two "words".
MIN_BODY_CHARS = 40


def quiet_parser_warnings() -> None:
    """Silence warnings newspaper4k's date parsing prints for every page with a zone name dateutil
    does not know ("CEST"); they say nothing a user can act on. Process-wide and idempotent, so a
    DoFn calls it in setup (``catch_warnings`` per call is not thread-safe)."""
    import logging

    from dateutil.parser import UnknownTimezoneWarning

    warnings.filterwarnings("ignore", category=UnknownTimezoneWarning)
    # trafilatura, htmldate and newspaper4k log for every page they find empty or not HTML; the
    # page then ends as an errors row (no_text) that says so, so the log line only adds noise.
    # trafilatura sets htmldate's level when imported, so it is imported first.
    import trafilatura.metadata  # noqa: F401

    for name in ("trafilatura", "htmldate", "newspaper"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def split_headline(text: str) -> tuple[Optional[str], str]:
    """A plain-text story's headline (a short first line, then a blank line) and its body."""
    stripped = text.lstrip("\ufeff \t\r\n")
    first, sep, rest = stripped.partition("\n")
    first = first.strip()
    if (
        sep
        and rest.startswith(("\n", "\r\n"))
        and 0 < len(first) <= MAX_TITLE_LINE
        and not first.endswith((".", ":", ",", ";", "”", '"'))
    ):
        return first, rest
    return None, stripped


def page_tree(html: str):
    """The page as lxml.html parses it, NULs dropped (lxml reads them as U+FFFD), or None when it
    cannot: the tree the page's structured data is read from, and newspaper4k's when
    :func:`~newsbeam.transforms.parse.extractors.newspaper_tree` says it is the same."""
    import lxml.html

    try:
        return lxml.html.fromstring(html.replace("\x00", ""))
    except (ValueError, lxml.etree.ParserError):
        return None


def parse_html(html: str, url: str, not_after: Optional[dt.datetime] = None, read_all: bool = False) -> dict:
    """The best reading of one page, field by field, with the source of each field.

    Evidence: the page's structured data, newspaper4k and trafilatura (htmldate when none of
    them dates the page). Orders per field, measured on fundus (docs/quality.md):
    title json-ld > og:title > trafilatura > newspaper4k > h1 > <title>, site name stripped;
    date json-ld > meta > newspaper4k > htmldate > trafilatura, never after ``not_after``
    (newspaper4k's read only when the page's own data gives none);
    authors json-ld > meta > newspaper4k > trafilatura, cleaned to people;
    body trafilatura (of the page :func:`without_furniture`) > newspaper4k, and newspaper4k's
    when trafilatura's stopped early
    (:func:`fields.stopped_early`).
    newspaper4k's authors and body are read only when everything before them in the order came
    up empty, or when ``read_all`` asks for every candidate (``newsbeam parse --explain``).
    """
    import lxml.html

    tags = html.count("<")
    if tags > MAX_TAGS:
        raise InputError(
            "too_complex", f"the page has about {tags:,} tags, over the {MAX_TAGS:,} a page may have"
        )
    tree = page_tree(html)
    try:
        evidence = page_evidence(tree) if tree is not None else Evidence()
    except (ValueError, lxml.etree.ParserError):
        evidence = Evidence()
    try:
        # page_evidence only reads the tree, and nothing here reads it after newspaper4k
        paper: Optional[NewspaperReading] = NewspaperReading(html, url, tree=newspaper_tree(html, tree))
    except InputError:
        paper = None  # trafilatura may still read it (Korean, Hindi)
    other = read_with_trafilatura(html, url, paragraph_words=evidence.paragraph_words)
    names = fields.site_names([v for _, v in evidence.site_name] + [other["site_name"] or ""], url)

    declared = evidence.title + ([("html:title", evidence.html_title)] if evidence.html_title else [])
    headline = fields.choose_headline(evidence.headings, [value for _, value in declared], names)
    titles = [("html:h1", headline)]
    titles += [c for c in evidence.title if c[0] in ("json-ld", "meta:og:title")]  # json-ld comes first
    titles += [("trafilatura", other["title"]), ("newspaper4k", paper and paper.title)]
    titles += [("html:title", evidence.html_title)]
    title, title_source = fields.choose_title(titles, names)

    not_after = not_after or dt.datetime.now(dt.timezone.utc)
    dates = list(evidence.published)  # json-ld, meta, <time>; then newspaper4k's, read only if needed
    published, published_source = fields.choose_published(dates, not_after)
    if published is None or read_all:
        dates.append(("newspaper4k", paper and paper.published_at))
    if published is None:
        published, published_source = fields.choose_published(dates[-1:], not_after)
    if published is None:
        published, published_source = fields.choose_published(
            [("htmldate", _htmldate(html)), ("trafilatura", other["published"])], not_after
        )
    published = fields.with_page_zone(published, evidence.times)

    def paper_authors() -> list[str]:
        try:
            return paper.authors() if paper else []
        except InputError:
            return []

    authors, authors_source = [], None
    language = (paper and paper.language) or evidence.language
    bylines = [*evidence.authors, ("newspaper4k", paper_authors), ("trafilatura", other["authors"])]
    for index, (source, names_found) in enumerate(bylines):
        if callable(names_found):
            bylines[index] = (source, names_found := names_found())
        cleaned = fields.clean_authors(names_found or [], names, language=language)
        if cleaned:
            authors, authors_source = cleaned, source
            break
    if authors_source == "newspaper4k":  # it gathers every byline on the page, related stories' too
        narrower = fields.clean_authors(other["authors"] or [], names, language=language)
        if fields.narrows(narrower, authors):
            authors, authors_source = narrower, "trafilatura"
    elif authors_source == "json-ld":  # it may list the editor and photographers as authors too
        tagged = dict(evidence.authors).get("meta:parsely-author") or []
        narrower = fields.clean_authors(tagged, names, language=language)
        if fields.narrows(narrower, authors):
            authors, authors_source = narrower, "meta:parsely-author"

    if other["text"].strip():
        text = without_headline(other["text"], *(value for _, value in titles))
        text_source = "trafilatura"
        if paper is not None and fields.cut_short(text, evidence.paragraph_words):
            try:
                further = without_headline(paper.text(), *(value for _, value in titles))
            except InputError:
                further = ""
            if fields.stopped_early(text, further, evidence.paragraph_words):
                text, text_source = further, "newspaper4k"
    else:
        try:
            text, unreadable = (paper.text(), False) if paper is not None else ("", True)
        except InputError:
            text, unreadable = "", True
        text_source = "newspaper4k" if text else None
        if unreadable and not text:
            raise InputError(
                "unsupported_language", "neither newspaper4k nor trafilatura found text on the page"
            )
    if read_all:  # every candidate, for --explain
        bylines = [(source, found() if callable(found) else found) for source, found in bylines]
    return {
        "title": title,
        "authors": authors,
        "published_at": published,
        "language": (paper and paper.language) or evidence.language,
        "text": text,
        "top_image": (paper and paper.top_image) or evidence.image,
        "page_canonical_url": (paper and paper.canonical_url) or evidence.canonical_url,
        "declared_titles": [{"source": source, "text": value} for source, value in declared],
        "sources": {
            "title": title_source,
            "published_at": published_source,
            "authors": authors_source,
            "text": text_source,
        },
        "candidates": {
            "title": titles,
            "published_at": dates,
            "authors": [(s, v) for s, v in bylines if not callable(v)],
            "site_names": sorted(names),
        },
    }


def _htmldate(html: str) -> Optional[str]:
    """htmldate's reading of the original publication date, the fallback when nothing else dates a page."""
    from htmldate import find_date

    try:
        return find_date(html, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S%z", extensive_search=True)
    except Exception:  # noqa: BLE001 - htmldate raises assorted errors on odd markup; no date then
        return None


def parse_text(text: str, find_headline: bool = True) -> dict:
    """A plain-text story in the same shape; its headline is a short first line when there is one
    (looked for only when the input gave no title)."""
    title, body = split_headline(text) if find_headline else (None, text)
    return {
        "title": title,
        "authors": [],
        "published_at": None,
        "language": None,
        "text": body,
        "top_image": None,
        "page_canonical_url": None,
        "declared_titles": None,
        "sources": {"title": "text:first-line" if title else None, "text": "text"},
    }


def language_and_tone(text: str, page_language: Optional[str], record: InputRecord) -> dict:
    """The article's language, detected from its body when the detector is sure, else what the
    page or the input declared; and its tone where a lexicon covers that language."""

    detected, _ = detect_language(text)
    if detected:
        language, source = detected, "text"
    elif page_language:
        language, source = page_language, "page"
    elif record.language:
        language, source = record.language, f"input:{record.input_kind}"
    else:
        language, source = None, None
    scores = tone(text, language) or {}
    return {
        "language": language,
        "language_source": source,
        "tone_positive": scores.get("positive"),
        "tone_negative": scores.get("negative"),
        "tone_polarity": scores.get("polarity"),
    }


def carries_story(record: InputRecord) -> bool:
    """Whether the record's feed copy (``feed_html``) holds enough text to be the story."""
    return len(fragment_text(record.feed_html)) >= MIN_BODY_CHARS


def article_from_record(
    record: InputRecord, now: Optional[dt.datetime] = None, explain: Optional[dict] = None
) -> dict:
    """An input record (with its HTML or text) → an ``articles`` row without its ids.

    The page's own values win; the feed's or dump's hints fill what the page lacks. The ids
    (``article_id``, ``canonical_url``) are set by Deduplicate, which owns URL canonicalisation.
    """

    now = now or dt.datetime.now(dt.timezone.utc)
    # A story cannot be published after it was captured: the WARC date or fetch time bounds
    # every date candidate, the page's and the input's (a capture date in the future, a lying
    # WARC header, is now).
    not_after = min(record.captured_at, now) if record.captured_at else now
    if record.html is not None:
        parsed = parse_html(record.html, record.url, not_after=not_after, read_all=explain is not None)
    elif record.text is not None:
        parsed = parse_text(record.text, find_headline=record.title is None)
    elif record.feed_html is not None:  # the page could not be fetched, but the feed carried it
        parsed = {**parse_text(fragment_text(record.feed_html), find_headline=False), "sources": {}}
        parsed["sources"]["text"] = f"input:{record.input_kind}"
    else:
        raise InputError("no_body", "the record holds neither HTML nor text")
    sources = dict(parsed["sources"])
    parsed["text"] = visible(parsed["text"])
    parsed["title"] = visible(parsed["title"]) if parsed["title"] else parsed["title"]
    parsed["authors"] = [name for name in (visible(a).strip() for a in parsed["authors"]) if name]
    if explain is not None:  # newsbeam parse --explain: every candidate each field was chosen from
        explain.update(parsed.get("candidates", {}))
    title, authors, published = parsed["title"], parsed["authors"], parsed["published_at"]
    text = without_headline(clean_body(parsed["text"]), title)
    hint = f"input:{record.input_kind}"  # the feed item or dump line
    if record.feed_html is not None and record.html is not None:
        feed_text = without_headline(fragment_text(record.feed_html), title, record.title)
        if len(feed_text) >= MIN_BODY_CHARS and len(text) < FEED_BODY_SHARE * len(feed_text):
            text, sources["text"] = feed_text, hint
    if len(text) < MIN_BODY_CHARS:
        raise InputError("no_text", "no article text found on the page")
    if not title and record.title:
        title, sources["title"] = visible(record.title).strip() or None, hint
    if not authors and record.authors:
        authors, sources["authors"] = (
            [name for name in (visible(a).strip() for a in record.authors) if name],
            hint,
        )
    if published is None and record.published_at is not None:
        if plausible_published(record.published_at, not_after):
            published, sources["published_at"] = record.published_at, hint
    published_at = as_utc(published) if published else None
    return {
        "article_id": None,
        "url": record.url,
        "canonical_url": parsed["page_canonical_url"],
        "source_domain": None,
        "title": title,
        "authors": authors,
        "published_at": published_at,
        "published_offset": utc_offset(published),
        "published_date": published_at.date() if published_at else None,
        **language_and_tone(text, parsed["language"], record),
        "text": text,
        "word_count": len(text.split()),
        "top_image": parsed["top_image"] or record.image,
        "title_source": sources.get("title") if title else None,
        "declared_titles": parsed.get("declared_titles"),
        "authors_source": sources.get("authors") if authors else None,
        "published_source": sources.get("published_at") if published_at else None,
        "text_source": sources.get("text"),
        "input_kind": record.input_kind,
        "input_ref": record.input_ref,
        "feed": record.feed,
        "captured_at": record.captured_at,
        "ingested_at": now,
    }
