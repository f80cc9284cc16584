"""JSON Feed 1.0 and 1.1: items as records, told apart from JSON lines, read from files and over HTTP."""

import datetime as dt
import json

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import FetchedBody, FetchPolicy
from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.read import ReadInputs, records_from
from newsbeam.transforms.read.jsonfeed import records_from_jsonfeed
from newsbeam.transforms.read.specs import parse_spec, sniff_kind

FEED_11 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Paper",
    "home_page_url": "https://paper.example/",
    "language": "de-AT",
    "authors": [{"name": "Desk"}],
    "items": [
        {
            "id": "1",
            "url": "/2024/05/one",
            "title": "One",
            "content_html": "<p>The whole story, first paragraph.</p><p>Second.</p>",
            "summary": "A teaser.",
            "date_published": "2024-05-03T15:47:42+02:00",
            "authors": [{"name": "Ann Lee", "url": "https://paper.example/ann"}, {"url": "https://x"}],
            "language": "en-GB",
            "image": "/img/one.jpg",
        },
        {
            "id": "https://paper.example/2024/05/two",
            "content_text": "First line & more.\nSame paragraph.\n\n<Second> paragraph.",
            "date_modified": "2024-05-04T08:00:00Z",
            "banner_image": "https://paper.example/img/two.jpg",
        },
        {
            "id": "3",
            "external_url": "https://other.example/three",
            "content_html": "   ",
            "content_text": "Only text.",
            "image": "data:image/png;base64,AAAA",
        },
        {"id": "tag:paper.example,2024:4", "title": "No link", "content_text": "x"},
        {"id": "5", "url": "mailto:desk@paper.example", "title": "Mail"},
        "not an object",
    ],
}

FEED_10 = {
    "version": "https://jsonfeed.org/version/1",
    "title": "Old",
    "author": {"name": "Feed Author"},
    "items": [
        {
            "id": "a",
            "url": "https://old.example/a",
            "title": "A",
            "author": {"name": "Bo Chen"},
            "date_published": "2017-05-17T10:02:12-07:00",
        },
        {"id": "b", "url": "https://old.example/b", "title": "B"},
    ],
}


def encoded(feed, indent=None) -> bytes:
    return json.dumps(feed, indent=indent).encode("utf-8")


def test_a_json_feed_11_gives_a_record_per_item_with_its_hints():
    one, two, three, no_link, mail, not_object = records_from_jsonfeed(
        encoded(FEED_11), "https://paper.example/feed.json"
    )
    assert one == InputRecord(
        input_ref="https://paper.example/feed.json#item=0",
        input_kind="jsonfeed",
        url="https://paper.example/2024/05/one",
        title="One",
        authors=("Ann Lee",),
        published_at=dt.datetime(2024, 5, 3, 13, 47, 42, tzinfo=dt.timezone.utc),
        language="en",  # the item's own language wins over the feed's
        feed="https://paper.example/feed.json",
        feed_html="<p>The whole story, first paragraph.</p><p>Second.</p>",
        image="https://paper.example/img/one.jpg",
    )
    assert two.url == "https://paper.example/2024/05/two"  # the id, an http(s) URL, is the link
    assert two.title is None and two.authors == ("Desk",)  # the feed's authors are the item's
    assert two.published_at == dt.datetime(2024, 5, 4, 8, 0, tzinfo=dt.timezone.utc)
    assert two.language == "de" and two.image == "https://paper.example/img/two.jpg"
    # A text body is escaped into paragraphs, as a feed's HTML content would be.
    assert two.feed_html == "<p>First line &amp; more.<br>Same paragraph.</p><p>&lt;Second&gt; paragraph.</p>"
    assert three.url == "https://other.example/three" and three.feed_html == "<p>Only text.</p>"
    assert three.image is None  # only http(s) images
    assert (no_link["kind"], no_link["stage"], no_link["input_ref"]) == (
        "no_link",
        "read",
        "https://paper.example/feed.json#item=3",
    )
    assert mail["kind"] == "invalid_url" and "mailto:desk@paper.example" in mail["message"]
    assert not_object["kind"] == "invalid_record"


def test_a_json_feed_10_gives_its_author_objects():
    a, b = records_from_jsonfeed(encoded(FEED_10, indent=2), "/srv/feeds/old.json")
    assert (a.url, a.title, a.authors, a.input_kind) == (
        "https://old.example/a",
        "A",
        ("Bo Chen",),
        "jsonfeed",
    )
    assert a.published_at == dt.datetime(2017, 5, 17, 17, 2, 12, tzinfo=dt.timezone.utc)
    assert b.authors == ("Feed Author",) and b.language is None and b.feed_html is None


def test_json_feed_links_follow_the_rules_of_feeds():
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"id": "1", "url": "../pages/a.html"},
            {"id": "2", "url": "file:///etc/passwd"},
            {"id": "3", "url": "javascript:alert(1)"},
        ],
    }
    local = list(records_from_jsonfeed(encoded(feed), "/srv/feeds/f.json"))
    assert [r.url for r in local[:2]] == ["file:///srv/pages/a.html", "file:///etc/passwd"]
    assert local[2]["kind"] == "invalid_url"
    web = list(records_from_jsonfeed(encoded(feed), "https://h.example/feeds/f.json"))
    assert web[0].url == "https://h.example/pages/a.html"
    assert [row["kind"] for row in web[1:]] == ["unsafe_link", "invalid_url"]


@pytest.mark.parametrize(
    "data, said",
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not valid JSON"),
        (b"\xff\xfe not json", "not valid JSON"),
        (b'{"url": "https://a.example/1", "text": "x"}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "no items"}', "not a JSON Feed"),
        (b'["https://jsonfeed.org/version/1"]', "not a JSON Feed"),
        (b"[" * 100_000, "not valid JSON"),  # nested past the parser's recursion limit
    ],
)
def test_what_is_not_a_json_feed_is_an_invalid_feed(data, said):
    with pytest.raises(InputError) as err:
        list(records_from_jsonfeed(data, "/srv/f.json"))
    assert err.value.kind == "invalid_feed" and said in err.value.message
    assert err.value.message.startswith("/srv/f.json ")


def test_a_json_feed_is_sniffed_and_a_json_lines_dump_is_not():
    assert sniff_kind(encoded(FEED_11)) == "jsonfeed"
    assert sniff_kind(encoded(FEED_10, indent=2)) == "jsonfeed"
    assert sniff_kind(b'\xef\xbb\xbf{"version":"https://jsonfeed.org/version/1","items":[]}') == "jsonfeed"
    assert sniff_kind(b'{"url": "https://a.org/1", "text": "version 1"}\n') == "jsonl"
    assert parse_spec("jsonfeed:feeds/*.json").kind == "jsonfeed"


def test_a_json_file_holding_a_json_feed_is_read_as_one(tmp_path):
    """A ``.json`` feed was sniffed as JSON lines and refused line by line."""
    (record,) = records_from(
        FetchedBody("/srv/feeds/f.json", encoded({**FEED_10, "items": FEED_10["items"][:1]}, indent=2)), None
    )
    assert (record.input_kind, record.url) == ("jsonfeed", "https://old.example/a")


def test_json_feeds_are_read_from_files_and_over_http_with_their_answers(tmp_path, http_server):
    (tmp_path / "local.json").write_bytes(encoded(FEED_10))
    http_server.add(
        "/feed.json", encoded(FEED_10), content_type="application/feed+json", headers={"ETag": '"v1"'}
    )
    specs = [str(tmp_path / "local.json"), f"jsonfeed:{http_server.base}/feed.json"]
    policy = FetchPolicy(timeout=5, max_bytes=100_000, allow_private=True, retries=0)
    with TestPipeline() as p:
        records, errors, answers = p | ReadInputs(specs, policy)
        assert_that(
            records | beam.Map(lambda r: (r.input_kind, r.input_ref.split("#")[1], r.url)),
            equal_to(
                [
                    ("jsonfeed", "item=0", "https://old.example/a"),
                    ("jsonfeed", "item=1", "https://old.example/b"),
                ]
                * 2
            ),
            label="records",
        )
        assert_that(errors, equal_to([]), label="errors")
        assert_that(
            answers | beam.Map(lambda a: (a.location, a.status, a.etag, a.items)),
            equal_to([(f"{http_server.base}/feed.json", 200, '"v1"', 2)]),
            label="answers",
        )
    # The next run sends the ETag back; the 304 costs no records.
    prior = [
        {"feed_url": f"{http_server.base}/feed.json", "etag": '"v1"', "last_modified": None,
         "fetched_at": dt.datetime(2024, 5, 3, tzinfo=dt.timezone.utc), "run_id": "r1"}
    ]  # fmt: skip
    with TestPipeline() as p:
        records, errors, answers = p | ReadInputs(
            specs[1:], policy, prior_feeds=p | "Prior" >> beam.Create(prior)
        )
        assert_that(records, equal_to([]), label="no records")
        assert_that(answers | beam.Map(lambda a: (a.status, a.items)), equal_to([(304, 0)]), label="304")
    assert http_server.conditional == ["/feed.json"]
