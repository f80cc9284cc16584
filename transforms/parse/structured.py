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

from newsbeam.transforms.parse.fields import word_count

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


@dataclass
class Evidence:
    """Candidate values per field, each ``(source, value)``, in the order their sources are trusted."""

    title: list = field(default_factory=list)
    site_name: list = field(default_factory=list)
    authors: list = field(default_factory=list)  # (source, [names])
    published: list = field(default_factory=list)
    modified: list = field(default_factory=list)
    html_title: Optional[str] = None
    h1: Optional[str] = None
    #: Words in the page's <p> elements: how much paragraph text there is to find at most.
    paragraph_words: int = 0
    language: Optional[str] = None
    image: Optional[str] = None
    canonical_url: Optional[str] = None


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
        name = _text(value.get("name"))
        return [name] if name else []
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
    for key in PUBLISHED_META:
        evidence.published += [(f"meta:{key}", v) for v in meta.get(key, [])[:1]]
    for key in MODIFIED_META:
        evidence.modified += [(f"meta:{key}", v) for v in meta.get(key.lower(), [])[:1]]
    for node in tree.xpath('//time[@itemprop="datePublished" or @pubdate][@datetime]')[:1]:
        evidence.published.append(("html:time", node.get("datetime")))
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
    headings = tree.xpath("//article//h1") or tree.xpath("//main//h1") or tree.xpath("//h1")
    if headings:
        evidence.h1 = " ".join(headings[0].text_content().split()) or None
    evidence.paragraph_words = sum(word_count(p.text_content()) for p in tree.iter("p"))
    return evidence
