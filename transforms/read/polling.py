"""Polite polling: a feed that has not changed since the last run costs one short answer.

Every feed, sitemap or list fetched over HTTP is recorded in the ``feeds`` table with the
validators its server gave (ETag, Last-Modified). The next run sends them back as
``If-None-Match`` / ``If-Modified-Since``; a ``304 Not Modified`` answer means the feed holds
nothing new, so it yields no records, no errors row and no parse. A feed whose items must be
read again next time (one failed for a passing reason, or ``--max_articles`` left it out) is
recorded without validators, so the next run fetches it whole.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable, Optional

from newsbeam.transforms.common.redact import redact_url

#: An input reference of a record a list gave: ``<list>#item=N`` (feeds), ``<list>#url=N``
#: (sitemaps), ``<list>:N`` (URL lists).
ITEM_REF = re.compile(r"^(?P<source>.+?)(?:#item=\d+|#url=\d+|:\d+)$")


@dataclass(frozen=True)
class FeedAnswer:
    """What one HTTP source answered this run: its status and validators, and how many
    records it gave. ReadInputs emits one beside the records; the run writes it to ``feeds``."""

    location: str
    status: int
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    items: int = 0


def feed_key(location: str) -> str:
    """How a source is looked up in ``feeds``: its URL as the table stores it (redacted)."""
    return redact_url(location)


def latest_validators(rows: Iterable[dict]) -> tuple:
    """Of one feed's ``feeds`` rows, the validators of the newest: (etag, last_modified)."""
    newest = max(rows, key=lambda row: (row["fetched_at"], row["run_id"]))
    return newest["etag"], newest["last_modified"]


def source_of(input_ref: str) -> Optional[str]:
    """The list an input record came from, from its reference; None for anything else."""
    found = ITEM_REF.match(input_ref or "")
    return found.group("source") if found else None


def feed_row(answer: FeedAnswer, must_reread: bool, fetched_at: dt.datetime) -> dict:
    """The ``feeds`` row of one answer; without validators when its items must be read again."""
    return {
        "feed_url": answer.location,
        "status": answer.status,
        "etag": None if must_reread else answer.etag,
        "last_modified": None if must_reread else answer.last_modified,
        "items": answer.items,
        "fetched_at": fetched_at,
    }
