"""Filters on input records: --domain lists and --max_articles, before anything is fetched;
every drop an errors row. And the {date} placeholders a scheduled run fills in its SPECs."""

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read.filters import DomainFilters, FilterRecords, LimitRecords, domain_refusal
from newsbeam.transforms.read.specs import dated_inputs

FILTERS = DomainFilters.from_options(["example.org", "-ads.example.org"])


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


def test_no_domain_lists_keep_everything():
    assert not DomainFilters().active and not DomainFilters.from_options([]).active
    assert domain_refusal("https://anywhere.example/a", DomainFilters()) is None


def test_filter_records_routes_drops_to_errors():
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


def test_limit_records_keeps_the_first_by_reference_whatever_the_order():
    records = [InputRecord(f"feed#{n}", "rss", f"https://example.org/{n}") for n in (5, 1, 3, 2, 4)]
    with TestPipeline() as p:
        kept, dropped = p | beam.Create(records) | LimitRecords(2)
        assert_that(kept | beam.Map(lambda r: r.input_ref), equal_to(["feed#1", "feed#2"]), label="kept")
        assert_that(
            dropped | beam.Map(lambda e: (e["input_ref"], e["stage"], e["kind"])),
            equal_to([(f"feed#{n}", "filter", "over_max_articles") for n in (3, 4, 5)]),
            label="dropped",
        )


def test_date_placeholders_are_filled_from_the_run_date():
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
