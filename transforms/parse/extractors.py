"""The two extractors read field by field: newspaper4k (in parts, and deterministic) and
trafilatura (on the page without furniture: embedded posts, a next story, lists of links).

newspaper4k parses HTML we already hold (``input_html``): it never downloads here, image
fetching is off, and its NLP step (the one that needs nltk data) is never called.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import string
from typing import Optional

import apache_beam as beam

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.parse import fields


def newspaper_config():
    """A newspaper4k Config that never touches the network and keeps no state across articles."""
    from newspaper import Config

    config = Config()
    config.fetch_images = False  # else it downloads images to size the top image
    config.memorize_articles = False  # a process-wide cache of seen URLs: wrong on many workers
    config.follow_meta_refresh = False  # would fetch another page
    config.disable_category_cache = True
    return config


#: The XPath newspaper4k's ``parsers.get_tags`` builds for "the elements under this one (of this
#: tag, or any) whose attribute equals this value, ASCII letters in any case", and the one its
#: ``parsers.get_metatags`` builds for "the document's <meta> named so by name, property or
#: itemprop".
_ATTRIBUTE_IS = re.compile(
    r'\.//(\*|[A-Za-z][\w-]*)\[translate\(@([A-Za-z_][\w.-]*), "%s", "%s"\)="([^"]*)"\]'
    % (string.ascii_uppercase, string.ascii_lowercase)
)
_META_NAMED = re.compile(r"//meta\[@name='([^']*)' or @property='\1' or @itemprop='\1'\]")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


class AttributeLookups:
    """A page's root element as newspaper4k's steps but the body's see it (title, metadata,
    image, date, authors): the two kinds of XPath they ask again and again (:data:`_ATTRIBUTE_IS`,
    :data:`_META_NAMED`) are answered from one walk of the page per attribute asked about (and
    one of its <meta> elements), every other call goes to the element itself.

    Its author step asks 66 times for "any element whose ``name``, ``rel``, ``itemprop``,
    ``class``, ``id`` or ``property`` is ``author``, ``byline``, ...", and each ask is an XPath
    walk of the whole page; its date step asks for 45 <meta> names and 7 attribute values, and
    the title, metadata and image steps 11 more: eight attributes in all. Set-up, authors and
    date took 159 ms a page in the median over the fundus pages with newspaper4k's own XPath and
    tree, 11 this way of the tree parse built (``benchmarks/bench_parse_lookups.py``). The
    answers are the same elements in the same (document) order: everything newspaper4k read was
    the same both ways on all 473 pages of fundus and naeb-dev, and a test holds that on a
    twelfth of them.
    """

    def __init__(self, root):
        self._root = root
        self._values: dict = {}  # attribute -> {value in ASCII lower case: [the value as found]}
        self._metas: Optional[dict] = None  # name, property or itemprop -> <meta> elements

    def __getattr__(self, name):
        return getattr(self._root, name)

    def _walk(self, attribute: str) -> dict:
        """Every value of ``attribute`` on an element under the root, by its value in ASCII lower
        case: XPath's strings, which know their element, so no element is wrapped for Python
        until it is asked for."""
        values: dict = {}
        for value in self._root.xpath(f"descendant::*/@{attribute}"):
            lower = value.lower() if value.isascii() else value.translate(_ASCII_LOWER)
            values.setdefault(lower, []).append(value)
        self._values[attribute] = values
        return values

    def _meta_names(self) -> dict:
        metas: dict = {}
        for element in self._root.iterdescendants("meta"):  # once under each name it goes by, in page order
            for named in {element.get(a) for a in ("name", "property", "itemprop")} - {None}:
                metas.setdefault(named, []).append(element)
        self._metas = metas
        return metas

    def xpath(self, path, **kwargs):
        asked = None if kwargs else (_ATTRIBUTE_IS.fullmatch(path) or _META_NAMED.fullmatch(path))
        if asked is None or self._root.getparent() is not None or self._root.tag == "meta":
            # "//meta" reads the whole document: answered only from its root, itself no <meta>
            return self._root.xpath(path, **kwargs)
        if asked.re is _META_NAMED:
            metas = self._metas if self._metas is not None else self._meta_names()
            return list(metas.get(asked.group(1), ()))
        tag, attribute, value = asked.groups()
        values = self._values[attribute] if attribute in self._values else self._walk(attribute)
        found = [v.getparent() for v in values.get(value, ())]
        return [e for e in found if tag == "*" or e.tag == tag]


def newspaper_tree(html: str, tree):
    """``tree``, the page as ``article.page_tree`` built it, when it is the tree newspaper4k would
    build of ``html`` (it keeps NULs and strips a leading ``<?...?>`` first), else None:
    newspaper4k then builds its own."""
    return None if tree is None or "\x00" in html or html.startswith("<?") else tree


class NewspaperReading:
    """newspaper4k's reading of one page, in the steps of its ``Article.parse`` but in two parts:
    title, metadata and image at once, date, authors and body only when asked for. Those three cost
    most of its time (on fundus about 20 ms a page for the date, 70 for the authors and 160 for
    the body, before the date and authors were read through :class:`AttributeLookups`) and the page's
    structured data and trafilatura usually answer first. :meth:`as_dict` reads everything, the
    same as ``Article.parse`` would (a test holds the two equal on every page we have).

    Parts that need segmentation data we do not ship (Korean needs nltk's punkt_tab, Hindi
    indic-nlp-library) raise ``InputError("unsupported_language")``.
    """

    def __init__(self, html: str, url: str, tree=None):
        """``tree``: the page as newspaper4k parses it (``lxml.html.fromstring(html)``), when the
        caller holds it already; newspaper4k reads it, and its body step changes it."""
        from newspaper import Article, parsers

        self._article = article = Article(url, config=newspaper_config())
        article.download(input_html=html)
        article.extractor.article_body_extractor = _stable_body_extractor()(article.config)
        self._doc = doc = tree if tree is not None else parsers.fromstring(article.html)
        self._lookups = AttributeLookups(doc) if doc is not None else None
        self._authors: Optional[list[str]] = None
        self._text: Optional[str] = None
        if doc is None:  # nothing to read: Article.parse gives an empty article then
            self._authors, self._text = [], ""
            return
        extractor, lookups = article.extractor, self._lookups
        with self._unsupported_language():
            article.title = extractor.get_title(lookups)
            metadata = extractor.get_metadata(article.url, lookups)
            if metadata["language"] in _newspaper_languages():
                article.meta_lang = metadata["language"]
                if article.config.use_meta_language:
                    article.config.language = metadata["language"]
            article.canonical_link = metadata["canonical_link"]
            extractor.parse_images(article.url, lookups, None)  # images are not fetched: top = meta image
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

    @functools.cached_property
    def published_at(self) -> Optional[dt.datetime]:
        """Read when first asked for: its scan of the page's attributes costs about 22 ms a page
        (a fifth of parsing) and a date in the structured data usually answers first."""
        if self._doc is not None:
            with self._unsupported_language():
                self._article.publish_date = self._article.extractor.get_publishing_date(
                    self._article.url, self._lookups
                )
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
                found = self._article.extractor.get_authors(self._lookups)
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


#: A fast-mode body in this many lines or fewer is read again in full: fast mode can return a
#: story as one block (its paragraphs lost) or only its first lines.
FEW_LINES = 3


def fast_reading_holds(text: Optional[str], paragraph_words: int) -> bool:
    """trafilatura's fast-mode body can stand: it is not :func:`fields.cut_short` against the
    page's paragraphs and has more than :data:`FEW_LINES` lines. Otherwise its full mode reads
    the page again, whose comparison with readability and jusText finds the rest of the story.
    On fundus and naeb-dev (473 pages) 40 are read twice, and body token F1 is 96.2 and 92.3 %
    against 96.1 and 91.7 % reading all in full (docs/speed.md); fast mode alone took 29 % less
    parse time than full mode on fundus."""
    lines = [line for line in (text or "").split("\n") if line.strip()]
    return len(lines) > FEW_LINES and not fields.cut_short(text or "", paragraph_words)


def read_with_trafilatura(
    html: str, url: str, furniture_out: bool = True, paragraph_words: Optional[int] = None
) -> dict:
    """trafilatura's reading of one page (its body text is the better one on fundus: docs/quality.md),
    of the page :func:`without_furniture` unless ``furniture_out`` is false (trafilatura alone,
    as ``make eval`` compares it).

    Given the words in the page's paragraphs, it reads in trafilatura's fast mode first (without
    its readability and jusText comparison) and again in full only when :func:`fast_reading_holds`
    says no (docs/speed.md).
    """
    import trafilatura

    tree = trafilatura.load_html(html)  # parsed as trafilatura parses it (comments dropped)
    document = None
    if tree is not None:
        tree = without_furniture(tree) if furniture_out else tree
        # bare_extraction copies a tree it is given, so the tree can be read twice
        read = functools.partial(
            trafilatura.bare_extraction, tree, url=url, with_metadata=True, include_comments=False
        )
        document = read(fast=paragraph_words is not None)
        if paragraph_words is not None and (
            document is None or not fast_reading_holds(document.text, paragraph_words)
        ):
            document = read(fast=False)
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
