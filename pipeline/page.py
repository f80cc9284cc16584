"""One page (or plain-text story) parsed exactly as a run parses it, outside a pipeline: what
``newsbeam parse`` prints and what ``newsbeam.parse`` returns.

The same decoding, evidence, extractors, body cleaning and ids as ParseArticles and
Deduplicate; the row has every ``articles`` column, filled as a default run would fill them for
a story seen once (``cluster_id`` its own id, ``copies`` 1, ``nlp_model`` the model that would
read it), except ``run_id``, which only a run has.
"""

from __future__ import annotations

import gzip
from typing import Optional

from newsbeam.schemas import articles
from newsbeam.transforms.common.fetching import FetchedBody, page_html
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.dedup.urls import with_ids
from newsbeam.transforms.extract.nlp import NlpConfig, nlp_plan
from newsbeam.transforms.parse.article import article_from_record, quiet_parser_warnings
from newsbeam.transforms.read.specs import sniff_kind


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
