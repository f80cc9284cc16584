"""Filters on parsed articles: ``--since``/``--until`` (by publication date, else capture date)
and ``--language``. A dropped article is an ``errors`` row with stage ``filter``, so the
accounting holds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from newsbeam.transforms.common.errors import Refuse, RefuseFn


@dataclass(frozen=True)
class ArticleFilters:
    """Which articles a run keeps by date and language. Empty means no filter of that kind."""

    since: Optional[dt.date] = None  # first UTC day kept, by publication date (else capture date)
    until: Optional[dt.date] = None  # last UTC day kept
    languages: tuple = ()  # ISO 639-1 codes; an article of unknown language is dropped too

    @classmethod
    def from_options(cls, since=None, until=None, languages=None) -> "ArticleFilters":
        """From command-line values: days as YYYY-MM-DD, languages as ISO 639-1 codes."""
        return cls(
            since=dt.date.fromisoformat(since) if since else None,
            until=dt.date.fromisoformat(until) if until else None,
            languages=tuple(code.strip().lower() for code in languages or [] if code and code.strip()),
        )

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.languages)


def article_refusal(article: dict, filters: ArticleFilters) -> Optional[tuple[str, str]]:
    """(kind, message) when the article is outside the date range or the languages asked for."""
    if filters.since or filters.until:
        when = article["published_at"] or article.get("captured_at")
        if when is None:
            return "no_date", "the story has no publication or capture date, and --since/--until is set"
        day = when.astimezone(dt.timezone.utc).date()
        if filters.since and day < filters.since:
            return "before_since", f"published {day}, before --since {filters.since}"
        if filters.until and day > filters.until:
            return "after_until", f"published {day}, after --until {filters.until}"
    if filters.languages and article["language"] not in filters.languages:
        return (
            "language",
            f"language {article['language'] or 'unknown'} is not in --language {','.join(filters.languages)}",
        )
    return None


def _article_ref(article: dict) -> tuple[str, str]:
    return article["input_ref"], article["url"]


class FilterArticles(Refuse):
    """Articles → (articles kept, errors rows for those outside the date range or languages)."""

    def __init__(self, filters: ArticleFilters):
        super().__init__("ByDateAndLanguage", RefuseFn(article_refusal, filters, _article_ref))
