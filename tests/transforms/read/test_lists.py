"""Lists of things to read: OPML feed lists, sitemaps (index, Google News, gzip, robots.txt), URL lists."""

import datetime as dt
import gzip

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.common.errors import InputError
from newsbeam.transforms.common.fetching import FetchPolicy
from newsbeam.transforms.common.records import InputRecord, Source
from newsbeam.transforms.read import ReadInputs
from newsbeam.transforms.read.lists import (
    items_from_sitemap,
    records_from_url_list,
    sitemaps_from_robots,
    sources_from_opml,
)
from newsbeam.transforms.read.specs import sniff_kind

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>Subs</title></head><body>
<outline text="News"><outline type="rss" text="World" xmlUrl="feeds/world.rss"/>
<outline type="rss" text="Tech" xmlUrl="https://tech.example/feed"/></outline>
<outline text="No feed here"/></body></opml>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://paper.example/a</loc><news:news><news:publication><news:name>Paper</news:name>
<news:language>de-AT</news:language></news:publication><news:publication_date>2024-05-03T15:47:42+02:00</news:publication_date>
<news:title>Story A</news:title></news:news></url>
<url><loc>https://paper.example/b</loc><lastmod>2024-05-02</lastmod></url>
<url><lastmod>2024-05-02</lastmod></url>
</urlset>"""

BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol4;</loc></url></urlset>"""


def test_opml_lists_its_feeds_as_sources():
    found = list(sources_from_opml(OPML, Source("/subs/list.opml")))
    assert found == [
        Source("file:///subs/feeds/world.rss", "rss", 1, parent="/subs/list.opml"),
        Source("https://tech.example/feed", "rss", 1, parent="/subs/list.opml"),
    ]


def test_a_news_sitemap_gives_records_with_title_date_and_language():
    items = list(items_from_sitemap(NEWS_SITEMAP, Source("https://paper.example/sitemap.xml")))
    first, second, missing = items
    assert (first.url, first.title, first.language, first.input_kind) == (
        "https://paper.example/a",
        "Story A",
        "de",
        "sitemap",
    )
    assert first.published_at == dt.datetime(2024, 5, 3, 13, 47, 42, tzinfo=dt.timezone.utc)
    assert second.published_at == dt.datetime(2024, 5, 2, tzinfo=dt.timezone.utc) and second.title is None
    assert missing["kind"] == "no_link"


def test_a_sitemap_index_lists_sitemaps_one_level_deeper():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>/news-1.xml.gz</loc></sitemap><sitemap><loc>https://paper.example/news-2.xml</loc></sitemap></sitemapindex>"""
    found = list(items_from_sitemap(index, Source("https://paper.example/sitemap_index.xml", "sitemap", 1)))
    index_url = "https://paper.example/sitemap_index.xml"
    assert found == [
        Source("https://paper.example/news-1.xml.gz", "sitemap", 2, parent=index_url),
        Source("https://paper.example/news-2.xml", "sitemap", 2, parent=index_url),
    ]


def test_an_xml_bomb_is_refused_before_it_is_parsed():
    with pytest.raises(InputError) as err:
        list(items_from_sitemap(BOMB, Source("bomb.xml")))
    assert err.value.kind == "bad_xml" and "entities" in err.value.message


def test_external_entities_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file://{secret}">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/&x;</loc></url></urlset>"""
    with pytest.raises(InputError) as err:
        list(items_from_sitemap(xxe.encode(), Source("xxe.xml")))
    assert err.value.kind == "bad_xml" and "TOP-SECRET" not in err.value.message


def test_a_doctype_without_entities_is_fine():
    """RSS 0.91 feeds name Netscape's DTD; that is not an attack."""
    from newsbeam.transforms.read.feeds import records_from_feed

    rss = b"""<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
    "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>T</title>
    <item><title>A</title><link>https://a.example/1</link></item></channel></rss>"""
    (record,) = records_from_feed(rss, "feed.xml")
    assert record.url == "https://a.example/1"


def test_url_lists_text_and_csv():
    text = b"# my list\nhttps://a.example/1  # first\n\nftp://nope.example/x\nhttps://a.example/2\n"
    items = list(records_from_url_list(text, "/l/urls.txt"))
    assert [i.url for i in items if isinstance(i, InputRecord)] == [
        "https://a.example/1",
        "https://a.example/2",
    ]
    assert [(i["kind"], i["input_ref"]) for i in items if isinstance(i, dict)] == [
        ("invalid_url", "/l/urls.txt:4")
    ]
    table = b"id,Link,note\n1,https://a.example/1,x\n2,,empty\n3,https://a.example/3,y\n"
    items = list(records_from_url_list(table, "/l/list.csv"))
    assert [(i.input_ref, i.url) for i in items] == [
        ("/l/list.csv:2", "https://a.example/1"),
        ("/l/list.csv:4", "https://a.example/3"),
    ]
    with pytest.raises(InputError):
        list(records_from_url_list(b"id,name\n1,x\n", "/l/bad.csv"))


@pytest.mark.parametrize(
    "data, kind",
    [(OPML, "opml"), (NEWS_SITEMAP, "sitemap"), (b"https://a.example/1\n# c\nhttps://a.example/2\n", "urls")],
)
def test_lists_are_sniffed(data, kind):
    assert sniff_kind(data) == kind


def test_a_site_root_is_read_through_robots_txt_to_its_sitemaps(http_server):
    """robots.txt → sitemap index → gzipped news sitemap → pages; every level, every record counted."""
    base = http_server.base
    http_server.add(
        "/robots.txt",
        f"User-agent: *\nDisallow: /private\nSitemap: {base}/sitemap_index.xml\n",
        content_type="text/plain",
    )
    http_server.add(
        "/sitemap_index.xml",
        f"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><sitemap><loc>{base}/news.xml.gz</loc></sitemap>"
        f"<sitemap><loc>{base}/missing.xml</loc></sitemap></sitemapindex>",
        content_type="application/xml",
    )
    http_server.add("/news.xml.gz", gzip.compress(NEWS_SITEMAP), content_type="application/x-gzip")
    opml = OPML.replace(b"feeds/world.rss", b"/bomb.xml").replace(b"https://tech.example/feed", b"/tech-feed")
    http_server.add("/opml", opml, content_type="text/x-opml")
    http_server.add("/bomb.xml", BOMB, content_type="application/xml")
    policy = FetchPolicy(timeout=5, max_bytes=100_000, allow_private=True, retries=0)
    with TestPipeline() as p:
        records, errors, _ = p | ReadInputs([f"sitemap:{base}/", f"opml:{base}/opml"], policy)
        assert_that(
            records | beam.Map(lambda r: (r.input_kind, r.url, r.title)),
            equal_to(
                [
                    ("sitemap", "https://paper.example/a", "Story A"),
                    ("sitemap", "https://paper.example/b", None),
                ]
            ),
            label="records",
        )
        assert_that(
            errors | beam.Map(lambda e: (e["stage"], e["kind"], e["input_ref"].replace(base, ""))),
            equal_to(
                [
                    ("read", "no_link", "/news.xml.gz#url=2"),
                    ("read", "http_404", "/missing.xml"),
                    (
                        "read",
                        "bad_xml",
                        "/bomb.xml",
                    ),  # listed as a feed: feedparser refuses it, unexpanded
                    ("read", "http_404", "/tech-feed"),
                ]
            ),
            label="errors",
        )


def test_list_links_that_are_no_web_page_are_invalid_url_rows():
    """Sitemaps, sitemap indexes, robots.txt and OPML follow the rules of feeds (``list_link``)."""
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>urn:isbn:0451450523</loc></url><url><loc>https://paper.example/a</loc></url>
    <url><loc>file:///etc/passwd</loc></url></urlset>"""
    local = list(items_from_sitemap(urlset, Source("/srv/sitemap.xml")))
    assert [type(i).__name__ for i in local] == ["dict", "InputRecord", "InputRecord"]
    assert local[0]["kind"] == "invalid_url" and local[0]["input_ref"] == "/srv/sitemap.xml#url=0"
    assert local[0]["message"].startswith("sitemap entry 0 links to urn:isbn:0451450523")
    web = list(items_from_sitemap(urlset, Source("https://paper.example/sitemap.xml")))
    assert [i["kind"] if isinstance(i, dict) else i.url for i in web] == [
        "invalid_url",
        "https://paper.example/a",
        "unsafe_link",
    ]
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>mailto:webmaster@paper.example</loc></sitemap><sitemap><loc>/news.xml</loc></sitemap></sitemapindex>"""
    refused, listed = items_from_sitemap(index, Source("https://paper.example/index.xml"))
    assert (refused["kind"], refused["input_ref"]) == (
        "invalid_url",
        "https://paper.example/index.xml#sitemap=0",
    )
    assert listed.location == "https://paper.example/news.xml"
    robots = b"Sitemap: file:///etc/shadow\nSitemap: /s.xml\n"
    refused, listed = sitemaps_from_robots(robots, Source("https://paper.example/robots.txt", "sitemap"))
    assert (refused["kind"], refused["input_ref"]) == ("unsafe_link", "https://paper.example/robots.txt:1")
    assert listed.location == "https://paper.example/s.xml"
    opml = b"""<opml version="2.0"><body><outline xmlUrl="javascript:alert(1)"/>
    <outline xmlUrl="file:///etc/passwd"/><outline xmlUrl="https://tech.example/feed"/></body></opml>"""
    bad, unsafe, feed = sources_from_opml(opml, Source("https://me.example/subs.opml"))
    assert (bad["kind"], bad["input_ref"]) == ("invalid_url", "https://me.example/subs.opml#outline=0")
    assert bad["message"].startswith("OPML outline 0 links to javascript:alert(1)")
    assert unsafe["kind"] == "unsafe_link" and feed.location == "https://tech.example/feed"


def test_a_list_names_itself_as_the_parent_of_what_it_lists():
    (feed,) = [s for s in sources_from_opml(OPML, Source("/subs/list.opml")) if "tech" in s.location]
    assert feed.parent == "/subs/list.opml"
    index = b"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><sitemap><loc>/a.xml</loc></sitemap></sitemapindex>"
    (child,) = items_from_sitemap(index, Source("https://p.example/index.xml", "sitemap"))
    assert child.parent == "https://p.example/index.xml"
    (child,) = sitemaps_from_robots(b"Sitemap: /a.xml", Source("https://p.example/robots.txt", "sitemap"))
    assert child.parent == "https://p.example/robots.txt"


def test_errors_of_a_listed_source_name_the_list(http_server):
    """A missing, empty or too deeply nested sitemap says which index listed it; its input_ref
    stays its own location, which polling and RememberFeeds key on."""
    base = http_server.base
    sitemap_index = "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{}</sitemapindex>"
    listed = "".join(
        f"<sitemap><loc>{base}/{name}</loc></sitemap>"
        for name in ("sitemap-2.xml", "empty.xml", "deep-1.xml")
    )
    http_server.add("/sitemap-index.xml", sitemap_index.format(listed), content_type="application/xml")
    http_server.add(
        "/empty.xml",
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'/>",
        content_type="application/xml",
    )
    for level in (1, 2, 3):
        http_server.add(
            f"/deep-{level}.xml",
            sitemap_index.format(f"<sitemap><loc>{base}/deep-{level + 1}.xml</loc></sitemap>"),
            content_type="application/xml",
        )
    policy = FetchPolicy(timeout=5, max_bytes=100_000, allow_private=True, retries=0)
    with TestPipeline() as p:
        _, errors, _ = p | ReadInputs([f"sitemap:{base}/sitemap-index.xml"], policy)
        assert_that(
            errors
            | beam.Map(
                lambda e: (e["kind"], e["input_ref"].replace(base, ""), e["message"].replace(base, ""))
            ),
            equal_to(
                [
                    (
                        "http_404",
                        "/sitemap-2.xml",
                        "/sitemap-2.xml answered HTTP 404 Not Found (listed in /sitemap-index.xml)",
                    ),
                    ("empty", "/empty.xml", "/empty.xml holds no records (listed in /sitemap-index.xml)"),
                    (
                        "too_deep",
                        "/deep-4.xml",
                        "/deep-4.xml is nested more than 3 lists deep (listed in /deep-3.xml)",
                    ),
                ]
            ),
        )
