"""What a page says about itself in structured data: JSON-LD, OpenGraph and other meta tags.

Publishers write these for search engines and social sites, so they are usually the most exact
statement of headline, authors, publication date and site name a page carries. Each value comes
back with the name of its source, so the parse stage can record which one won.

We read them with lxml XPath rather than extruct: the handful of fields we need does not justify
extruct's dependencies (rdflib, mf2py, ...), and one parsed tree serves every lookup.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Iterator, Optional

from newsbeam.transforms.parse.fields import fold, more_than_a_label, word_count

#: schema.org types that describe the story itself (not the site, breadcrumb or video).
ARTICLE_TYPES = {
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "blogposting",
    "liveblogposting", "report", "scholarlyarticle", "techarticle", "satiricalarticle",
}  # fmt: skip

# Meta tags per field, in the order they are trusted (name or property, lower-cased).
TITLE_META = ("og:title", "twitter:title", "citation_title", "dc.title", "dcterms.title")
SITE_META = ("og:site_name", "application-name", "al:android:app_name", "al:ios:app_name", "twitter:site")
AUTHOR_META = (
    "author", "article:author", "citation_author", "dc.creator", "dcterms.creator", "parsely-author",
    "sailthru.author", "byl",
)  # fmt: skip
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article:published", "citation_publication_date",
    "citation_date", "dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date", "parsely-pub-date",
    "sailthru.date", "pubdate", "publishdate", "publish-date", "date", "datepublished", "article.published",
    "og:published_time", "published_time",
)  # fmt: skip
MODIFIED_META = ("article:modified_time", "og:updated_time", "dateModified", "last-modified")


#: ``<time>`` elements read for a page's zone: the story's own come first; a long page lists
#: dozens more for comments and related stories.
MAX_TIMES = 5


#: Chartbeat's analytics set ``_sf_async_config.authors = 'Jane Doe, John Roe'`` on the pages it
#: counts: the byline, on pages whose structured data names nobody.
_CHARTBEAT_AUTHORS = re.compile(r"""_sf_async_config\.authors\s*=\s*(['"])(.{0,300}?)\1""")


@dataclass(frozen=True)
class Heading:
    """One ``<h1>`` a reader sees, with where it stands on the page."""

    #: Its words, less a kicker set inside it ("Opinion", "Premier League", "SNYDE |").
    text: str
    #: Its words with the kicker, as they read.
    full: str
    #: Inside ``<article>`` or ``<main>`` (the story's part of the page).
    in_content: bool
    #: Inside ``<nav>``, ``<aside>`` or ``<footer>`` and not in the story's part: site furniture.
    in_chrome: bool
    #: The words around it (its parent's text, ``fields.fold``-ed): where a kicker shown just
    #: above the headline is found.
    near: str = ""


@dataclass
class Evidence:
    """Candidate values per field, each ``(source, value)``, in the order their sources are trusted."""

    title: list = field(default_factory=list)
    site_name: list = field(default_factory=list)
    authors: list = field(default_factory=list)  # (source, [names])
    published: list = field(default_factory=list)
    modified: list = field(default_factory=list)
    html_title: Optional[str] = None
    #: The first ``<time>`` elements' ``datetime`` values and texts: where a page that dates its
    #: story in UTC says its own zone ("<time datetime=...+11:00>", "11:00 pm EST").
    times: list = field(default_factory=list)
    #: Every visible, non-empty ``<h1>`` in page order (:func:`visible_headings`).
    headings: list = field(default_factory=list)
    #: Words in the page's <p> elements: how much paragraph text there is to find at most.
    paragraph_words: int = 0
    language: Optional[str] = None
    image: Optional[str] = None
    canonical_url: Optional[str] = None

    @property
    def h1(self) -> Optional[str]:
        """The first visible ``<h1>`` in the story's part of the page, else the first anywhere."""
        first = next((h for h in self.headings if h.in_content), None) or next(iter(self.headings), None)
        return first.text if first else None


def _types(node: dict) -> set:
    value = node.get("@type", ())
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values}


#: JSON-LD deeper than this is not describing an article (real pages nest under ten levels).
MAX_JSON_LD_DEPTH = 32


def _nodes(value, depth: int = 0) -> Iterator[dict]:
    """Every JSON object in a JSON-LD document, nested ones and ``@graph`` members included,
    down to MAX_JSON_LD_DEPTH levels."""
    if depth > MAX_JSON_LD_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for key, item in value.items():
            if key != "@context" and isinstance(item, (dict, list)):
                yield from _nodes(item, depth + 1)


def _load_json_ld(text: str):
    text = text.strip()
    text = re.sub(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)", "", text)
    text = re.sub(r"(?:-->|//\s*\]\]>|\]\]>)\s*$", "", text).strip().rstrip(";")
    try:
        return json.loads(text)
    except RecursionError:  # nested deeper than Python's decoder goes: not an article's data
        return None
    except ValueError:
        try:
            return json.loads(text, strict=False)  # raw newlines inside strings are common
        except (ValueError, RecursionError):
            return None


def _text(value) -> Optional[str]:
    if isinstance(value, str):
        return " ".join(html.unescape(value).split()) or None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@value"))
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _person_names(value, by_id: dict) -> list[str]:
    """Names from a JSON-LD author value: a string, a Person, an @id reference, or a list."""
    if isinstance(value, list):
        return [name for item in value for name in _person_names(item, by_id)]
    if isinstance(value, dict):
        if "name" not in value and value.get("@id") in by_id:
            value = by_id[value["@id"]]
        if _types(value) & {"organization", "newsmediaorganization", "corporation"}:
            return []
        names = value.get("name")  # a list of names in one Person is written too
        return [n for n in map(_text, names if isinstance(names, list) else [names]) if n]
    if isinstance(value, str) and value.strip():
        return [" ".join(value.split())]
    return []


def json_ld_articles(tree) -> tuple[list[dict], dict]:
    """The JSON-LD nodes that describe an article (news types first), and every node by @id."""
    nodes = []
    for script in tree.xpath('//script[contains(translate(@type, "JSON-LD", "json-ld"), "ld+json")]'):
        document = _load_json_ld(script.text_content() or "")
        if document is not None:
            nodes.extend(_nodes(document))
    # Index the nodes that describe something, not the bare {"@id": ...} references to them.
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
    articles = [n for n in nodes if _types(n) & ARTICLE_TYPES]
    articles.sort(key=lambda n: "newsarticle" not in "".join(_types(n)))  # stable: news types first
    return articles, by_id


def _meta(tree) -> dict[str, list[str]]:
    """meta name/property/itemprop → contents, names lower-cased, in page order."""
    found: dict[str, list[str]] = {}
    for meta in tree.xpath("//meta[@content]"):
        content = " ".join(html.unescape(meta.get("content") or "").split())
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (meta.get(attribute) or "").strip().lower()
            if key:
                found.setdefault(key, []).append(content)
    return found


def _is_url(value: str) -> bool:
    return bool(re.match(r"^(?:https?:)?//|^www\.", value.strip(), re.IGNORECASE))


def page_evidence(tree) -> Evidence:
    """Every structured statement of title, site name, authors and dates a parsed page makes."""
    evidence = Evidence()
    articles, by_id = json_ld_articles(tree)
    for node in articles[:1]:  # the main article; later ones are usually related stories
        title = _text(node.get("headline")) or _text(node.get("name"))
        if title:
            evidence.title.append(("json-ld", title))
        names = _person_names(node.get("author"), by_id) or _person_names(node.get("creator"), by_id)
        names = [n for n in names if not _is_url(n)]
        if names:
            evidence.authors.append(("json-ld", names))
        for key, bucket in (("datePublished", evidence.published), ("dateCreated", evidence.published),
                            ("dateModified", evidence.modified)):  # fmt: skip
            value = _text(node.get(key))
            if value:
                bucket.append(("json-ld", value))
        publisher = node.get("publisher")
        if isinstance(publisher, dict) and "name" not in publisher and publisher.get("@id") in by_id:
            publisher = by_id[publisher["@id"]]
        site = _text(publisher)
        if site:
            evidence.site_name.append(("json-ld", site))
    meta = _meta(tree)
    for key in TITLE_META:
        evidence.title += [(f"meta:{key}", v) for v in meta.get(key, [])[:1]]
    for key in SITE_META:
        evidence.site_name += [(f"meta:{key}", v.lstrip("@")) for v in meta.get(key, [])[:1]]
    for key in AUTHOR_META:
        names = [v for v in meta.get(key, []) if not _is_url(v)]
        if names:
            evidence.authors.append((f"meta:{key}", names))
    for script in tree.xpath("//script[not(@src)][contains(., '_sf_async_config')]")[:3]:
        found = _CHARTBEAT_AUTHORS.search(script.text_content() or "")
        if found and found.group(2).strip():
            evidence.authors.append(("script:chartbeat", [found.group(2)]))
            break
    for key in PUBLISHED_META:
        evidence.published += [(f"meta:{key}", v) for v in meta.get(key, [])[:1]]
    for key in MODIFIED_META:
        evidence.modified += [(f"meta:{key}", v) for v in meta.get(key.lower(), [])[:1]]
    for node in tree.xpath('//time[@itemprop="datePublished" or @pubdate][@datetime]')[:1]:
        evidence.published.append(("html:time", node.get("datetime")))
    for node in tree.xpath("//time")[:MAX_TIMES]:
        evidence.times += [v for v in (node.get("datetime"), " ".join(node.text_content().split())) if v]
    titles = tree.xpath("//title")
    if titles:
        evidence.html_title = " ".join(titles[0].text_content().split()) or None
    language = tree.get("lang") or next(
        iter(meta.get("content-language", []) + meta.get("og:locale", [])), None
    )
    if language:
        evidence.language = re.split(r"[-_]", language.strip().lower())[0][:3] or None
    evidence.image = next(iter(meta.get("og:image", []) + meta.get("twitter:image", [])), None)
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    evidence.canonical_url = (canonical[0].strip() if canonical else None) or next(
        iter(meta.get("og:url", [])), None
    )
    evidence.headings = visible_headings(tree)
    evidence.paragraph_words = sum(word_count(p.text_content()) for p in tree.iter("p"))
    return evidence


#: Classes that hide a heading from sight (kept for screen readers) or from every reader.
_HIDDEN_CLASS = re.compile(
    r"(?:^|[\s_-])(?:sr-only|visually-hidden|visuallyhidden|screen-reader|offscreen|hidden|hide)(?:$|[\s_-])",
    re.I,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
#: Elements whose start and end break a line inside a heading ("<h1>Kicker<br>Headline</h1>").
_HEADING_BREAKS = {"br", "div", "p", "li"}


def _hidden(element, from_screen_readers_too: bool = False) -> bool:
    """Not shown: hidden, aria-hidden, display:none, or a class that hides it from sight (the
    screen-reader-only ones, unless ``from_screen_readers_too``: a heading's "sr-only" colon
    between kicker and headline is part of what it says)."""
    return (
        element.get("hidden") is not None
        or element.get("aria-hidden") == "true"
        or bool(_HIDDEN_STYLE.search(element.get("style") or ""))
        or not from_screen_readers_too
        and bool(_HIDDEN_CLASS.search(element.get("class") or ""))
    )


#: Class names of a kicker or overline set inside a headline: "<h1><span class=topline>Premier
#: League</span><span>Liverpool lose at Everton</span></h1>".
_KICKER_CLASS = re.compile(
    r"kicker|topline|overline|dachzeile|eyebrow|prefix|topic|rubri|label|section|category|flag|roofline|supertitle|pretitle",
    re.I,
)


def heading_text(element, skip=None) -> str:
    """A heading's words, with a space where a ``<br>`` or block breaks it (``text_content``
    glues "Kicker<br>Headline" into "KickerHeadline"); hidden parts and ``skip`` left out."""
    parts: list[str] = []

    def walk(node) -> None:
        if not isinstance(node.tag, str) or node.tag in ("script", "style", "noscript", "template"):
            return
        if node is skip or (node is not element and _hidden(node, from_screen_readers_too=True)):
            return
        breaks = node.tag in _HEADING_BREAKS
        parts.append(" " if breaks else "")
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")
        parts.append(" " if breaks else "")

    walk(element)
    return " ".join("".join(parts).split())


def _kicker(element):
    """The heading's first child when it is a kicker: a link to a section or an element whose
    class names it one, before any of the heading's own text, with a headline after it."""
    if (element.text or "").strip():
        return None
    first = next((child for child in element if isinstance(child.tag, str) and heading_text(child)), None)
    if first is None:
        return None
    attributes = " ".join(str(first.get(name) or "") for name in ("class", "data-qa", "data-testid"))
    if first.tag == "a" and first.get("href") or _KICKER_CLASS.search(attributes):
        rest = heading_text(element, skip=first)
        if more_than_a_label(rest) and len(heading_text(first).split()) <= 6:
            return first
    return None


def _crumb(element) -> bool:
    """A breadcrumb trail: some sites put an SEO ``<h1>`` there and show their headline elsewhere."""
    return "crumb" in f"{element.get('class') or ''} {element.get('id') or ''}".lower()


def visible_headings(tree) -> list[Heading]:
    """The page's ``<h1>``s a reader sees, in page order: not hidden, not inside a link (a teaser
    of another story), a breadcrumb trail (an SEO ``<h1>``) or a dialog (a modal "Artikel
    merken"), nor wholly a short link (a logo), not empty."""
    headings = []
    for element in tree.iter("h1"):
        ancestors = list(element.iterancestors())
        if (
            _hidden(element)
            or _crumb(element)
            or any(a.tag in ("a", "dialog") or _hidden(a) or _crumb(a) for a in ancestors)
        ):
            continue
        full = heading_text(element)
        if not full:
            continue
        linked = " ".join(a.text_content() for a in element.iter("a") if a.get("href")).split()
        if linked == full.split() and len(linked) <= 3:  # "<h1><a href='/'>Site</a></h1>": a logo
            continue
        kicker = _kicker(element)
        text = heading_text(element, skip=kicker) if kicker is not None else full
        tags = {a.tag for a in ancestors}
        in_content = bool(tags & {"article", "main"})
        parent = element.getparent()
        near = fold(parent.text_content()[:3000]) if parent is not None else ""
        in_chrome = not in_content and bool(tags & {"nav", "aside", "footer"})
        headings.append(Heading(text, full, in_content, in_chrome, near))
    return headings
