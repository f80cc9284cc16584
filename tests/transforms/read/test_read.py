"""Reading SPECs into input records: kinds, feeds, dumps, text, and the Beam transform."""

import datetime as dt
import gzip
import json
import os

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import FetchedBody, FetchPolicy
from newsbeam.transforms.common.records import InputRecord, Source
from newsbeam.transforms.read import ReadInputs, records_from
from newsbeam.transforms.read.dumps import record_from_text, records_from_jsonl
from newsbeam.transforms.read.feeds import records_from_feed
from newsbeam.transforms.read.specs import kind_from_name, parse_spec, resolve_link, sniff_kind

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><language>en-gb</language>
<item><title>One</title><link>../pages/one.html?utm_source=rss</link><pubDate>Tue, 17 Nov 2015 10:00:00 +0100</pubDate><dc:creator>Ann Lee</dc:creator></item>
<item><title>No link</title></item>
<item><title>Two</title><link>https://example.com/two</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:x</id><updated>2015-11-17T00:00:00Z</updated>
<entry><title>E</title><link href="https://example.com/e"/><id>urn:e</id><updated>2015-11-17T08:00:00Z</updated><author><name>Bo Chen</name></author></entry>
</feed>"""


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("rss:feeds/*.xml", Source("feeds/*.xml", "rss")),
        ("HTML:/a/b.htm", Source("/a/b.htm", "html")),
        ("https://example.com/feed", Source("https://example.com/feed", None)),
        ("data/x.jsonl", Source("data/x.jsonl", None)),
        ("warc:cc/*.warc.gz", Source("cc/*.warc.gz", "warc")),
        ("notakind:x", Source("notakind:x", None)),  # a path that happens to hold a colon
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    "name, kind",
    [
        ("a/feed.rss", "rss"),
        ("a/feed.atom", "rss"),
        ("x.xml.gz", None),
        ("feeds.opml", "opml"),
        ("list.csv", "urls"),
        ("p.HTML", "html"),
        ("d.jsonl.gz", "jsonl"),
        ("s.txt", "text"),
        ("https://h/a/feed.rss?x=1", "rss"),
        ("noext", None),
    ],
)
def test_kind_from_name(name, kind):
    assert kind_from_name(name) == kind


@pytest.mark.parametrize(
    "data, kind",
    [
        (b'<?xml version="1.0"?><rss>', "rss"),
        (b"\xef\xbb\xbf<feed xmlns=", "rss"),
        (b"<!DOCTYPE html><html>", "html"),
        (b"  <html lang=en>", "html"),
        (b'{"url": 1}\n', "jsonl"),
        (b"Paris (Reuters) - France ...", "text"),
    ],
)
def test_sniff_kind(data, kind):
    assert sniff_kind(data) == kind


@pytest.mark.parametrize(
    "base, link, expected",
    [
        ("/srv/feeds/world.rss", "../pages/a.html?x=1", "file:///srv/pages/a.html?x=1"),
        ("https://h.org/feeds/rss", "/story/1", "https://h.org/story/1"),
        ("gs://bucket/feeds/world.rss", "../pages/a.html", "gs://bucket/pages/a.html"),
        ("/srv/feeds/world.rss", "https://other.org/x", "https://other.org/x"),
    ],
)
def test_resolve_link(base, link, expected):
    assert resolve_link(base, link) == expected


def test_rss_items_become_records_and_an_item_without_link_an_error():
    items = list(records_from_feed(RSS, "/srv/feeds/world.rss"))
    assert len(items) == 3
    first, missing, second = items
    assert first.url == "file:///srv/pages/one.html?utm_source=rss"
    assert first.title == "One" and first.authors == ("Ann Lee",) and first.language == "en"
    assert first.published_at == dt.datetime(2015, 11, 17, 9, 0, tzinfo=dt.timezone.utc)
    assert first.input_ref == "/srv/feeds/world.rss#item=0" and first.feed == "/srv/feeds/world.rss"
    assert (
        missing["stage"] == "read"
        and missing["kind"] == "no_link"
        and missing["input_ref"].endswith("#item=1")
    )
    assert second.url == "https://example.com/two" and second.published_at is None


def test_a_web_feed_may_not_point_at_local_files():
    feed = RSS.replace(b"https://example.com/two", b"file:///etc/passwd")
    items = list(records_from_feed(feed, "https://evil.example/feed"))
    assert [i["kind"] for i in items if isinstance(i, dict)] == ["no_link", "unsafe_link"]
    assert [i.url for i in items if isinstance(i, InputRecord)] == [
        "https://evil.example/pages/one.html?utm_source=rss"
    ]
    # A feed on this machine may point at files beside it.
    local = list(records_from_feed(feed, "/srv/feeds/world.rss"))
    assert [i["kind"] for i in local if isinstance(i, dict)] == ["no_link"]
    assert len([i for i in local if isinstance(i, InputRecord)]) == 2


def test_feed_dates_out_of_range_are_unknown():
    from newsbeam.transforms.read.feeds import feed_date

    assert feed_date(None) is None
    assert feed_date((99999, 1, 1, 0, 0, 0, 0, 1, 0)) is None
    assert feed_date((2015, 11, 17, 9, 0, 0, 1, 321, 0)) == dt.datetime(
        2015, 11, 17, 9, 0, tzinfo=dt.timezone.utc
    )


def test_atom_entries_become_records():
    (entry,) = records_from_feed(ATOM, "https://h.org/atom")
    assert (entry.url, entry.title, entry.authors) == ("https://example.com/e", "E", ("Bo Chen",))
    assert entry.published_at == dt.datetime(2015, 11, 17, 8, 0, tzinfo=dt.timezone.utc)


def test_a_feed_that_is_not_a_feed_is_an_input_error():
    with pytest.raises(InputError) as err:
        list(records_from_feed(b"\x89PNG\r\n\x1a\n\x00\x00", "x.rss"))
    assert err.value.kind == "invalid_feed"


def test_jsonl_lines_good_and_bad():
    data = (
        b'{"url": "https://a.org/1", "html": "<html><body><p>x</p></body></html>"}\n'
        b'{"url": "https://a.org/2", "title": "T", "text": "Body.", "published": "2015-11-17T10:00:00+01:00", "authors": "Ann"}\n'
        b"\n"
        b'{"url": "https://a.org/3", "text": "cut\n'
        b"[1, 2]\n"
        b'{"url": "https://a.org/5", "title": "no body"}\n'
        b'{"url": 5, "text": "x"}\n'
        b'{"text": "no url"}\n'
    )
    items = list(records_from_jsonl(data.splitlines(), "/d/dump.jsonl"))
    records = [i for i in items if isinstance(i, InputRecord)]
    errors = [i for i in items if isinstance(i, dict)]
    assert [r.url for r in records] == ["https://a.org/1", "https://a.org/2", "file:///d/dump.jsonl#line=8"]
    assert records[0].html and records[0].text is None
    assert records[1].text == "Body." and records[1].authors == ("Ann",)
    assert records[1].published_at == dt.datetime(2015, 11, 17, 9, 0, tzinfo=dt.timezone.utc)
    assert [(e["kind"], e["input_ref"]) for e in errors] == [
        ("invalid_json", "/d/dump.jsonl:4"),
        ("invalid_record", "/d/dump.jsonl:5"),
        ("no_body", "/d/dump.jsonl:6"),
        ("invalid_record", "/d/dump.jsonl:7"),
    ]


def test_text_files_decode_and_binary_is_refused():
    record = record_from_text(FetchedBody("/s/story.txt", "Café story.\n".encode("utf-8")))
    assert record.text == "Café story.\n" and record.url == "file:///s/story.txt"
    latin = record_from_text(
        FetchedBody("/s/old.txt", "Café au lait, a long enough story to detect.".encode("latin-1"))
    )
    assert "Café" in latin.text
    with pytest.raises(InputError) as err:
        record_from_text(FetchedBody("/s/bin.txt", b"\x00\x01\x02binary"))
    assert err.value.kind == "not_text"


def test_kind_is_sniffed_when_the_name_says_nothing():
    (record,) = records_from(
        FetchedBody("/x/page", b"<!doctype html><html><body><p>Hi</p></body></html>"), None
    )
    assert record.input_kind == "html"
    (record,) = records_from(FetchedBody("/x/page.txt", b"<html>"), "text")  # a stated kind wins
    assert record.input_kind == "text"


def test_read_inputs_accounts_for_every_record(tmp_path):
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "world.rss").write_bytes(RSS)
    (tmp_path / "dump.jsonl").write_bytes(b'{"url": "https://a.org/1", "text": "Body."}\n{oops\n')
    (tmp_path / "more.jsonl.gz").write_bytes(
        gzip.compress(
            b'{"url": "https://a.org/g1", "text": "B."}\n\n{"url": "https://a.org/g2", "html": "<p>x</p>"}'
        )
    )
    (tmp_path / "story.txt").write_text("Story.\n", encoding="utf-8")
    (tmp_path / "broken.rss").write_bytes(b"\x89PNG\x00\x00\x00")
    specs = [
        str(tmp_path / "feeds"),
        str(tmp_path / "*.jsonl*"),
        "text:" + str(tmp_path / "story.txt"),
        "rss:" + str(tmp_path / "broken.rss"),
        str(tmp_path / "missing-*.xml"),
    ]
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs(specs, FetchPolicy(timeout=5, max_bytes=1_000_000))
        assert_that(
            records | beam.Map(lambda r: (r.input_kind, r.url)),
            equal_to(
                [
                    ("rss", (tmp_path / "pages" / "one.html").as_uri() + "?utm_source=rss"),
                    ("rss", "https://example.com/two"),
                    ("jsonl", "https://a.org/1"),
                    ("jsonl", "https://a.org/g1"),
                    ("jsonl", "https://a.org/g2"),
                    ("text", (tmp_path / "story.txt").as_uri()),
                ]
            ),
            label="records",
        )
        assert_that(
            errors | beam.Map(lambda e: (e["stage"], e["kind"])),
            equal_to(
                [
                    ("read", "no_link"),
                    ("read", "invalid_json"),
                    ("read", "invalid_feed"),
                    ("read", "not_found"),
                ]
            ),
            label="errors",
        )


@pytest.mark.parametrize(
    "specs, levels",
    [
        (["html:pages/*.html", "warc:cc/*.warc.gz", "rss:feed.xml", "urls:links.txt", "jsonl:d.jsonl"], 1),
        (["html:pages/*.html", "opml:feeds.opml"], 4),
        (["sitemap:https://example.com/"], 4),
        (["pages/"], 4),  # no kind stated: a folder may hold an OPML list
    ],
)
def test_reading_unrolls_list_levels_only_when_some_spec_may_be_a_list(specs, levels):
    from newsbeam.transforms.read.specs import nesting_levels

    assert nesting_levels(specs) == levels


def test_a_graph_of_leaf_specs_has_one_reading_level_and_still_reads_everything(tmp_path):
    (tmp_path / "a.html").write_text("<html><body><p>A story.</p></body></html>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Story.\n", encoding="utf-8")
    specs = ["html:" + str(tmp_path / "*.html"), "text:" + str(tmp_path / "b.txt")]
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs(specs, FetchPolicy(timeout=5, max_bytes=1_000_000))
        assert_that(
            records | beam.Map(lambda r: (r.input_kind, r.url)),
            equal_to([("html", (tmp_path / "a.html").as_uri()), ("text", (tmp_path / "b.txt").as_uri())]),
            label="records",
        )
        assert_that(errors, equal_to([]), label="errors")
        labels = {node.full_label for node in p.transforms_stack[0].parts[0].parts}
    assert any(label.endswith("ReadSources0") for label in labels)
    assert not any(label.endswith("ReadSources1") for label in labels)


def test_a_list_read_on_the_last_level_is_a_too_deep_error_not_lost(tmp_path):
    """With one level left, the feeds an OPML names cannot be read: each is an errors row."""
    from newsbeam.transforms.read import ReadSourceFn

    opml = tmp_path / "feeds.opml"
    opml.write_bytes(
        b'<opml version="2.0"><body><outline text="w" xmlUrl="https://example.com/w.rss"/></body></opml>'
    )
    out = list(
        ReadSourceFn(FetchPolicy(timeout=5, max_bytes=1_000_000), max_depth=0).process(
            Source(str(opml), "opml")
        )
    )
    errors = [getattr(item, "value", item) for item in out]
    assert [(e["kind"], e["input_ref"]) for e in errors] == [("too_deep", "https://example.com/w.rss")]
    assert "nested more than 0 lists deep" in errors[0]["message"]


def test_urls_are_fetched_and_sniffed(http_server):
    http_server.add("/feed", RSS, content_type="application/rss+xml")
    http_server.add("/page", "<!doctype html><html><body><p>Story.</p></body></html>")
    specs = [f"{http_server.base}/feed", f"{http_server.base}/page", f"{http_server.base}/gone"]
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs(
            specs, FetchPolicy(timeout=5, max_bytes=100_000, allow_private=True)
        )
        assert_that(
            records | beam.Map(lambda r: (r.input_kind, r.url)),
            equal_to(
                [
                    ("rss", f"{http_server.base}/pages/one.html?utm_source=rss"),
                    ("rss", "https://example.com/two"),
                    ("html", f"{http_server.base}/page"),
                ]
            ),
            label="records",
        )
        assert_that(
            errors | beam.Map(lambda e: (e["input_ref"], e["kind"])),
            equal_to(
                [(f"{http_server.base}/feed#item=1", "no_link"), (f"{http_server.base}/gone", "http_404")]
            ),
            label="errors",
        )


def test_a_folder_stands_for_every_file_under_it_but_hidden_ones(tmp_path):
    from newsbeam.transforms.read.specs import expand_source

    (tmp_path / "sub").mkdir()
    for name in ("a.rss", "sub/b.jsonl", ".hidden.txt"):
        (tmp_path / name).write_text("x")
    assert [s.location for s in expand_source(Source(str(tmp_path), "rss"))] == [
        str(tmp_path / "a.rss"),
        str(tmp_path / "sub" / "b.jsonl"),
    ]
    assert {s.kind for s in expand_source(Source(str(tmp_path), "rss"))} == {"rss"}


FULL_RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>T</title>
<item><title>Full</title><link>https://paper.example/full</link><description>A teaser.</description>
<content:encoded><![CDATA[<p>The whole story, first paragraph.</p><script>alert(1)</script><p>Second.</p>]]></content:encoded>
<media:content url="/img/lead.jpg" medium="image"/><media:thumbnail url="https://paper.example/thumb.jpg"/></item>
<item><title>Summary only</title><link>https://paper.example/teaser</link><description>Just a teaser.</description>
<enclosure url="https://paper.example/e.jpg" type="image/jpeg" length="10"/></item>
<item><title>Audio</title><link>https://paper.example/pod</link><enclosure url="https://paper.example/a.mp3" type="audio/mpeg" length="10"/></item>
</channel></rss>"""


def test_full_content_and_media_rss_images_are_kept_as_hints():
    full, teaser, audio = records_from_feed(FULL_RSS, "https://paper.example/feed.xml")
    assert "<p>The whole story, first paragraph.</p>" in full.feed_html
    assert "alert" not in full.feed_html  # feedparser sanitises the content
    assert full.image == "https://paper.example/img/lead.jpg"  # media:content, made absolute
    # A summary is a teaser, not a body: only content:encoded/Atom content counts.
    assert teaser.feed_html is None and teaser.image == "https://paper.example/e.jpg"
    assert audio.image is None


def test_a_jsonl_line_over_the_page_cap_is_too_large_and_the_next_line_still_reads(tmp_path):
    from newsbeam.transforms.read.dumps import records_from_jsonl
    from newsbeam.transforms.read.files import stream_lines

    dump = tmp_path / "d.jsonl"
    long = json.dumps({"url": "https://a.example/long", "text": "x" * 5000})
    short = json.dumps({"url": "https://a.example/short", "text": "A short story of enough words to keep."})
    dump.write_text(long + "\n" + short + "\n")
    rows = list(records_from_jsonl(stream_lines(str(dump), 1000), str(dump), 1000))
    assert rows[0]["kind"] == "too_large" and rows[0]["input_ref"] == f"{dump}:1"
    assert rows[1].url == "https://a.example/short" and rows[1].input_ref == f"{dump}:2"


def test_an_input_with_no_records_in_it_is_an_empty_error(tmp_path):
    """A feed with no items, a URL list of comments, an empty dump, a 0-byte feed or WARC: one
    ``empty`` row each, so every input file ends in some table."""
    (tmp_path / "no-items.rss").write_text('<rss version="2.0"><channel><title>F</title></channel></rss>')
    (tmp_path / "zero.rss").write_bytes(b"")
    (tmp_path / "comments.urls").write_text("# nothing today\n")
    (tmp_path / "blank.jsonl").write_text("\n\n")
    (tmp_path / "zero.warc").write_bytes(b"")
    (tmp_path / "one.jsonl").write_text('{"url": "https://a.org/1", "text": "A."}\n')
    specs = [
        str(tmp_path / "*.rss"),
        "urls:" + str(tmp_path / "comments.urls"),
        str(tmp_path / "*.jsonl"),
        str(tmp_path / "zero.warc"),
    ]
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs(specs, FetchPolicy(timeout=5, max_bytes=1_000_000))
        assert_that(records | beam.Map(lambda r: r.url), equal_to(["https://a.org/1"]), label="records")
        assert_that(
            errors | beam.Map(lambda e: (os.path.basename(e["input_ref"]), e["kind"])),
            equal_to(
                [
                    ("no-items.rss", "empty"),
                    ("zero.rss", "empty"),
                    ("comments.urls", "empty"),
                    ("blank.jsonl", "empty"),
                    ("zero.warc", "empty"),
                ]
            ),
            label="errors",
        )


@pytest.mark.parametrize(
    "base, link, expected",
    [
        ("/srv/feeds/world.rss", "https://other.org/x", "https://other.org/x"),
        ("https://h.org/feed", "/story/1", "https://h.org/story/1"),
        ("/srv/feeds/world.rss", "file:///srv/pages/a.html", "file:///srv/pages/a.html"),
        ("/srv/feeds/world.rss", "file:a.html", "file:///srv/feeds/a.html"),  # relative to the feed
        ("/srv/feeds/world.rss", "gs://bucket/a.html", "gs://bucket/a.html"),
        ("gs://bucket/feeds/world.rss", "s3://other/a.html", "s3://other/a.html"),
        ("/srv/feeds/world.rss", "C:\\pages\\a.html", "C:\\pages\\a.html"),  # a Windows drive, a path
        ("https://h.org/feed", "file:///etc/passwd", "unsafe_link"),
        ("https://h.org/feed", "gs://bucket/secret", "unsafe_link"),
        ("https://h.org/feed", "C:\\Windows\\win.ini", "unsafe_link"),
        ("/srv/feeds/world.rss", "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", "invalid_url"),
        ("/srv/feeds/world.rss", "mailto:desk@h.org", "invalid_url"),
        ("https://h.org/feed", "javascript:alert(1)", "invalid_url"),
        ("https://h.org/feed", "tel:+4930123", "invalid_url"),
        ("https://h.org/feed", "ftp://h.org/x", "invalid_url"),
        ("https://h.org/feed", "http://[::1/x", "invalid_url"),  # urllib cannot split it
    ],
)
def test_list_link_takes_web_pages_and_files_from_lists_on_disk_only(base, link, expected):
    from newsbeam.transforms.read.specs import list_link

    if expected in ("unsafe_link", "invalid_url"):
        with pytest.raises(InputError) as err:
            list_link(base, link, "feed item 4")
        assert err.value.kind == expected
        assert err.value.message.startswith(f"feed item 4 links to {link}")
    else:
        assert list_link(base, link, "feed item 4") == expected


def test_a_long_refused_link_is_shortened_in_its_message():
    from newsbeam.transforms.read.specs import list_link

    with pytest.raises(InputError) as err:
        list_link("/srv/f.rss", "data:text/html;base64," + "A" * 5000, "feed item 0")
    assert err.value.kind == "invalid_url" and len(err.value.message) < 400
    assert "data:text/html;base64,AAAA" in err.value.message and "…" in err.value.message


def test_feed_links_that_are_no_web_page_are_invalid_url_rows_at_read():
    """They were records whose fetch failed with ``not_found: no such file: urn:uuid:...``."""
    links = [
        "urn:uuid:1234",
        "mailto:a@b.example",
        "javascript:alert(1)",
        "tel:+1234",
        "https://a.example/ok",
    ]
    items = "".join(f"<item><title>T{i}</title><link>{link}</link></item>" for i, link in enumerate(links))
    atom_entry = '<entry><title>D</title><link href="data:text/html,{0}"/><id>x</id></entry>'.format(
        "x" * 500
    )
    for data in (
        f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode(),
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{atom_entry}</feed>'.encode(),
    ):
        for location in ("/srv/feeds/f.xml", "https://h.example/f.xml"):
            found = list(records_from_feed(data, location))
            rows = [row for row in found if isinstance(row, dict)]
            assert [(row["stage"], row["kind"]) for row in rows] == [("read", "invalid_url")] * len(rows)
            assert [r.url for r in found if isinstance(r, InputRecord)] == (
                ["https://a.example/ok"] if b"<rss" in data else []
            )
    rows = [r for r in records_from_feed(data, "/srv/feeds/f.xml")]
    assert rows[0]["message"].startswith("feed item 0 links to data:text/html,xxx")
    assert len(rows[0]["message"]) < 400


def test_a_file_link_in_a_local_feed_names_the_file(tmp_path):
    """feedparser folds ``file:///srv/x`` to ``file://srv/x``, whose ``srv`` reads as a host."""
    page = tmp_path / "pages" / "a story.html"
    feed = f'<rss version="2.0"><channel><title>F</title><item><title>A</title><link>{page.as_uri()}</link></item></channel></rss>'
    (record,) = records_from_feed(feed.encode(), str(tmp_path / "feeds" / "f.rss"))
    assert record.url == page.as_uri()


def test_local_pages_a_local_feed_links_to_are_read(tmp_path):
    from newsbeam.transforms.fetch import FetchPages

    (tmp_path / "pages").mkdir()
    (tmp_path / "feeds").mkdir()
    for name in ("absolute", "relative", "file-relative"):
        (tmp_path / "pages" / f"{name}.html").write_text(
            f"<html><body><article><p>The {name} page.</p></article></body></html>"
        )
    links = [
        (tmp_path / "pages" / "absolute.html").as_uri(),
        "../pages/relative.html",
        "file:../pages/file-relative.html",
    ]
    items = "".join(f"<item><title>{i}</title><link>{link}</link></item>" for i, link in enumerate(links))
    (tmp_path / "feeds" / "f.rss").write_text(
        f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'
    )
    policy = FetchPolicy(timeout=5, max_bytes=100_000)
    with TestPipeline() as p:
        records, read_errors, _ = p | ReadInputs([str(tmp_path / "feeds" / "f.rss")], policy)
        pages, fetch_errors = records | FetchPages(policy)
        assert_that(
            pages | beam.Map(lambda r: (r.title, r.html.split("<p>")[1].split("</p>")[0])),
            equal_to(
                [("0", "The absolute page."), ("1", "The relative page."), ("2", "The file-relative page.")]
            ),
            label="pages",
        )
        assert_that((read_errors, fetch_errors) | beam.Flatten(), equal_to([]), label="errors")


def _rss(declaration: str, title: str) -> str:
    return (
        declaration + '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>F</title><item><title>{title}</title><link>https://a.example/1</link>"
        f"<content:encoded><![CDATA[<p>{title}, the story.</p>]]></content:encoded></item></channel></rss>"
    )


def _even(data: bytes) -> bytes:
    """UTF-8 bytes of an even length: read as UTF-16 (as their declaration says) they decode, wrongly."""
    return data if len(data) % 2 == 0 else data.replace(b"<channel>", b"<channel> ")


TITLE = "Café au lait in Zürich: the ’naïve’ question"
UTF8 = '<?xml version="1.0" encoding="utf-8"?>'


@pytest.mark.parametrize(
    "name, data",
    [
        ("utf-8 declared iso-8859-1", _rss('<?xml version="1.0" encoding="iso-8859-1"?>', TITLE).encode()),
        ("an unknown declared encoding", _rss('<?xml version="1.0" encoding="x-bogus"?>', TITLE).encode()),
        ("windows-1252 declared utf-8", _rss(UTF8, TITLE).encode("cp1252")),
        ("a UTF-16 BOM, declared utf-8", b"\xff\xfe" + _rss(UTF8, TITLE).encode("utf-16-le")),
        ("a UTF-16 big-endian BOM", b"\xfe\xff" + _rss(UTF8, TITLE).encode("utf-16-be")),
        ("UTF-16 without a BOM or a declaration", _rss("", TITLE).encode("utf-16-le")),
        ("utf-8 declared utf-16", _even(_rss('<?xml version="1.0" encoding="utf-16"?>', TITLE).encode())),
        ("ascii declared EBCDIC", _rss('<?xml version="1.0" encoding="cp037"?>', "Plain title").encode()),
    ],
)
def test_a_feed_whose_only_fault_is_its_encoding_is_read(name, data):
    (record,) = records_from(FetchedBody("/srv/feeds/f.xml", data), None)
    assert record.input_kind == "rss" and record.url == "https://a.example/1"
    assert record.title in (TITLE, "Plain title") and "the story" in record.feed_html


def test_a_feed_in_a_legacy_encoding_declared_utf8_reads_in_its_own():
    data = _rss(UTF8, "市議会は長い議論の末、来年度の新しい予算案を承認した").encode("shift_jis")
    (record,) = records_from_feed(data, "/srv/feeds/f.xml")
    assert record.title == "市議会は長い議論の末、来年度の新しい予算案を承認した"


def test_a_feed_no_encoding_makes_readable_stays_invalid():
    with pytest.raises(InputError) as err:
        list(records_from_feed(b'<?xml version="1.0" encoding="utf-16"?>\x00\x01\x02\xff' * 50, "/srv/f.xml"))
    assert err.value.kind == "invalid_feed"
