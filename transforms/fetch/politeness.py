"""Politeness that holds across every worker of a job: records keyed by host lane, so a host never
has more than ``--host_concurrency`` requests in flight, and robots.txt read once per host per
worker."""

from __future__ import annotations

import dataclasses
import urllib.parse
import urllib.request
import zlib

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import FetchPolicy, fetch_http, is_http


def robots_rules(host: str, policy: FetchPolicy, session=None):
    """The host's robots.txt rules, or None when it has none (404, unreachable): then all is allowed."""
    import urllib.robotparser

    quick = dataclasses.replace(policy, retries=0, max_bytes=min(policy.max_bytes, 500_000))
    try:
        body = fetch_http(f"{host}/robots.txt", quick, session)
    except InputError:
        return None
    rules = urllib.robotparser.RobotFileParser()
    rules.parse(body.data.decode("utf-8", errors="replace").splitlines())
    return rules


def host_lane(url: str, lanes: int) -> str:
    """The lane a URL is fetched in: its host and one of ``lanes`` slots picked by a stable hash
    of the URL (``hash()`` is salted per process, so it would differ between workers)."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return f"{host}#{zlib.crc32(url.encode('utf-8', 'surrogatepass')) % max(1, lanes)}"


def needs_http(record) -> bool:
    return record.needs_fetch and is_http(record.url)


#: Lanes the records that need no HTTP request are spread over (files, feed and dump records).
SPREAD_LANES = 1 << 16


def lane_of(record, host_lanes: int) -> str:
    """The lane a record's page is fetched or read in: its host's lane (:func:`host_lane`) for a
    web page, else one of SPREAD_LANES lanes by a stable hash of the record (no host name starts
    with ``*``, so the two kinds never share a lane)."""
    if needs_http(record):
        return host_lane(record.url, host_lanes)
    key = f"{record.input_ref}\n{record.url}".encode("utf-8", "surrogatepass")
    return f"*{zlib.crc32(key) % SPREAD_LANES}"
