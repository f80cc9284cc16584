"""Dates as inputs give them (feeds, sitemaps, dumps, WARC headers): as aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
from typing import Optional


def to_utc(value) -> Optional[dt.datetime]:
    """A datetime as aware UTC (naive ones are taken as UTC); anything else is None."""
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def parse_date(value) -> Optional[dt.datetime]:
    """An ISO 8601 / RFC 822 date string as an aware UTC datetime, or None."""
    if not value or not isinstance(value, str):
        return None
    from dateutil import parser as dateparser

    try:
        return to_utc(dateparser.parse(value))
    except (ValueError, OverflowError):
        return None
