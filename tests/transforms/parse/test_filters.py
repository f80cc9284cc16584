"""Filters on parsed articles: --since/--until and --language; every drop an errors row."""

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.parse.filters import ArticleFilters, FilterArticles, article_refusal

FILTERS = ArticleFilters.from_options("2026-11-21", "2026-11-22", ["en"])


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
    assert not ArticleFilters().active
    assert article_refusal(_article(None, language=None), ArticleFilters()) is None


def test_filter_articles_routes_drops_to_errors():
    with TestPipeline() as p:
        articles, dropped = p | beam.Create([_article(21), _article(23)]) | FilterArticles(FILTERS)
        assert_that(articles | beam.Map(lambda a: a["input_ref"]), equal_to(["r21"]), label="articles")
        assert_that(
            dropped | beam.Map(lambda e: (e["input_ref"], e["stage"], e["kind"])),
            equal_to([("r23", "filter", "after_until")]),
            label="dropped",
        )
