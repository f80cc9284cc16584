"""Filters a run can apply: by domain (before fetching), by date and language (after parsing).

A record a filter drops is not lost: it becomes an ``errors`` row with stage ``filter`` and a
kind saying which filter, so the accounting (inputs = articles + duplicates + errors) holds.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from dataclasses import dataclass
from typing import Optional

import apache_beam as beam

from newsbeam.transforms.errors import ERRORS, error_row


@dataclass(frozen=True)
class Filters:
    """What a run keeps. Empty means no filter of that kind."""

    since: Optional[dt.date] = None  # first UTC day kept, by publication date (else capture date)
    until: Optional[dt.date] = None  # last UTC day kept
    allow_domains: tuple = ()  # a host must be one of these or under one of them
    deny_domains: tuple = ()  # a host under one of these is dropped, whatever the allow list says
    languages: tuple = ()  # ISO 639-1 codes; an article of unknown language is dropped too

    @classmethod
    def from_options(cls, since=None, until=None, domains=None, languages=None) -> "Filters":
        """From command-line values: dates as YYYY-MM-DD, domains with a leading '-' to deny."""
        domains = [d.strip().lower().lstrip(".") for d in domains or [] if d and d.strip()]
        return cls(
            since=dt.date.fromisoformat(since) if since else None,
            until=dt.date.fromisoformat(until) if until else None,
            allow_domains=tuple(d for d in domains if not d.startswith("-")),
            deny_domains=tuple(d[1:].lstrip(".") for d in domains if d.startswith("-")),
            languages=tuple(code.strip().lower() for code in languages or [] if code and code.strip()),
        )

    @property
    def by_domain(self) -> bool:
        return bool(self.allow_domains or self.deny_domains)

    @property
    def by_article(self) -> bool:
        return bool(self.since or self.until or self.languages)


#: Placeholders an input SPEC may hold, filled from the run's day (``--run_date``).
DATE_PLACEHOLDERS = {
    "date": "%Y-%m-%d",
    "yyyymmdd": "%Y%m%d",
    "yyyy": "%Y",
    "mm": "%m",
    "dd": "%d",
}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(DATE_PLACEHOLDERS) + r")\}")


def run_day(value: str, today: dt.date) -> dt.date:
    """``--run_date``: YYYY-MM-DD, ``today`` or ``yesterday`` (UTC days); ValueError otherwise."""
    named = {"today": today, "yesterday": today - dt.timedelta(days=1)}
    if value.strip().lower() in named:
        return named[value.strip().lower()]
    return dt.date.fromisoformat(value.strip())


def run_window(
    run_date: Optional[str], since: Optional[str], until: Optional[str], today: dt.date
) -> tuple[Optional[dt.date], Optional[dt.date]]:
    """The first and last UTC day a run keeps: ``--run_date``'s one day, else ``--since`` and
    ``--until`` (either may be open). ValueError for a bad date, or for ``--run_date`` together
    with ``--since``/``--until``, which would say two different things."""
    if run_date is not None:
        if since is not None or until is not None:
            raise ValueError("--run_date is one day's window: give it or --since/--until, not both")
        day = run_day(run_date, today)
        return day, day
    first = dt.date.fromisoformat(since) if since else None
    last = dt.date.fromisoformat(until) if until else None
    if first and last and first > last:
        raise ValueError(f"--since {first} is after --until {last}")
    return first, last


def has_date_placeholder(spec: str) -> bool:
    return bool(_PLACEHOLDER.search(spec))


def fill_date_placeholders(spec: str, day: dt.date) -> str:
    """``warc:s3://b/CC-NEWS/{yyyy}/{mm}/CC-NEWS-{yyyymmdd}*.warc.gz`` → that day's paths."""
    return _PLACEHOLDER.sub(lambda m: day.strftime(DATE_PLACEHOLDERS[m.group(1)]), spec)


def dated_inputs(specs: list[str], day: Optional[dt.date]) -> list[str]:
    """The input SPECs with their date placeholders filled from ``day`` (the ``--run_date``);
    ValueError when a SPEC holds one and there is no day to fill it with."""
    if day is None:
        for spec in specs:
            if has_date_placeholder(spec):
                names = ", ".join("{" + name + "}" for name in DATE_PLACEHOLDERS)
                raise ValueError(
                    f"--input {spec!r} holds a date placeholder ({names}) but no --run_date says which day"
                )
        return list(specs)
    return [fill_date_placeholders(spec, day) for spec in specs]


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def domain_refusal(url: str, filters: Filters) -> Optional[tuple[str, str]]:
    """(kind, message) when the URL's host is outside the allow list or inside the deny list."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
    if any(_under(host, d) for d in filters.deny_domains):
        return "domain_denied", f"{host or url} is on the --domain deny list"
    if filters.allow_domains and not any(_under(host, d) for d in filters.allow_domains):
        return "domain_not_allowed", f"{host or url} is not on the --domain allow list"
    return None


def article_refusal(article: dict, filters: Filters) -> Optional[tuple[str, str]]:
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


def record_refusal(record, filters: Filters) -> Optional[tuple[str, str]]:
    return domain_refusal(record.url, filters)


def _record_ref(record) -> tuple[str, str]:
    return record.input_ref, record.url


def _article_ref(article: dict) -> tuple[str, str]:
    return article["input_ref"], article["url"]


class RefuseFn(beam.DoFn):
    """Pass what ``refusal`` finds nothing against; turn the rest into filter errors rows."""

    def __init__(self, refusal, filters: Filters, reference):
        self._refusal = refusal  # module-level functions: picklable for any runner
        self._filters = filters
        self._reference = reference

    def process(self, item):
        refusal = self._refusal(item, self._filters)
        if refusal is None:
            yield item
            return
        input_ref, url = self._reference(item)
        yield beam.pvalue.TaggedOutput(ERRORS, error_row("filter", *refusal, input_ref, url=url))


class _Refuse(beam.PTransform):
    def __init__(self, label: str, fn: RefuseFn):
        super().__init__()
        self._label = label
        self._fn = fn

    def expand(self, items):
        results = items | self._label >> beam.ParDo(self._fn).with_outputs(ERRORS, main="kept")
        return results.kept, results[ERRORS]


class FilterRecords(_Refuse):
    """Input records → (records kept, errors rows for those outside the domain lists)."""

    def __init__(self, filters: Filters):
        super().__init__("ByDomain", RefuseFn(record_refusal, filters, _record_ref))


class FilterArticles(_Refuse):
    """Articles → (articles kept, errors rows for those outside the date range or languages)."""

    def __init__(self, filters: Filters):
        super().__init__("ByDateAndLanguage", RefuseFn(article_refusal, filters, _article_ref))


class KeepFirstFn(beam.DoFn):
    """Records whose input_ref is among the kept ones pass; the others are filter errors."""

    def __init__(self, limit: int):
        self._limit = limit

    def process(self, record, kept):
        if record.input_ref in kept:
            yield record
        else:
            message = f"beyond --max_articles {self._limit} (the first {self._limit} input records by reference are kept)"
            yield beam.pvalue.TaggedOutput(
                ERRORS, error_row("filter", "over_max_articles", message, record.input_ref, url=record.url)
            )


class LimitRecords(beam.PTransform):
    """Keep the first ``limit`` input records, ordered by input reference so every run and runner
    keeps the same ones; the rest become filter errors before anything is fetched."""

    def __init__(self, limit: int):
        super().__init__()
        self._limit = limit

    def expand(self, records):
        kept = (
            records
            | "Refs" >> beam.Map(lambda r: r.input_ref)
            | "FirstRefs" >> beam.combiners.Top.Smallest(self._limit)
            | "AsSet" >> beam.Map(set)
        )
        results = records | "KeepFirst" >> beam.ParDo(
            KeepFirstFn(self._limit), kept=beam.pvalue.AsSingleton(kept)
        ).with_outputs(ERRORS, main="kept")
        return results.kept, results[ERRORS]
