"""Seen links: the cheapest duplicate is the one never fetched.

A scheduled run reads the same feeds every hour, and nearly every item in them was fetched by
an earlier run. Each run therefore remembers the links it settled (the ``links`` table): kept
as an article, dropped as a duplicate, or refused for good. The next run looks each record's
link up before fetching it: a link settled within the lookback window becomes a ``seen_link``
duplicate and costs no request. A link two inputs of one run both list (a feed and the news
sitemap) is fetched once; the other record is a ``url`` duplicate before any fetch.

Only what is settled is remembered. A transient failure (a timeout, a 429 or 5xx) is tried
again by the next run; a ``--max_articles`` or ``--domain`` refusal depends on the options,
not on the page, and is not remembered either.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, Optional

from newsbeam.transforms.common.errors import is_transient
from newsbeam.transforms.common.fetching import is_http
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.dedup.urls import article_id, normalise_url

#: Stages whose errors rows can settle a link (once fetched, the page itself was the problem).
SETTLING_STAGES = frozenset({"fetch", "parse", "filter"})
#: ``filter`` kinds that judge the parsed article (date, language), not the options' lists.
SETTLING_FILTER_KINDS = frozenset({"no_date", "before_since", "after_until", "language"})

OUTCOME_RANK = {"article": 0, "duplicate": 1, "error": 2}


def fetch_link(record: InputRecord) -> Optional[str]:
    """The key a record is looked up by: its link normalised, when the record is fetched over
    HTTP (it carries no page of its own); None for records that cost no fetch (files, dumps,
    WARC responses), which dedup handles after parsing as before."""
    if not record.needs_fetch or not is_http(record.url):
        return None
    return normalise_url(record.url)


def pick_order(record: InputRecord) -> tuple:
    """Which of the records sharing a link is fetched: the one whose input says most about the
    story (the feed's full text, a title, authors, a date, an image), then the smallest input
    reference. A total order, so every run and runner picks the same record."""
    return (
        record.feed_html is None,
        record.title is None,
        -len(record.authors),
        record.published_at is None,
        record.image is None,
        record.input_ref,
        record.url,
    )


def latest(rows: Iterable[dict]) -> dict:
    """Of one link's ``links`` rows, the one the newest fetch wrote."""
    return max(rows, key=lambda row: (row["fetched_at"], -OUTCOME_RANK[row["outcome"]], row["run_id"]))


def still_seen(row: dict, refetch_before: Optional[dt.datetime]) -> bool:
    """Whether a remembered link still counts as seen (``--refetch_after``: not once it is older)."""
    return refetch_before is None or row["fetched_at"] >= refetch_before


def carried(link: str, row: dict) -> dict:
    """A remembered link's ``links`` row, to write again in this run's partition: the outcome and
    ``fetched_at`` of the fetch that settled it (so ``--refetch_after`` still counts from then)."""
    return {
        "link": link,
        "article_id": row["article_id"],
        "outcome": row["outcome"],
        "error_kind": row["error_kind"],
        "fetched_at": row["fetched_at"],
    }


def duplicate_row(record: InputRecord, link: str, duplicate_of: str, reason: str) -> dict:
    return {
        "article_id": article_id(link),
        "url": record.url,
        "input_ref": record.input_ref,
        "duplicate_of": duplicate_of,
        "reason": reason,
        "similarity": 1.0,
    }


def settle(
    link: str, records: Iterable[InputRecord], prior: Iterable[dict], carry_through: Optional[dt.date] = None
) -> Iterator:
    """The records of one link → ``("fetch", record)`` for the one to fetch; ``("seen", row)``
    for each when an earlier run settled the link (``seen_link``, a duplicate of what that run
    found); else ``("copy", row)`` for all but the first by :func:`pick_order` (``url``
    duplicates, whose ``duplicate_of`` :func:`resolve_copy` sets once the fetched one is settled).

    A seen link whose newest row is in a partition on or before ``carry_through`` (the window's
    first day) also gives ``("carry", links row)``: its row written again today, so a link the
    inputs keep listing stays in the window (:func:`carried`)."""
    ordered = sorted(records, key=pick_order)
    known = list(prior)
    if known:
        earlier = latest(known)
        for record in ordered:
            yield "seen", duplicate_row(record, link, earlier["article_id"], "seen_link")
        if ordered and carry_through is not None and max(row["run_date"] for row in known) <= carry_through:
            yield "carry", carried(link, earlier)
        return
    if not ordered:
        return
    yield "fetch", ordered[0]
    for record in ordered[1:]:
        yield "copy", (link, duplicate_row(record, link, article_id(link), "url"))


def resolve_copy(copy: dict, settled: list[dict]) -> dict:
    """A ``url`` duplicate of a link fetched once this run, pointing at what that fetch became:
    the article kept (or the one it was a copy of); for a failed fetch, the link's own id."""
    return {**copy, "duplicate_of": settled[0]["article_id"]} if settled else copy


def add_copies(article: dict, extra: dict) -> dict:
    """The kept article with ``copies`` raised by its never-fetched copies (``extra``: article id →
    how many)."""
    more = extra.get(article["article_id"], 0)
    return {**article, "copies": article["copies"] + more} if more else article


def http_key(url: Optional[str]) -> Optional[str]:
    return normalise_url(url) if url and is_http(url) else None


def article_links(article: dict) -> list[tuple[str, dict]]:
    """(link, outcome) of a kept article: its link as it arrived and its canonical URL."""
    outcome = {"article_id": article["article_id"], "outcome": "article", "error_kind": None}
    keys = {http_key(article["url"]), http_key(article["canonical_url"])} - {None}
    return [(key, outcome) for key in sorted(keys)]


def duplicate_links(row: dict) -> list[tuple[str, dict]]:
    """(link, outcome) of a duplicates row this run made after fetching (not a seen_link one)."""
    key = http_key(row["url"])
    if key is None or row["reason"] == "seen_link":
        return []
    return [(key, {"article_id": row["duplicate_of"], "outcome": "duplicate", "error_kind": None})]


def error_links(row: dict) -> list[tuple[str, dict]]:
    """(link, outcome) of an errors row that settles its link: a permanent failure of a page
    that was fetched (http_404, robots_disallowed, no_text, a --since or --language refusal)."""
    key = http_key(row["url"])
    if key is None or row["stage"] not in SETTLING_STAGES or is_transient(row["kind"]):
        return []
    if row["stage"] == "filter" and row["kind"] not in SETTLING_FILTER_KINDS:
        return []
    return [(key, {"article_id": article_id(key), "outcome": "error", "error_kind": row["kind"]})]


def link_row(link: str, outcomes: Iterable[dict], fetched_at: dt.datetime) -> dict:
    """The ``links`` row of one link this run settled, by its best outcome (article first)."""
    best = min(outcomes, key=lambda o: (OUTCOME_RANK[o["outcome"]], o["article_id"], o["error_kind"] or ""))
    return {"link": link, **best, "fetched_at": fetched_at}
