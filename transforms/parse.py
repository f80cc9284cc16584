"""Parse pages into articles with newspaper4k, and plain-text stories into the same shape.

newspaper4k parses HTML we already hold (``input_html``): it never downloads here, image
fetching is off, and its NLP step (the one that needs nltk data) is never called.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import warnings
from typing import Optional

import apache_beam as beam

from newsbeam.transforms.errors import InputError, apply_with_errors, failed
from newsbeam.transforms.read import InputRecord
from newsbeam.transforms.timing import TimeBudgetExceeded, deadline, timed

# Whole lines that are page furniture, not story: comment widgets, newsletter and share blocks.
# Kept short and anchored so a sentence of the story that merely mentions "subscribe" stays.
BOILERPLATE_LINES = re.compile(
    r"""^(?:
        this\ site\ uses\ akismet\ to\ reduce\ spam\..*
      | learn\ how\ your\ comment\ data\ is\ processed\.?
      | (?:leave\ a\ (?:comment|reply)|comments\ are\ closed|show\ comments|\d+\ comments?)\.?
      | (?:sign\ up|subscribe)\ (?:to|for)\ (?:our|the)\ .{0,40}newsletter.{0,80}
      # a call to sign up or subscribe, a copyright line, a reading time: "Sign up for our emails",
      # "© dpa-infocom, dpa:240516-99-53606/3", "Lesedauer: 4 Minuten", "3 min read"
      | (?:sign\ up|subscribe)\b.{0,100}
      | (?:©|\(c\)\ |copyright\ (?:©|\(c\)|\d{4})).{0,200}
      | (?:lesedauer|lesezeit|reading\ time|temps\ de\ lecture|tiempo\ de\ lectura)\s*:?\s*\d+.{0,20}
      | -?\s*\d+\s*(?:min|mins|minutes?|minuten)\.?\s+(?:read|lesezeit|lesedauer|de\ lecture|de\ lectura)
      | share\ (?:this|on\ \w+)(?:\ (?:article|story))?:?
      | (?:related\ (?:stories|articles|coverage)|read\ more|advertisement):?
      # a link to another story under a teaser label: "READ MORE: ...", "Lesen Sie auch: ..."
      | (?:more|read\ more|see\ more|also\ read|read\ also|related|lesen\ sie\ (?:auch|mehr)
         |mehr\ zum\ thema|auch\ interessant)\s*[:：|»]\s*.{0,200}
      # the site asking for tips and follows: "Got a story? ...", "Follow Metro.co.uk on Twitter ..."
      | (?:follow|like)\ .{0,60}\ on\ (?:twitter|facebook|instagram|x|tiktok|linkedin|threads|bluesky)\b.{0,200}
      | got\ a\ (?:story|tip|news\ tip)\b.{0,300}
      | for\ more\ (?:stories|news|articles)\ like\ this\b.{0,100}
      # the placeholder of an embedded player or post that was not loaded
      | link\ zum\ (?:youtube|twitter|x|instagram|facebook|tiktok|podcast|spotify)-inhalt
      | (?:externer\ inhalt(?:\ nicht\ verfügbar)?|embed)\.?
      # a photo credit on its own: "Photo: AFP", "STR/AFP via Getty Images"
      | (?:photo|foto|bild|image|picture)s?\s*(?:\[m\])?\s*:\s*.{1,60}
      | [^.!?]{0,60}(?:/\s*|\bvia\ )(?:getty\ images|shutterstock|imago\ images)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

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


#: Blocks whose text is a paragraph of a feed's full content.
FRAGMENT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption")
#: WordPress ends every content:encoded with "The post X appeared first on Site.": not the story.
FEED_FOOTER = re.compile(r"^The post .+ appeared first on .+\.?$")
#: The feed's full content replaces the page's body when the page gives less than this share of
#: it (a paywall teaser, a page whose extractors missed the story).
FEED_BODY_SHARE = 0.5


def fragment_text(html: Optional[str]) -> str:
    """The text of an HTML fragment (a feed's full content), a paragraph per block element."""
    if not html or not html.strip():
        return ""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    blocks = [
        el
        for el in root.iter(*FRAGMENT_BLOCKS)
        if not any(a.tag in FRAGMENT_BLOCKS for a in el.iterancestors())
    ]
    texts = [el.text_content() for el in blocks] if blocks else [root.text_content()]
    paragraphs = [" ".join(t.split()) for t in texts]
    return clean_body("\n\n".join(p for p in paragraphs if p and not FEED_FOOTER.match(p)))


def without_headline(text: str, *titles: Optional[str]) -> str:
    """The body without a first paragraph that only repeats a headline (trafilatura keeps the h1)."""
    from newsbeam.transforms.fields import normalise_title

    first, _, rest = text.partition("\n\n")
    if rest and normalise_title(first) in {normalise_title(t) for t in titles if t}:
        return rest
    return text


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


class NewspaperReading:
    """newspaper4k's reading of one page, in the steps of its ``Article.parse`` but in two parts:
    title, metadata, date and image at once, authors and body only when asked for. Those two cost
    most of its time (its attribute XPath scans, about 0.1 s each per page) and the page's
    structured data and trafilatura usually answer first. :meth:`as_dict` reads everything, the
    same as ``Article.parse`` would (a test holds the two equal on every page we have).

    Parts that need segmentation data we do not ship (Korean needs nltk's punkt_tab, Hindi
    indic-nlp-library) raise ``InputError("unsupported_language")``.
    """

    def __init__(self, html: str, url: str):
        from newspaper import Article, parsers

        self._article = article = Article(url, config=newspaper_config())
        article.download(input_html=html)
        article.extractor.article_body_extractor = _stable_body_extractor()(article.config)
        self._doc = doc = parsers.fromstring(article.html)
        self._authors: Optional[list[str]] = None
        self._text: Optional[str] = None
        if doc is None:  # nothing to read: Article.parse gives an empty article then
            self._authors, self._text = [], ""
            return
        extractor = article.extractor
        with self._unsupported_language():
            article.title = extractor.get_title(doc)
            metadata = extractor.get_metadata(article.url, doc)
            if metadata["language"] in _newspaper_languages():
                article.meta_lang = metadata["language"]
                if article.config.use_meta_language:
                    article.config.language = metadata["language"]
            article.canonical_link = metadata["canonical_link"]
            article.publish_date = extractor.get_publishing_date(article.url, doc)
            extractor.parse_images(article.url, doc, None)  # images are not fetched: top = meta image
            article.meta_img = extractor.image_extractor.meta_image
            article.top_image = extractor.image_extractor.top_image

    @contextlib.contextmanager
    def _unsupported_language(self):
        """Around every newspaper4k step: missing segmentation data is ``unsupported_language``;
        a step that trips over malformed markup (its JSON-LD readers assume lists and objects
        where a page may put null, a number or a string: newspaper4k issue #692) gives no answer,
        and the other evidence still can."""
        try:
            yield
        except (TypeError, AttributeError, KeyError, ValueError, IndexError, OverflowError):
            beam.metrics.Metrics.counter("newsbeam", "newspaper4k_step_failed").inc()
        except (ImportError, LookupError) as exc:
            language = self._article.meta_lang or "this page's language"
            first_line = next(
                (line.strip() for line in str(exc).splitlines() if any(c.isalpha() for c in line)),
                type(exc).__name__,
            )
            raise InputError(
                "unsupported_language",
                f"newspaper4k cannot segment {language} text without data we do not ship ({first_line})",
            ) from exc

    @property
    def title(self) -> Optional[str]:
        return (self._article.title or "").strip() or None

    @property
    def published_at(self) -> Optional[dt.datetime]:
        date = self._article.publish_date
        return date if isinstance(date, dt.datetime) else None

    @property
    def language(self) -> Optional[str]:
        return self._article.meta_lang or None

    @property
    def top_image(self) -> Optional[str]:
        return self._article.top_image or self._article.meta_img or None

    @property
    def canonical_url(self) -> Optional[str]:
        return self._article.canonical_link or None

    def authors(self) -> list[str]:
        if self._authors is None:
            found: list = []
            with self._unsupported_language():
                found = self._article.extractor.get_authors(self._doc)
            self._authors = [a.strip() for a in found[: self._article.config.max_authors] if a and a.strip()]
        return self._authors

    def text(self) -> str:
        if self._text is None:
            from newspaper.cleaners import DocumentCleaner
            from newspaper.outputformatters import OutputFormatter

            article, extractor = self._article, self._article.extractor
            text = ""
            with self._unsupported_language():
                if extractor.calculate_best_node(self._doc) is not None:
                    body = DocumentCleaner(article.config).clean(extractor.top_node_complemented)
                    text, _ = OutputFormatter(article.config).get_formatted(body, article.title)
            self._text = text or ""
        return self._text

    def as_dict(self) -> dict:
        """Every field, authors before body as ``Article.parse`` reads them."""
        authors = self.authors()
        return {
            "title": self.title,
            "authors": authors,
            "published_at": self.published_at,
            "language": self.language,
            "text": self.text(),
            "top_image": self.top_image,
            "page_canonical_url": self.canonical_url,
        }


@functools.cache
def _stable_body_extractor():
    """newspaper4k's body extractor with its candidate nodes in page order. Its own orders them
    in two places by iterating a ``set`` of lxml elements, which hash by memory address, and ties
    in level and score keep that order: the same page could give a different body depending on
    what the process had parsed before (seen on a fundus page: five lengths in six calls).
    newspaper4k PR #738 (open) fixes the second place the same way."""
    from newspaper.extractors.articlebody_extractor import ArticleBodyExtractor

    class StableBodyExtractor(ArticleBodyExtractor):
        def nodes_to_check(self, doc):
            nodes = super().nodes_to_check(doc)  # some of them deduplicated through a set
            position = {node: index for index, node in enumerate(doc.iter())}
            return sorted(nodes, key=lambda node: position.get(node, -1))

        def compute_gravity_scores(self, nodes_with_text):
            parents = super().compute_gravity_scores(nodes_with_text)
            first_seen: dict = {}
            for node in nodes_with_text:  # the order the parent list was built in
                parent = node.getparent()
                first_seen.setdefault(parent, len(first_seen))
                if parent is not None:
                    first_seen.setdefault(parent.getparent(), len(first_seen))
            return sorted(parents, key=first_seen.__getitem__)

    return StableBodyExtractor


def _newspaper_languages():
    from newspaper.utils import get_available_languages

    return get_available_languages()


def read_with_newspaper(html: str, url: str) -> dict:
    """newspaper4k's reading of one page: title, authors, date, language, text, image, canonical."""
    return NewspaperReading(html, url).as_dict()


#: Posts of other sites embedded in a story (their widgets' markup): not the story's text.
EMBEDDED_POSTS = (
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed') or contains(@class, 'bluesky-embed')]"
)


#: A list whose items all hold a link, and at least this share of whose text is link text, is a
#: list of links to other pages (related stories, topics, the site's apps), not the story's text.
LINK_LIST_SHARE = 0.5


def without_furniture(tree):
    """The page without what is never the story, before trafilatura reads it: posts of other
    sites embedded in it, the next story run below it, and lists of links. Changes ``tree`` and
    returns it."""
    for node in tree.xpath(EMBEDDED_POSTS):
        node.drop_tree()
    # A page that runs the next story under this one (infinite scroll) gives it an <article> and
    # an <h1> of its own: the first such article is this page's story.
    headed = [node for node in tree.xpath("//article[not(ancestor::article)]") if node.xpath(".//h1")]
    for later in headed[1:]:
        later.drop_tree()
    for listing in tree.xpath("//ul | //ol"):
        items = [child for child in listing if child.tag == "li"]
        if len(items) < 2 or not all(item.xpath(".//a") for item in items):
            continue
        text = sum(len(" ".join(item.text_content().split())) for item in items)
        linked = sum(len(" ".join(a.text_content().split())) for item in items for a in item.xpath(".//a"))
        if text and linked >= LINK_LIST_SHARE * text and listing.getparent() is not None:
            listing.drop_tree()
    return tree


def read_with_trafilatura(html: str, url: str, furniture_out: bool = True) -> dict:
    """trafilatura's reading of one page (its body text is the better one on fundus: README),
    of the page :func:`without_furniture` unless ``furniture_out`` is false (trafilatura alone,
    as ``make eval`` compares it)."""
    import trafilatura

    tree = trafilatura.load_html(html)  # parsed as trafilatura parses it (comments dropped)
    document = None
    if tree is not None:
        document = trafilatura.bare_extraction(
            without_furniture(tree) if furniture_out else tree,
            url=url,
            with_metadata=True,
            include_comments=False,
        )
    if document is None:
        return {"title": None, "authors": [], "published": None, "text": "", "site_name": None}
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    lines = [line.strip() for line in (found.get("text") or "").split("\n") if line.strip()]
    author = found.get("author")
    return {
        "title": found.get("title") or None,
        "authors": [author] if author else [],
        "published": found.get("date") or None,
        "text": "\n\n".join(lines),  # one element per line: paragraphs, like newspaper4k's
        "site_name": found.get("sitename") or None,
    }


def parse_html(html: str, url: str, not_after: Optional[dt.datetime] = None, read_all: bool = False) -> dict:
    """The best reading of one page, field by field, with the source of each field.

    Evidence: the page's structured data, newspaper4k and trafilatura (htmldate when none of
    them dates the page). Orders per field, measured on fundus (see README):
    title json-ld > og:title > trafilatura > newspaper4k > h1 > <title>, site name stripped;
    date json-ld > meta > newspaper4k > htmldate > trafilatura, never after ``not_after``;
    authors json-ld > meta > newspaper4k > trafilatura, cleaned to people;
    body trafilatura (of the page :func:`without_furniture`) > newspaper4k, and newspaper4k's
    when trafilatura's stopped early
    (:func:`fields.stopped_early`).
    newspaper4k's authors and body are read only when everything before them in the order came
    up empty, or when ``read_all`` asks for every candidate (``newsbeam parse --explain``).
    """
    import lxml.html

    from newsbeam.transforms import fields
    from newsbeam.transforms.structured import Evidence, page_evidence

    tags = html.count("<")
    if tags > MAX_TAGS:
        raise InputError(
            "too_complex", f"the page has about {tags:,} tags, over the {MAX_TAGS:,} a page may have"
        )
    try:
        evidence = page_evidence(lxml.html.fromstring(html))
    except (ValueError, lxml.etree.ParserError):
        evidence = Evidence()
    try:
        paper: Optional[NewspaperReading] = NewspaperReading(html, url)
    except InputError:
        paper = None  # trafilatura may still read it (Korean, Hindi)
    other = read_with_trafilatura(html, url)
    names = fields.site_names([v for _, v in evidence.site_name] + [other["site_name"] or ""], url)

    titles = [c for c in evidence.title if c[0] in ("json-ld", "meta:og:title")]  # json-ld comes first
    titles += [
        ("trafilatura", other["title"]),
        ("newspaper4k", paper and paper.title),
        ("html:h1", evidence.h1),
    ]
    titles += [("html:title", evidence.html_title)]
    title, title_source = fields.choose_title(titles, names)

    not_after = not_after or dt.datetime.now(dt.timezone.utc)
    dates = evidence.published + [("newspaper4k", paper and paper.published_at)]  # json-ld, meta, <time>
    published, published_source = fields.choose_published(dates, not_after)
    if published is None:
        published, published_source = fields.choose_published(
            [("htmldate", _htmldate(html)), ("trafilatura", other["published"])], not_after
        )

    def paper_authors() -> list[str]:
        try:
            return paper.authors() if paper else []
        except InputError:
            return []

    authors, authors_source = [], None
    bylines = [*evidence.authors, ("newspaper4k", paper_authors), ("trafilatura", other["authors"])]
    for index, (source, names_found) in enumerate(bylines):
        if callable(names_found):
            bylines[index] = (source, names_found := names_found())
        cleaned = fields.clean_authors(names_found or [], names)
        if cleaned:
            authors, authors_source = cleaned, source
            break
    if authors_source == "newspaper4k":  # it gathers every byline on the page, related stories' too
        narrower = fields.clean_authors(other["authors"] or [], names)
        if fields.narrows(narrower, authors):
            authors, authors_source = narrower, "trafilatura"

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
        "sources": {"title": "text:first-line" if title else None, "text": "text"},
    }


def language_and_tone(text: str, page_language: Optional[str], record: InputRecord) -> dict:
    """The article's language, detected from its body when the detector is sure, else what the
    page or the input declared; and its tone where a lexicon covers that language."""
    from newsbeam.transforms.language import detect_language
    from newsbeam.transforms.tone import tone

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


def article_from_record(
    record: InputRecord, now: Optional[dt.datetime] = None, explain: Optional[dict] = None
) -> dict:
    """An input record (with its HTML or text) → an ``articles`` row without its ids.

    The page's own values win; the feed's or dump's hints fill what the page lacks. The ids
    (``article_id``, ``canonical_url``) are set by Deduplicate, which owns URL canonicalisation.
    """
    from newsbeam.transforms.fields import as_utc, plausible_published, utc_offset, visible

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
        "authors_source": sources.get("authors") if authors else None,
        "published_source": sources.get("published_at") if published_at else None,
        "text_source": sources.get("text"),
        "input_kind": record.input_kind,
        "input_ref": record.input_ref,
        "feed": record.feed,
        "captured_at": record.captured_at,
        "ingested_at": now,
    }


class ParseArticleFn(beam.DoFn):
    """A record with its page → an article row, or an errors row saying why not. A record that
    takes more than ``time_budget`` seconds is stopped and is a ``time_budget`` error."""

    def __init__(self, time_budget: float = DEFAULT_TIME_BUDGET):
        super().__init__()
        self._time_budget = time_budget

    def setup(self):
        quiet_parser_warnings()

    def process(self, record: InputRecord):
        try:
            with timed("parse"), deadline(self._time_budget):
                article = article_from_record(record)
        except InputError as exc:
            yield failed("parse", exc, record.input_ref, url=record.url)
            return
        except TimeBudgetExceeded:
            message = f"parsing took over {self._time_budget:g} s and was stopped"
            yield failed("parse", InputError("time_budget", message), record.input_ref, url=record.url)
            return
        beam.metrics.Metrics.counter("newsbeam", "articles_parsed").inc()
        yield article


class ParseArticles(beam.PTransform):
    """Records → article rows (ids not yet set), plus an errors PCollection."""

    def __init__(self, error_threshold: float = 1.0, time_budget: float = DEFAULT_TIME_BUDGET):
        super().__init__()
        self._threshold = error_threshold
        self._time_budget = time_budget

    def expand(self, records):
        return apply_with_errors(
            records,
            "Parse",
            ParseArticleFn(self._time_budget),
            "parse",
            lambda r: (r.input_ref, r.url, None),
            self._threshold,
        )
