"""Parse pages into articles with newspaper4k, and plain-text stories into the same shape.

newspaper4k parses HTML we already hold (``input_html``): it never downloads here, image
fetching is off, and its NLP step (the one that needs nltk data) is never called.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import warnings
from typing import Optional

import apache_beam as beam

from transforms.errors import InputError, apply_with_errors, failed
from transforms.read import InputRecord, to_utc

# Whole lines that are page furniture, not story: comment widgets, newsletter and share blocks.
# Kept short and anchored so a sentence of the story that merely mentions "subscribe" stays.
BOILERPLATE_LINES = re.compile(
    r"""^(?:
        this\ site\ uses\ akismet\ to\ reduce\ spam\..*
      | learn\ how\ your\ comment\ data\ is\ processed\.?
      | (?:leave\ a\ (?:comment|reply)|comments\ are\ closed|show\ comments|\d+\ comments?)\.?
      | (?:sign\ up|subscribe)\ (?:to|for)\ (?:our|the)\ .{0,40}newsletter.{0,80}
      | share\ (?:this|on\ \w+)(?:\ (?:article|story))?:?
      | (?:related\ (?:stories|articles|coverage)|read\ more|advertisement):?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

MAX_TITLE_LINE = 160


def quiet_parser_warnings() -> None:
    """Silence warnings newspaper4k's date parsing prints for every page with a zone name dateutil
    does not know ("CEST"); they say nothing a user can act on. Process-wide and idempotent, so a
    DoFn calls it in setup (``catch_warnings`` per call is not thread-safe)."""
    from dateutil.parser import UnknownTimezoneWarning

    warnings.filterwarnings("ignore", category=UnknownTimezoneWarning)


def newspaper_config():
    """A newspaper4k Config that never touches the network and keeps no state across articles."""
    from newspaper import Config

    config = Config()
    config.fetch_images = False  # else it downloads images to size the top image
    config.memorize_articles = False  # a process-wide cache of seen URLs: wrong on many workers
    config.follow_meta_refresh = False  # would fetch another page
    config.disable_category_cache = True
    return config


def clean_body(text: str) -> str:
    """Paragraphs of the story: furniture lines dropped, repeats (a caption twice) kept once."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        kept = []
        for line in lines:
            if not line or BOILERPLATE_LINES.match(line):
                continue
            if kept and kept[-1] == line:
                continue
            if not kept and paragraphs and paragraphs[-1] == line:
                continue
            kept.append(line)
        if kept:
            paragraphs.append("\n".join(kept))
    # A caption often repeats as two lines of one block, or as two paragraphs: keep one.
    deduped: list[str] = []
    for paragraph in paragraphs:
        if deduped and deduped[-1] == paragraph:
            continue
        deduped.append(paragraph)
    return "\n\n".join(deduped)


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


def parse_html(html: str, url: str) -> dict:
    """newspaper4k's reading of one page: title, authors, date, language, text, image, canonical."""
    from newspaper import Article

    article = Article(url, config=newspaper_config())
    article.download(input_html=html)
    try:
        article.parse()
    except (ImportError, LookupError) as exc:
        # newspaper4k segments some languages with optional packages (Hindi: indic-nlp-library)
        # or nltk data (Korean: punkt_tab), which workers may not download at run time.
        language = article.meta_lang or "this page's language"
        first_line = next(
            (line.strip() for line in str(exc).splitlines() if any(c.isalpha() for c in line)),
            type(exc).__name__,
        )
        raise InputError(
            "unsupported_language",
            f"newspaper4k cannot segment {language} text without data we do not ship ({first_line})",
        ) from exc
    return {
        "title": (article.title or "").strip() or None,
        "authors": [a.strip() for a in article.authors if a and a.strip()],
        "published_at": to_utc(article.publish_date),
        "language": article.meta_lang or None,
        "text": article.text or "",
        "top_image": article.top_image or article.meta_img or None,
        "page_canonical_url": article.canonical_link or None,
    }


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
    }


def source_domain(url: str) -> Optional[str]:
    host = urllib.parse.urlsplit(url).hostname
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def article_from_record(record: InputRecord, now: Optional[dt.datetime] = None) -> dict:
    """An input record (with its HTML or text) → an ``articles`` row without its ids.

    The page's own values win; the feed's or dump's hints fill what the page lacks. The ids
    (``article_id``, ``canonical_url``) are set by Deduplicate, which owns URL canonicalisation.
    """
    if record.html is not None:
        parsed = parse_html(record.html, record.url)
    elif record.text is not None:
        parsed = parse_text(record.text, find_headline=record.title is None)
    else:
        raise InputError("no_body", "the record holds neither HTML nor text")
    text = clean_body(parsed["text"])
    if not text:
        raise InputError("no_text", "no article text found on the page")
    published_at = parsed["published_at"] or to_utc(record.published_at)
    return {
        "article_id": None,
        "url": record.url,
        "canonical_url": parsed["page_canonical_url"],
        "source_domain": None,
        "title": parsed["title"] or record.title,
        "authors": parsed["authors"] or list(record.authors),
        "published_at": published_at,
        "published_date": published_at.date() if published_at else None,
        "language": (parsed["language"] or record.language or None),
        "text": text,
        "word_count": len(text.split()),
        "top_image": parsed["top_image"],
        "input_kind": record.input_kind,
        "input_ref": record.input_ref,
        "feed": record.feed,
        "ingested_at": now or dt.datetime.now(dt.timezone.utc),
    }


class ParseArticleFn(beam.DoFn):
    """A record with its page → an article row, or an errors row saying why not."""

    def setup(self):
        quiet_parser_warnings()

    def process(self, record: InputRecord):
        try:
            article = article_from_record(record)
        except InputError as exc:
            yield failed("parse", exc, record.input_ref, url=record.url)
            return
        beam.metrics.Metrics.counter("newsbeam", "articles_parsed").inc()
        yield article


class ParseArticles(beam.PTransform):
    """Records → article rows (ids not yet set), plus an errors PCollection."""

    def __init__(self, error_threshold: float = 1.0):
        super().__init__()
        self._threshold = error_threshold

    def expand(self, records):
        return apply_with_errors(
            records, "Parse", ParseArticleFn(), "parse", lambda r: (r.input_ref, r.url, None), self._threshold
        )
