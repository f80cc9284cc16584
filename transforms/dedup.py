"""Deduplicate stories. First cut: the same story under the same normalised URL is kept once.

``CanonicalUrls`` gives every article its canonical URL and the id derived from it;
``DropUrlRepeats`` keeps one article per canonical URL by a fixed rule and records the others
in ``duplicates``. Text and near-duplicate detection come in a later issue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.parse
from typing import Optional

import apache_beam as beam

#: Query parameters that only say how a reader arrived (campaign, click and referral ids).
TRACKING_PARAMS = re.compile(
    r"^(?:utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|"
    r"ref|ref_src|ref_url|referrer|cmpid|ocid|_ga|_gl|sr_share|smid|share|at_medium|at_campaign)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}
DUPLICATES = "duplicates"


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no credentials, default port, fragment or tracking parameters,
    query sorted, percent-encoding made canonical (w3lib, as Scrapy uses it)."""
    from w3lib.url import canonicalize_url

    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMS.match(k)
    ]
    rebuilt = urllib.parse.urlunsplit(
        (scheme, netloc, parts.path or ("/" if netloc else ""), urllib.parse.urlencode(query), "")
    )
    return canonicalize_url(rebuilt, keep_fragments=False)


def site_of(url: str) -> Optional[str]:
    host = urllib.parse.urlsplit(url).hostname
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def choose_canonical(url: str, page_canonical: Optional[str]) -> str:
    """The URL a story is known by: the page's rel=canonical when it is an http(s) URL on the
    same site (or the story came from a local file), else the URL it arrived with; normalised."""
    if page_canonical:
        absolute = urllib.parse.urljoin(url, page_canonical.strip())
        if urllib.parse.urlsplit(absolute).scheme in ("http", "https"):
            arrived_scheme = urllib.parse.urlsplit(url).scheme
            if arrived_scheme not in ("http", "https") or site_of(absolute) == site_of(url):
                return normalise_url(absolute)
    return normalise_url(url)


def article_id(canonical_url: str) -> str:
    """32 hex characters of SHA-256: deterministic, the same on every run and worker."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


def with_ids(article: dict) -> dict:
    """An article row with canonical_url, article_id and source_domain set."""
    canonical = choose_canonical(article["url"], article["canonical_url"])
    return {
        **article,
        "canonical_url": canonical,
        "article_id": article_id(canonical),
        "source_domain": site_of(canonical),
    }


_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def survivor_order(article: dict):
    """Which copy is kept: earliest published (unknown dates last), then longest body, then
    smallest input reference. A total order, so every run and runner keeps the same one."""
    return (
        article["published_at"] or _FAR_FUTURE,
        -len(article["text"]),
        article["input_ref"],
        article["url"],
    )


def duplicate_row(dropped: dict, kept: dict, reason: str, similarity: float) -> dict:
    return {
        "article_id": dropped["article_id"],
        "url": dropped["url"],
        "input_ref": dropped["input_ref"],
        "duplicate_of": kept["article_id"],
        "reason": reason,
        "similarity": similarity,
    }


class KeepOnePerUrlFn(beam.DoFn):
    """(canonical_url, copies) → the survivor, and a duplicates row for each other copy."""

    def process(self, keyed):
        _, copies = keyed
        ordered = sorted(copies, key=survivor_order)
        kept = ordered[0]
        yield kept
        for dropped in ordered[1:]:
            beam.metrics.Metrics.counter("newsbeam", "duplicates").inc()
            yield beam.pvalue.TaggedOutput(DUPLICATES, duplicate_row(dropped, kept, "url", 1.0))


class CanonicalUrls(beam.PTransform):
    """Articles → articles with canonical_url, article_id and source_domain."""

    def expand(self, articles):
        return articles | "WithIds" >> beam.Map(with_ids)


class DropUrlRepeats(beam.PTransform):
    """Articles → (one article per canonical URL, duplicates rows for the rest)."""

    def expand(self, articles):
        results = (
            articles
            | "KeyByCanonicalUrl" >> beam.Map(lambda a: (a["canonical_url"], a))
            | "GroupByCanonicalUrl" >> beam.GroupByKey()
            | "KeepOnePerUrl" >> beam.ParDo(KeepOnePerUrlFn()).with_outputs(DUPLICATES, main="kept")
        )
        return results.kept, results[DUPLICATES]


class Deduplicate(beam.PTransform):
    """Articles → (articles kept, duplicates rows)."""

    def expand(self, articles):
        return articles | "CanonicalUrls" >> CanonicalUrls() | "DropUrlRepeats" >> DropUrlRepeats()
