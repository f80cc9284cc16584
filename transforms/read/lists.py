"""Lists of links: OPML feed lists, sitemaps (index, Google News, robots.txt) and URL lists.

A link a list gives is checked as a feed item's is (:func:`~.specs.list_link`), and a list of
lists names itself as the ``parent`` of the sources it gives, so their errors rows say where
they were listed.

XML is parsed by lxml with entity expansion, external entities, DTDs and network access off,
and a document that declares entities of its own is refused before any parser sees it
(:func:`refuse_entity_declarations`, which the feed reader uses too).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Iterator, Optional, Union

from newsbeam.transforms.common.errors import InputError, error_row
from newsbeam.transforms.common.fetching import is_http
from newsbeam.transforms.common.records import InputRecord, Source
from newsbeam.transforms.read.dates import parse_date
from newsbeam.transforms.read.specs import list_link

DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def refuse_entity_declarations(data: bytes, location: str) -> None:
    """Refuse an XML feed, OPML or sitemap whose DOCTYPE declares entities of its own: a
    "billion laughs" bomb or an external-entity read, never a real feed. Our parsers would not
    expand them anyway (expat's amplification limit, lxml with ``resolve_entities=False``), but
    a document built to attack its reader is an errors row, not a source of links."""
    match = DOCTYPE.search(data, 0, 65536)
    if not match:
        return
    end = data.find(b"]>", match.end())
    subset = data[match.end() : end if end >= 0 else match.end() + 1_000_000]
    if b"<!ENTITY" in subset.upper():
        raise InputError(
            "bad_xml", f"{location} declares its own XML entities (an XML bomb or external entity), not read"
        )


def parse_xml(data: bytes, location: str):
    """A safe lxml parse: no entity expansion, no external entities or DTDs, no network, no huge
    trees (a "billion laughs" document is an error, not an out-of-memory)."""
    from lxml import etree

    refuse_entity_declarations(data, location)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InputError("bad_xml", f"{location} is not well-formed XML: {exc}") from exc
    if root is None:
        raise InputError("bad_xml", f"{location} holds no XML document")
    return root


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(node, name: str) -> Optional[str]:
    for child in node.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def listed_source(parent: Source, link: str, kind: str, what: str, ref: str) -> Union[Source, dict]:
    """The source a list of lists names, one level deeper and naming its list; an errors row
    (``ref``) when the link is no web page, or a file named by a list from the web."""
    try:
        location = list_link(parent.location, link, what)
    except InputError as exc:
        return error_row("read", exc.kind, exc.message, ref)
    return Source(location, kind, parent.depth + 1, parent=parent.location)


def sources_from_opml(data: bytes, source: Source) -> Iterator[Union[Source, dict]]:
    """Every feed an OPML list names (outlines with an xmlUrl, at any depth)."""
    root = parse_xml(data, source.location)
    if _local(root.tag) != "opml":
        raise InputError("bad_opml", f"{source.location} is XML but not OPML")
    for index, outline in enumerate(node for node in root.iter() if _local(node.tag) == "outline"):
        feed = outline.get("xmlUrl") or outline.get("xmlurl")
        if feed:
            ref = f"{source.location}#outline={index}"
            yield listed_source(source, feed, "rss", f"OPML outline {index}", ref)


def items_from_sitemap(data: bytes, source: Source) -> Iterator[Union[InputRecord, Source, dict]]:
    """A urlset's pages as records (with Google News title, date and language when present), or a
    sitemap index's sitemaps as sources."""
    root = parse_xml(data, source.location)
    kind = _local(root.tag)
    if kind == "sitemapindex":
        for index, node in enumerate(n for n in root if _local(n.tag) == "sitemap"):
            loc = _child_text(node, "loc")
            if loc:
                ref = f"{source.location}#sitemap={index}"
                yield listed_source(source, loc, "sitemap", f"sitemap index entry {index}", ref)
        return
    if kind != "urlset":
        raise InputError("bad_sitemap", f"{source.location} is XML but neither a urlset nor a sitemap index")
    for index, node in enumerate(n for n in root if _local(n.tag) == "url"):
        ref = f"{source.location}#url={index}"
        loc = _child_text(node, "loc")
        if not loc:
            yield error_row("read", "no_link", f"sitemap entry {index} has no <loc>", ref)
            continue
        try:
            url = list_link(source.location, loc, f"sitemap entry {index}")
        except InputError as exc:
            yield error_row("read", exc.kind, exc.message, ref)
            continue
        language = _child_text(node, "language")
        yield InputRecord(
            input_ref=ref,
            input_kind="sitemap",
            url=url,
            title=_child_text(node, "title"),
            published_at=parse_date(_child_text(node, "publication_date") or _child_text(node, "lastmod")),
            language=language.split("-")[0].lower() if language else None,
            feed=source.location,
        )


def sitemaps_from_robots(data: bytes, source: Source) -> Iterator[Union[Source, dict]]:
    """The ``Sitemap:`` lines of a robots.txt."""
    for lineno, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            ref = f"{source.location}:{lineno}"
            yield listed_source(source, value.strip(), "sitemap", f"robots.txt line {lineno}", ref)


def records_from_url_list(data: bytes, location: str) -> Iterator[Union[InputRecord, dict]]:
    """One URL per line (``#`` starts a comment), or a CSV with a url (or link) column."""
    text = data.decode("utf-8-sig", errors="replace")
    first = next(
        (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), ""
    )
    if location.lower().endswith((".csv", ".csv.gz")) or (
        "," in first and not first.strip().startswith("http")
    ):
        reader = csv.DictReader(io.StringIO(text))
        column = next(
            (c for c in reader.fieldnames or [] if c and c.strip().lower() in ("url", "link")), None
        )
        if column is None:
            raise InputError("no_url_column", f"{location} has no url or link column")
        rows = ((index + 2, (row.get(column) or "").strip()) for index, row in enumerate(reader))
    else:
        rows = ((index + 1, line.split("#", 1)[0].strip()) for index, line in enumerate(text.splitlines()))
    for lineno, url in rows:
        if not url:
            continue
        ref = f"{location}:{lineno}"
        if not is_http(url):
            yield error_row("read", "invalid_url", f"line {lineno} is not an http(s) URL: {url[:200]}", ref)
            continue
        yield InputRecord(input_ref=ref, input_kind="urls", url=url)
