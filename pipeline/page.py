"""One page (or plain-text story) parsed exactly as a run parses it, outside a pipeline: what
``newsbeam parse`` prints and what ``newsbeam.parse`` returns.

The same decoding, evidence, extractors, body cleaning and ids as ParseArticles and
Deduplicate; the row has every ``articles`` column, filled as a default run would fill them for
a story seen once (``cluster_id`` its own id, ``copies`` 1, ``nlp_model`` the model that would
read it), except ``run_id``, which only a run has.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Optional

from newsbeam.schemas import articles
from newsbeam.transforms.common.fetching import FetchedBody, page_html
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.dedup.urls import with_ids
from newsbeam.transforms.extract.nlp import NlpConfig, nlp_plan
from newsbeam.transforms.parse.article import article_from_record, quiet_parser_warnings
from newsbeam.transforms.read.jsonfeed import is_json_feed
from newsbeam.transforms.read.specs import kind_from_name, sniff_kind

#: Inputs that hold many stories, by the kind a sniff of their first bytes finds: what they are.
SEVERAL_STORIES = {
    "warc": "a WARC archive of many pages",
    "jsonl": "a JSON lines dump, a story a line",
    "rss": "a feed of many stories",
    "jsonfeed": "a JSON Feed of many stories",
    "opml": "an OPML list of feeds",
    "sitemap": "a sitemap of many pages",
    "urls": "a list of URLs",
}

#: What a feed or sitemap is called, by its root element (each sniffs as ``rss`` or ``sitemap``).
_ROOTS = {
    b"<rss": "an RSS feed of many stories",
    b"<feed": "an Atom feed of many stories",
    b"<rdf:rdf": "an RSS 1.0 (RDF) feed of many stories",
    b"<sitemapindex": "a sitemap index of many sitemaps",
    b"<urlset": "a sitemap of many pages",
}


def parse_page(data: bytes, url: str, input_ref: str, explain: Optional[dict] = None) -> dict:
    """The ``articles`` row of one page or text story (HTML or text told apart by sniffing, a
    gzipped file inflated). Raises InputError with the kind a run's errors row would carry
    (``no_text``, ``not_html``, ...). ``explain``, when given, is filled with every candidate
    each field was chosen from."""
    if data[:2] == b"\x1f\x8b":  # a saved page.html.gz
        data = gzip.decompress(data)
    quiet_parser_warnings()
    if sniff_kind(data) == "text":
        record = InputRecord(input_ref, "text", url, text=data.decode("utf-8", errors="replace"))
    else:
        record = InputRecord(input_ref, "html", url, html=page_html(FetchedBody(input_ref, data)))
    article = nlp_plan(with_ids(article_from_record(record, explain=explain)), NlpConfig())
    row = {**article, "cluster_id": article["article_id"], "copies": 1, "run_id": None}
    table = articles.TABLE
    return {column: row[column] for column in [*table.columns, table.partition_key]}


def several_stories(data: bytes, name: str = "") -> Optional[tuple[str, str]]:
    """(the ``--input`` kind a run reads it as, what it is) when ``data`` holds many stories
    rather than one page: a WARC or ARC archive, a JSON lines dump, a feed (a JSON Feed too), an
    OPML list, a sitemap or a URL list (gzipped or not); ``("json", ...)`` for another JSON
    document, which is no page either; None for one HTML page or text story. Found from the content; the file
    ``name`` counts only for what sniffs as text, a ``.csv`` of URLs under a header row."""
    head = inflated_head(data)
    kind = sniff_kind(head)
    if kind == "text" and kind_from_name(name) == "urls":
        kind = "urls"
    if kind == "jsonfeed":
        return kind, SEVERAL_STORIES[kind]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        return _json_kind(data)
    if head.startswith(b"filedesc://"):  # ARC, the WARC's predecessor: warcio reads both
        return "warc", "an ARC archive of many pages"
    if kind not in SEVERAL_STORIES:
        return None
    if kind in ("rss", "sitemap"):
        lowered = head[:4096].lower()
        roots = [(lowered.find(root), what) for root, what in _ROOTS.items() if root in lowered]
        if roots:
            return kind, min(roots)[1]  # the first of them is the root: an RSS item may hold <feed...>
    return kind, SEVERAL_STORIES[kind]


def inflated_head(data: bytes, size: int = 1 << 16) -> bytes:
    """The first bytes of ``data``, inflated if gzipped (a WARC.gz may be gigabytes: only its head)."""
    if data[:2] != b"\x1f\x8b":
        return data[:size]
    try:
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data, size)
    except zlib.error:
        return data[:size]  # not gzip after all: parse_page says so


def _json_kind(data: bytes) -> Optional[tuple[str, str]]:
    """A JSON Feed when the whole file is one (its version too far in for a sniff to see), a JSON
    lines dump when its first line is a JSON object, another JSON document when the whole file is
    one; None for text that only starts like JSON ("[Updated] ...")."""
    try:
        data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError, zlib.error):
        return None
    document = _json_value(data)
    if is_json_feed(document):
        return "jsonfeed", SEVERAL_STORIES["jsonfeed"]
    first = next((line for line in data.splitlines() if line.strip()), b"")
    if isinstance(_json_value(first), dict):
        return "jsonl", SEVERAL_STORIES["jsonl"]
    if isinstance(document, (dict, list)):
        return "json", "a JSON document, not a page or a text story"
    return None


def _json_value(document: bytes):
    try:
        return json.loads(document)
    except ValueError:  # UnicodeDecodeError too
        return None
