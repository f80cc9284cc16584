"""Filters on input records, before anything is fetched: ``--domain`` allow and deny lists, and
``--max_articles``. A record a filter drops is an ``errors`` row with stage ``filter`` and a kind
saying which filter, so the accounting (inputs = articles + duplicates + errors) holds."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Optional

import apache_beam as beam

from newsbeam.transforms.common.errors import ERRORS, Refuse, RefuseFn, error_row


@dataclass(frozen=True)
class DomainFilters:
    """Which hosts a run may fetch from (``--domain``). Empty lists filter nothing."""

    allow_domains: tuple = ()  # a host must be one of these or under one of them
    deny_domains: tuple = ()  # a host under one of these is dropped, whatever the allow list says

    @classmethod
    def from_options(cls, domains=None) -> "DomainFilters":
        """From ``--domain`` values: a leading '-' denies the domain instead of allowing it."""
        domains = [d.strip().lower().lstrip(".") for d in domains or [] if d and d.strip()]
        return cls(
            allow_domains=tuple(d for d in domains if not d.startswith("-")),
            deny_domains=tuple(d[1:].lstrip(".") for d in domains if d.startswith("-")),
        )

    @property
    def active(self) -> bool:
        return bool(self.allow_domains or self.deny_domains)


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def domain_refusal(url: str, filters: DomainFilters) -> Optional[tuple[str, str]]:
    """(kind, message) when the URL's host is outside the allow list or inside the deny list."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
    if any(_under(host, d) for d in filters.deny_domains):
        return "domain_denied", f"{host or url} is on the --domain deny list"
    if filters.allow_domains and not any(_under(host, d) for d in filters.allow_domains):
        return "domain_not_allowed", f"{host or url} is not on the --domain allow list"
    return None


def record_refusal(record, filters: DomainFilters) -> Optional[tuple[str, str]]:
    return domain_refusal(record.url, filters)


def _record_ref(record) -> tuple[str, str]:
    return record.input_ref, record.url


class FilterRecords(Refuse):
    """Input records → (records kept, errors rows for those outside the domain lists)."""

    def __init__(self, filters: DomainFilters):
        super().__init__("ByDomain", RefuseFn(record_refusal, filters, _record_ref))


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
