"""Parse pages into articles: each field from the best evidence on the page (its structured data,
newspaper4k and trafilatura), and plain-text stories into the same shape.

:class:`ParseArticles` is the stage; :mod:`.article` turns one record into an ``articles`` row,
with :mod:`.extractors` (newspaper4k, trafilatura), :mod:`.structured` (JSON-LD and meta tags),
:mod:`.fields` (the choice rules per field), :mod:`.body` (body cleaning), :mod:`.language` and
:mod:`.tone`. :mod:`.filters` holds the filters applied to the articles it makes.
"""

from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.common.errors import InputError, apply_with_errors, failed
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.common.timing import TimeBudgetExceeded, deadline, timed
from newsbeam.transforms.parse.article import (
    DEFAULT_TIME_BUDGET,
    article_from_record,
    carries_story,
    quiet_parser_warnings,
)

__all__ = ["ParseArticles"]


class ParseArticleFn(beam.DoFn):
    """A record with its page → an article row, or an errors row saying why not. A record that
    takes more than ``time_budget`` seconds is stopped and is a ``time_budget`` error. A record
    whose page could not be fetched is read from its feed's copy of the story, or is the fetch's
    errors row when that copy is too short."""

    def __init__(self, time_budget: float = DEFAULT_TIME_BUDGET):
        super().__init__()
        self._time_budget = time_budget

    def setup(self):
        quiet_parser_warnings()

    def process(self, record: InputRecord):
        if record.fetch_error is not None:  # the page could not be fetched; its feed carried a copy
            kind, message = record.fetch_error
            if not carries_story(record):
                yield failed("fetch", InputError(kind, message), record.input_ref, url=record.url)
                return
            beam.metrics.Metrics.counter("newsbeam", f"read_from_feed_after_{kind}").inc()
        try:
            with timed("parse"), deadline(self._time_budget):
                article = article_from_record(record)
        except InputError as exc:
            yield failed("parse", exc, record.input_ref, url=record.url)
            return
        except TimeBudgetExceeded:
            message = f"parsing took over {self._time_budget:g} s and was stopped"
            yield failed("parse", InputError("time_budget", message), record.input_ref, url=record.url)
            return
        beam.metrics.Metrics.counter("newsbeam", "articles_parsed").inc()
        yield article


class ParseArticles(beam.PTransform):
    """Records → article rows (ids not yet set), plus an errors PCollection."""

    def __init__(self, error_threshold: float = 1.0, time_budget: float = DEFAULT_TIME_BUDGET):
        super().__init__()
        self._threshold = error_threshold
        self._time_budget = time_budget

    def expand(self, records):
        return apply_with_errors(
            records,
            "Parse",
            ParseArticleFn(self._time_budget),
            "parse",
            lambda r: (r.input_ref, r.url, None),
            self._threshold,
        )
