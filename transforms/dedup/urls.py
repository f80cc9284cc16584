"""Canonical URLs and the ids made from them: the evidence that two records are one story by URL."""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from typing import Optional

from newsbeam.transforms.common.redact import SECRET_PARAMS

#: Query parameters that only say how a reader arrived (campaign, click and referral ids).
TRACKING_PARAMS = re.compile(
    r"^(?:utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|"
    r"ref|ref_src|ref_url|referrer|cmpid|ocid|_ga|_gl|sr_share|smid|share|at_medium|at_campaign)$",
    re.IGNORECASE,
)

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no credentials, default port, fragment, tracking or secret parameters,
    query sorted, percent-encoding made canonical (w3lib, as Scrapy uses it)."""
    from w3lib.url import canonicalize_url

    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:  # "http://[not-an-address]/": nothing to normalise, and it is still an id
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMS.match(k) and not SECRET_PARAMS.match(k)
    ]
    rebuilt = urllib.parse.urlunsplit(
        (scheme, netloc, parts.path or ("/" if netloc else ""), urllib.parse.urlencode(query), "")
    )
    try:
        return canonicalize_url(rebuilt, keep_fragments=False)
    except ValueError:  # a URL w3lib cannot take apart (a host IDNA refuses): ours is the best we have
        return rebuilt


def site_of(url: str) -> Optional[str]:
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:  # "http://[not-an-address]/"
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def choose_canonical(url: str, page_canonical: Optional[str]) -> str:
    """The URL a story is known by: the page's rel=canonical when it is an http(s) URL on the
    same site (or the story came from a local file), else the URL it arrived with; normalised.
    Never raises: a URL Python cannot even split is its own id."""
    if page_canonical:
        try:
            absolute = urllib.parse.urljoin(url, page_canonical.strip())
            schemes = urllib.parse.urlsplit(absolute).scheme, urllib.parse.urlsplit(url).scheme
        except ValueError:  # the page's canonical is not a URL: the one the story came with is
            schemes = None, None
        if schemes[0] in ("http", "https"):
            if schemes[1] not in ("http", "https") or site_of(absolute) == site_of(url):
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
