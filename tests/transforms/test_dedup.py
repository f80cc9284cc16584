"""URL canonicalisation, ids, the survivor rule, and Deduplicate on Beam."""

import datetime as dt
import itertools

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.dedup import Deduplicate, article_id, choose_canonical, normalise_url, survivor_order


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTP://Example.COM:80/a/b?z=1&a=2#frag", "http://example.com/a/b?a=2&z=1"),
        ("https://www.x.org:443/s?utm_source=rss&utm_medium=feed&id=7", "https://www.x.org/s?id=7"),
        ("https://x.org/s?fbclid=abc&gclid=1&mc_cid=2&ref=home&page=2", "https://x.org/s?page=2"),
        ("https://user:secret@x.org:8443/s", "https://x.org:8443/s"),
        ("https://x.org", "https://x.org/"),
        ("https://x.org/caf%c3%a9/a b", "https://x.org/caf%C3%A9/a%20b"),
        ("file:///srv/pages/a.html?utm_source=rss", "file:///srv/pages/a.html"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    "url, page_canonical, expected",
    [
        ("https://www.x.org/a?utm_source=rss", "https://x.org/story-a", "https://x.org/story-a"),
        ("https://x.org/a", "/story-a", "https://x.org/story-a"),
        ("https://x.org/a", "https://other.org/story-a", "https://x.org/a"),  # another site: ignored
        ("file:///srv/a.html", "https://x.org/story-a", "https://x.org/story-a"),  # a saved page: trusted
        ("https://x.org/a", None, "https://x.org/a"),
        ("https://x.org/a", "javascript:void(0)", "https://x.org/a"),
    ],
)
def test_choose_canonical(url, page_canonical, expected):
    assert choose_canonical(url, page_canonical) == expected


def test_article_id_is_deterministic_and_differs_by_url():
    assert article_id("https://x.org/a") == article_id("https://x.org/a")
    assert article_id("https://x.org/a") != article_id("https://x.org/b")
    assert len(article_id("https://x.org/a")) == 32


def _article(url, input_ref, published=None, text="body", canonical=None):
    return {
        "url": url,
        "canonical_url": canonical,
        "input_ref": input_ref,
        "text": text,
        "published_at": published,
        "article_id": None,
        "source_domain": None,
    }


T1 = dt.datetime(2015, 11, 17, 9, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2015, 11, 17, 10, tzinfo=dt.timezone.utc)


def test_survivor_is_earliest_then_longest_then_smallest_ref():
    copies = [
        _article("u", "c", None, "a much longer body"),
        _article("u", "b", T2, "long body"),
        _article("u", "a", T2, "body"),
        _article("u", "d", T1, "x"),
    ]
    assert [a["input_ref"] for a in sorted(copies, key=survivor_order)] == ["d", "b", "a", "c"]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_deduplicate_keeps_one_per_url_whatever_the_order(order):
    copies = [
        _article("https://x.org/s?utm_source=rss", "world.rss#item=3", T2),
        _article("https://x.org/s?fbclid=1", "business.atom#item=2", T1),
        _article("https://www.x.org/other", "dump:1", T1, canonical="https://x.org/s"),
    ]
    other = _article("https://x.org/t", "dump:2", None)
    kept_id = article_id("https://x.org/s")
    with TestPipeline() as p:
        kept, dups = p | beam.Create([copies[i] for i in order] + [other]) | Deduplicate()
        assert_that(
            kept | beam.Map(lambda a: (a["input_ref"], a["article_id"], a["canonical_url"])),
            equal_to(
                [
                    ("business.atom#item=2", kept_id, "https://x.org/s"),
                    ("dump:2", article_id("https://x.org/t"), "https://x.org/t"),
                ]
            ),
            label="kept",
        )
        assert_that(
            dups
            | beam.Map(lambda d: (d["input_ref"], d["url"], d["duplicate_of"], d["reason"], d["similarity"])),
            equal_to(
                [
                    ("dump:1", "https://www.x.org/other", kept_id, "url", 1.0),
                    ("world.rss#item=3", "https://x.org/s?utm_source=rss", kept_id, "url", 1.0),
                ]
            ),
            label="dups",
        )
