"""Read input SPECs (paths, globs, URLs) into input records: one per story an input offers.

A SPEC is ``[kind:]location`` (:mod:`.specs`). One input record is one RSS/Atom feed item
(:mod:`.feeds`), JSON Feed item (:mod:`.jsonfeed`), sitemap or URL-list entry (:mod:`.lists`), WARC
response (:mod:`.warc`), HTML file, JSONL line or text file (:mod:`.dumps`); an input that cannot
be read at all is one ``errors`` row, naming the list that listed it if one did, so every record
is accounted for. :class:`ReadInputs` is the stage; :mod:`.filters` holds the filters
applied to its records before anything is fetched.
"""

from __future__ import annotations

import dataclasses
import io
import posixpath
import urllib.parse
from typing import Iterator, Optional, Union

import apache_beam as beam

from newsbeam.transforms.common.errors import (
    ERRORS,
    OPTION_KINDS,
    InputError,
    apply_with_errors,
    failed,
    is_transient,
)
from newsbeam.transforms.common.fetching import FetchedBody, FetchPolicy, conditional_headers, fetch, is_http
from newsbeam.transforms.common.records import InputRecord, Source
from newsbeam.transforms.common.timing import timed_iter
from newsbeam.transforms.read.dumps import record_from_html, record_from_text, records_from_jsonl
from newsbeam.transforms.read.feeds import records_from_feed
from newsbeam.transforms.read.files import gunzipped, is_archive, open_raw, stream_lines
from newsbeam.transforms.read.jsonfeed import records_from_jsonfeed
from newsbeam.transforms.read.lists import (
    items_from_sitemap,
    records_from_url_list,
    sitemaps_from_robots,
    sources_from_opml,
)
from newsbeam.transforms.read.polling import FeedAnswer, feed_key, feed_row, latest_validators, source_of
from newsbeam.transforms.read.specs import (
    MAX_NESTING,
    expand_source,
    kind_from_name,
    nesting_levels,
    parse_spec,
    sniff_kind,
    to_uri,
)
from newsbeam.transforms.read.warc import records_from_warc

__all__ = ["ReadInputs", "RememberFeeds"]


def records_from(body: FetchedBody, kind: Optional[str], source: Optional[Source] = None) -> Iterator:
    """Every record (or nested source) one input holds, by its kind (stated, from the name, or
    sniffed)."""
    source = source or Source(body.location, kind)
    kind = kind or kind_from_name(body.location) or sniff_kind(body.data)
    if kind == "sitemap" and posixpath.basename(urllib.parse.urlsplit(body.location).path) == "robots.txt":
        yield from sitemaps_from_robots(body.data, source)
    elif kind == "sitemap":
        yield from items_from_sitemap(body.data, source)
    elif kind == "opml":
        yield from sources_from_opml(body.data, source)
    elif kind == "urls":
        yield from records_from_url_list(body.data, body.location)
    elif kind == "warc":
        # fetched over HTTP: its bytes are here, not in a file FetchPages could read again
        yield from records_from_warc(io.BytesIO(body.data), body.location, len(body.data) + 1, inline=True)
    elif kind == "rss":
        yield from records_from_feed(body.data, body.location)
    elif kind == "jsonfeed":
        yield from records_from_jsonfeed(body.data, body.location)
    elif kind == "jsonl":
        yield from records_from_jsonl(body.data.splitlines(), body.location)
    elif kind == "html":
        yield record_from_html(body)
    else:
        yield record_from_text(body)


class ExpandSpecFn(beam.DoFn):
    """A SPEC → the sources it matches; a SPEC that matches nothing is an errors row."""

    def process(self, spec: str):
        source = parse_spec(spec)
        try:
            sources = expand_source(source)
        except Exception as exc:  # FileSystems raises BeamIOError and friends for bad patterns
            yield failed("read", InputError("io_error", f"cannot list {spec}: {exc}"), spec)
            return
        if not sources:
            yield failed("read", InputError("not_found", f"{spec} matches no files"), spec)
        yield from sources


class ReadSourceFn(beam.DoFn):
    """A source → its input records; an unreadable source, or one with no records in it, is one
    errors row, so every input ends in some table. A source fetched over HTTP also gives a
    :class:`FeedAnswer`; with ``validators`` ({feed URL: (etag, last_modified)} from earlier
    runs) its fetch is conditional, and a 304 gives only that answer. A source nested deeper
    than ``max_depth`` (no level is left to read it) is a ``too_deep`` errors row."""

    def __init__(self, policy: FetchPolicy, max_depth: int = MAX_NESTING):
        self._policy = policy
        self._max_depth = max_depth

    def process(self, source: Source, validators=None):
        counter = beam.metrics.Metrics.counter("newsbeam", "inputs_read")
        found = 0
        answer: list = []  # the HTTP answer _records met, if it fetched one
        try:
            for item in timed_iter("read", self._records(source, (validators or {}), answer)):
                found += 1
                if isinstance(item, Source):  # a list of lists: read at the next level
                    if item.depth > self._max_depth:
                        counter.inc()
                        deep = InputError(
                            "too_deep", f"{item.location} is nested more than {self._max_depth} lists deep"
                        )
                        yield failed("read", listed_in(deep, item), item.location)
                    else:
                        yield item
                    continue
                counter.inc()
                if isinstance(item, dict):
                    yield beam.pvalue.TaggedOutput(ERRORS, item)
                else:
                    yield item
            if answer and answer[0].not_modified:  # unchanged since the last run: nothing new in it
                beam.metrics.Metrics.counter("newsbeam", "feeds_not_modified").inc()
                yield answer_of(answer[0], 0)
                return
            if not found:  # a feed with no items, a URL list with no URLs, an empty dump or WARC
                raise InputError("empty", f"{source.location} holds no records")
            if answer:
                yield answer_of(answer[0], found)
        except InputError as exc:
            counter.inc()
            yield failed(
                "read",
                listed_in(exc, source),
                source.location,
                url=source.location if is_http(source.location) else None,
            )

    def _records(self, source: Source, validators: dict, answer: list) -> Iterator[Union[InputRecord, dict]]:
        kind = source.kind or kind_from_name(source.location)
        if not is_http(source.location) and kind is None and is_archive(source.location):
            kind = "warc"  # a WARC or ARC without its extension: streamed all the same
        if not is_http(source.location) and kind == "jsonl":
            # Dumps can be far larger than memory: read them line by line.
            lines = stream_lines(source.location, self._policy.max_bytes)
            yield from records_from_jsonl(lines, source.location, self._policy.max_bytes)
            return
        if not is_http(source.location) and kind == "warc":
            # A day of CC-NEWS is gigabytes: scanned record by record, its pages read by FetchPages.
            with open_raw(source.location) as stream:
                yield from records_from_warc(stream, source.location, self._policy.max_bytes)
            return
        if not is_http(source.location) and kind == "html":
            # One page: FetchPages reads it after the records are spread over the workers, so its
            # bytes never sit in a shuffled collection (the runner holds those in memory).
            yield InputRecord(input_ref=source.location, input_kind="html", url=to_uri(source.location))
            return
        location = source.location
        if (
            source.kind == "sitemap"
            and is_http(location)
            and urllib.parse.urlsplit(location).path in ("", "/")
        ):
            location = urllib.parse.urljoin(
                location, "/robots.txt"
            )  # a site root: its robots.txt lists the sitemaps
        headers = conditional_headers(*validators.get(feed_key(location), (None, None)))
        body = fetch(location, self._policy, headers=headers)
        if body.status is not None:  # keyed by the URL asked for, which the next run asks for again
            answer.append(dataclasses.replace(body, location=location, data=b""))
        if body.not_modified:
            return
        body = gunzipped(body, self._policy.max_bytes)
        yield from records_from(body, source.kind, dataclasses.replace(source, location=location))


def listed_in(exc: InputError, source: Source) -> InputError:
    """The failure of a source a list named (an OPML's feed, a sitemap index's sitemap), its
    message naming that list; the errors row's input_ref stays the source's own location, which
    polling and RememberFeeds key on."""
    if not source.parent:
        return exc
    return InputError(exc.kind, f"{exc.message} (listed in {source.parent})")


def answer_of(body: FetchedBody, items: int) -> FeedAnswer:
    return FeedAnswer(body.location, body.status, body.etag, body.last_modified, items)


class ReadInputs(beam.PTransform):
    """SPECs → (input records, errors rows, feed answers); each input record is in exactly one
    of the first two. ``prior_feeds`` (``feeds`` rows of earlier runs, or None) makes every
    fetch of a feed, sitemap or list over HTTP a conditional GET (:mod:`.polling`)."""

    def __init__(self, specs: list[str], policy: FetchPolicy, error_threshold: float = 1.0, prior_feeds=None):
        super().__init__()
        self._specs = list(specs)
        self._policy = policy
        self._threshold = error_threshold
        self._prior_feeds = prior_feeds

    def expand(self, pbegin):
        expanded = (
            pbegin
            | "Specs" >> beam.Create(self._specs)
            | "ExpandSpecs" >> beam.ParDo(ExpandSpecFn()).with_outputs(ERRORS, main="sources")
        )
        sources, records, errors, answers = expanded.sources, [], [expanded[ERRORS]], []
        validators = {}
        if self._prior_feeds is not None:
            latest = (
                self._prior_feeds
                | "FeedByUrl" >> beam.Map(lambda row: (row["feed_url"], row))
                | "GroupByFeed" >> beam.GroupByKey()
                | "LatestValidators" >> beam.MapTuple(lambda url, rows: (url, latest_validators(rows)))
            )
            validators = {"validators": beam.pvalue.AsDict(latest)}
        # Lists of lists (OPML → feeds, sitemap index → sitemaps) are read level by level: a Beam
        # graph is fixed, so the levels are unrolled up to MAX_NESTING, when some SPEC may be a
        # list (each level costs the graph 24 transforms, and the run their stages).
        levels = nesting_levels(self._specs)
        for level in range(levels):
            found, level_errors = apply_with_errors(
                sources | f"SpreadSources{level}" >> beam.Reshuffle(),
                f"ReadSources{level}",
                ReadSourceFn(self._policy, max_depth=levels - 1),
                "read",
                lambda s: (s.location, None, None),
                self._threshold,
                partial=True,  # a dump's records stream out as read; buffering them could exhaust memory
                side_inputs=validators,
            )
            level_records, sources, level_answers = found | f"SplitNested{level}" >> beam.Partition(
                lambda item, _: 1 if isinstance(item, Source) else 2 if isinstance(item, FeedAnswer) else 0, 3
            )
            records.append(level_records)
            errors.append(level_errors)
            answers.append(level_answers)
        return (
            records | "AllRecords" >> beam.Flatten(),
            errors | "ReadErrors" >> beam.Flatten(),
            answers | "AllAnswers" >> beam.Flatten(),
        )


class RememberFeeds(beam.PTransform):
    """(feed answers, errors rows) of this run → its ``feeds`` rows, stamped with ``fetched_at``.

    A feed keeps its validators only when none of its items must be read again: one that failed
    for a passing reason (:func:`is_transient`) or that ``--max_articles`` left out is read again
    only if the next run fetches the feed whole rather than hearing 304.
    """

    def __init__(self, fetched_at):
        super().__init__()
        self._fetched_at = fetched_at

    def expand(self, answers_and_errors):
        answers, errors = answers_and_errors
        reread = (
            errors
            | "PassingFailures"
            >> beam.Filter(lambda row: is_transient(row["kind"]) or row["kind"] in OPTION_KINDS)
            | "FailedSources"
            >> beam.FlatMap(lambda row: [(s, True) for s in [source_of(row["input_ref"])] if s])
        )
        return (
            {"answer": answers | "AnswerByUrl" >> beam.Map(lambda a: (a.location, a)), "reread": reread}
            | "JoinFailures" >> beam.CoGroupByKey()
            | "FeedRows" >> beam.FlatMap(_feed_rows, self._fetched_at)
        )


def _feed_rows(joined, fetched_at):
    _, found = joined
    must_reread = bool(list(found["reread"]))
    return [feed_row(answer, must_reread, fetched_at) for answer in found["answer"]]
