"""Fetch what feed items, sitemaps and URL lists link to: http(s) pages, politely across the
whole job (:mod:`.politeness`: host lanes and robots.txt), or files. The client itself, with its
timeouts, caps and address checks, is :mod:`newsbeam.transforms.common.fetching`, which
ReadInputs uses for feeds too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import traceback
import urllib.parse
import urllib.request
from typing import Callable

import apache_beam as beam

from newsbeam.transforms.common.archives import page_from_archive
from newsbeam.transforms.common.errors import (
    ERRORS,
    InputError,
    apply_with_errors,
    failed,
    unexpected_error_row,
)
from newsbeam.transforms.common.fetching import (
    FetchPolicy,
    fetch_http,
    guarded_session,
    is_http,
    page_html,
    read_file,
)
from newsbeam.transforms.common.timing import timed
from newsbeam.transforms.fetch.politeness import lane_of, robots_rules

__all__ = ["FetchPages"]


class FetchLaneFn(beam.DoFn):
    """The pages of one lane one after another: ``(lane, records)`` → records with their pages.

    A web lane is one GroupByKey group, which one worker thread processes at a time; a host has
    at most ``policy.host_concurrency`` lanes, so that is how many requests it gets at once across
    every worker of the job. Within a lane requests are ``host_concurrency × min_host_interval``
    apart, so the host sees at most one request per ``min_host_interval`` on average. Other lanes
    hold records whose page is a file (local, ``gs://``, ``s3://``; read here) or came with the
    record (a feed's or dump's; passed through).
    """

    def __init__(self, policy: FetchPolicy, sleep: Callable[[float], None] = time.sleep):
        self._policy = policy
        self._sleep = sleep

    def setup(self):
        # A session per worker reuses connections; sessions are not picklable, hence here. The
        # robots.txt rules are cached per worker: each worker fetches a host's robots.txt once.
        self._session = guarded_session(self._policy)
        self._robots: dict = {}

    def teardown(self):
        self._session.close()

    def _allowed(self, url: str) -> None:
        """Raise when the host's robots.txt disallows the URL for our user agent."""
        parts = urllib.parse.urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self._robots:
            self._robots[host] = robots_rules(host, self._policy, self._session)
        rules = self._robots[host]
        if rules is not None and not rules.can_fetch(self._policy.user_agent, url):
            raise InputError("robots_disallowed", f"{host}/robots.txt disallows {url} for our user agent")

    def process(self, lane):
        _, records = lane
        spacing = self._policy.min_host_interval * self._policy.host_concurrency
        last = None
        for record in records:
            if record.html is not None or record.text is not None:
                yield record
                continue
            web = record.archive is None and is_http(record.url)
            try:
                if web and last is not None and spacing > 0:  # waiting for our turn is not fetch time
                    self._sleep(max(0.0, last + spacing - time.monotonic()))
                last = time.monotonic()
                with timed("fetch"):
                    if web and self._policy.obey_robots:
                        self._allowed(record.url)
                    if record.archive is not None:  # a WARC record: its page read at its offset
                        body = page_from_archive(*record.archive, self._policy.max_bytes)
                    elif web:
                        body = fetch_http(record.url, self._policy, self._session)
                    else:
                        body = read_file(record.url, self._policy.max_bytes)
                    html = page_html(body)
            except InputError as exc:
                yield without_page(record, exc)
                continue
            except Exception as exc:  # a bug costs this record, not the rest of its lane
                trace = traceback.format_tb(exc.__traceback__)
                row = unexpected_error_row("fetch", record, (type(exc), repr(exc), trace), describe_record)
                yield beam.pvalue.TaggedOutput(ERRORS, row)
                continue
            beam.metrics.Metrics.counter("newsbeam", "pages_fetched" if web else "pages_read").inc()
            if record.archive is not None:  # captured when it was archived
                yield dataclasses.replace(record, html=html, archive=None)
                continue
            yield dataclasses.replace(record, html=html, captured_at=dt.datetime.now(dt.timezone.utc))


def without_page(record, exc: InputError):
    """A page that could not be fetched: the record goes on without it when its feed carried the
    story (ParseArticles then reads the feed's copy, or reports this error if that copy is too
    short to be the story), else an errors row."""
    if record.feed_html:
        return dataclasses.replace(record, fetch_error=(exc.kind, exc.message))
    return failed("fetch", exc, record.input_ref, url=record.url)


def describe_record(record) -> tuple:
    return record.input_ref, record.url, None


class FetchPages(beam.PTransform):
    """Records → records that hold their page, plus an errors PCollection for pages not fetched.

    Every record goes through one GroupByKey by lane (see :func:`lane_of`): web pages by host
    lane, which caps how hard the whole job presses on one host (:class:`FetchLaneFn`), the rest
    over many lanes, which spreads them over the workers (one feed or dump yields all its records
    in one bundle, and Beam would otherwise fuse everything after it onto the worker that read
    it). One shuffle, and no Flatten after it, so parsing runs fused behind the fetch on every
    worker, and a page's bytes are never held between stages.
    """

    def __init__(self, policy: FetchPolicy, error_threshold: float = 1.0):
        super().__init__()
        self._policy = policy
        self._threshold = error_threshold

    def expand(self, records):
        lanes = (
            records
            | "KeyByLane" >> beam.Map(lambda r, n: (lane_of(r, n), r), self._policy.host_concurrency)
            | "GroupByLane" >> beam.GroupByKey()
        )
        return apply_with_errors(
            lanes, "Fetch", FetchLaneFn(self._policy), "fetch", describe_record, self._threshold,
            each=lambda lane: lane[1],
        )  # fmt: skip
