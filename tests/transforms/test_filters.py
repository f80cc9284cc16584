"""Filters: domains before fetching, dates and languages after parsing, every drop an errors row."""

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.filters import (
    FilterArticles,
    FilterRecords,
    Filters,
    article_refusal,
    domain_refusal,
)
from newsbeam.transforms.read import InputRecord

FILTERS = Filters.from_options("2026-11-21", "2026-11-22", ["example.org", "-ads.example.org"], ["en"])


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://example.org/a", None),
        ("https://news.example.org/a", None),
        ("https://ads.example.org/a", "domain_denied"),
        ("https://x.ads.example.org/a", "domain_denied"),
        ("https://notexample.org/a", "domain_not_allowed"),
        ("https://wire.example.com/a", "domain_not_allowed"),
    ],
)
def test_domain_lists(url, kind):
    refusal = domain_refusal(url, FILTERS)
    assert (refusal[0] if refusal else None) == kind


def _article(day, language="en", captured=None):
    published = dt.datetime(2026, 11, day, 23, 30, tzinfo=dt.timezone.utc) if day else None
    return {
        "published_at": published,
        "captured_at": captured,
        "language": language,
        "input_ref": f"r{day}",
        "url": "u",
    }


@pytest.mark.parametrize(
    "article, kind",
    [
        (_article(20), "before_since"),
        (_article(21), None),
        (_article(22), None),
        (_article(23), "after_until"),
        (_article(None), "no_date"),
        (
            _article(None, captured=dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)),
            None,
        ),  # capture date stands in
        (_article(21, language="de"), "language"),
        (_article(21, language=None), "language"),
    ],
)
def test_article_filters(article, kind):
    refusal = article_refusal(article, FILTERS)
    assert (refusal[0] if refusal else None) == kind


def test_no_filters_keep_everything():
    assert not Filters().by_domain and not Filters().by_article
    assert article_refusal(_article(None, language=None), Filters()) is None


def test_filter_transforms_route_drops_to_errors():
    records = [
        InputRecord("f#0", "rss", "https://news.example.org/a"),
        InputRecord("f#1", "rss", "https://ads.example.org/b"),
    ]
    with TestPipeline() as p:
        kept, errors = p | "Records" >> beam.Create(records) | FilterRecords(FILTERS)
        assert_that(kept | beam.Map(lambda r: r.input_ref), equal_to(["f#0"]), label="kept")
        assert_that(
            errors | beam.Map(lambda e: (e["input_ref"], e["stage"], e["kind"])),
            equal_to([("f#1", "filter", "domain_denied")]),
            label="errors",
        )
        articles, dropped = (
            p | "Articles" >> beam.Create([_article(21), _article(23)]) | FilterArticles(FILTERS)
        )
        assert_that(articles | beam.Map(lambda a: a["input_ref"]), equal_to(["r21"]), label="articles")
        assert_that(dropped | beam.Map(lambda e: e["kind"]), equal_to(["after_until"]), label="dropped")


def test_limit_records_keeps_the_first_by_reference_whatever_the_order():
    from newsbeam.transforms.filters import LimitRecords

    records = [InputRecord(f"feed#{n}", "rss", f"https://example.org/{n}") for n in (5, 1, 3, 2, 4)]
    with TestPipeline() as p:
        kept, dropped = p | beam.Create(records) | LimitRecords(2)
        assert_that(kept | beam.Map(lambda r: r.input_ref), equal_to(["feed#1", "feed#2"]), label="kept")
        assert_that(
            dropped | beam.Map(lambda e: (e["input_ref"], e["stage"], e["kind"])),
            equal_to([(f"feed#{n}", "filter", "over_max_articles") for n in (3, 4, 5)]),
            label="dropped",
        )


# ---------------------------------------------------------------- run windows


@pytest.mark.parametrize(
    "run_date, since, until, window",
    [
        ("2026-11-20", None, None, ("2026-11-20", "2026-11-20")),
        ("yesterday", None, None, ("2026-12-02", "2026-12-02")),
        ("Today", None, None, ("2026-12-03", "2026-12-03")),
        (None, "2026-11-01", None, ("2026-11-01", None)),
        (None, None, "2026-11-30", (None, "2026-11-30")),
        (None, None, None, (None, None)),
    ],
)
def test_run_window(run_date, since, until, window):
    from newsbeam.transforms.filters import run_window

    expected = tuple(dt.date.fromisoformat(d) if d else None for d in window)
    assert run_window(run_date, since, until, dt.date(2026, 12, 3)) == expected


@pytest.mark.parametrize(
    "run_date, since, until, message",
    [
        ("2026-11-20", "2026-11-01", None, "not both"),
        ("last week", None, None, "Invalid isoformat"),
        (None, "2026-11-20", "2026-11-19", "after --until"),
    ],
)
def test_a_bad_window_is_refused(run_date, since, until, message):
    from newsbeam.transforms.filters import run_window

    with pytest.raises(ValueError, match=message):
        run_window(run_date, since, until, dt.date(2026, 12, 3))


def test_date_placeholders_are_filled_from_the_run_date():
    from newsbeam.transforms.filters import dated_inputs

    specs = [
        "warc:s3://b/CC-NEWS/{yyyy}/{mm}/CC-NEWS-{yyyymmdd}*.warc.gz",
        "jsonl:/d/{date}/{dd}.jsonl",
        "/x/{other}",
    ]
    assert dated_inputs(specs, dt.date(2026, 3, 7)) == [
        "warc:s3://b/CC-NEWS/2026/03/CC-NEWS-20260307*.warc.gz",
        "jsonl:/d/2026-03-07/07.jsonl",
        "/x/{other}",
    ]
    assert dated_inputs(specs[2:], None) == ["/x/{other}"]
    with pytest.raises(ValueError, match="no --run_date"):
        dated_inputs(specs, None)
