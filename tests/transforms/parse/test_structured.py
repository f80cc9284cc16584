"""Structured data a page states about itself: JSON-LD (with @graph), OpenGraph, meta tags."""

import lxml.html

from newsbeam.transforms.parse.structured import page_evidence

GRAPH_PAGE = """<html lang="de-AT"><head>
<title>Headline here | Die Zeitung</title>
<meta property="og:title" content="Headline here">
<meta property="og:site_name" content="Die Zeitung">
<meta property="og:image" content="https://z.at/img.jpg">
<meta name="author" content="https://z.at/autoren/anna">
<meta property="article:published_time" content="2024-05-03T15:47:42+02:00">
<meta property="article:modified_time" content="2024-05-04T09:00:00+02:00">
<link rel="canonical" href="https://z.at/story/1">
<script type="application/ld+json">
<!--
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "@id": "https://z.at/#site", "name": "Die Zeitung"},
  {"@type": "Organization", "@id": "https://z.at/#org", "name": "Die Zeitung GmbH"},
  {"@type": "Person", "@id": "https://z.at/#anna", "name": "Anna Fink"},
  {"@type": ["NewsArticle"], "headline": "Headline &quot;here&quot;", "datePublished": "2024-05-03T15:47:42+02:00",
   "dateModified": "2024-05-04T09:00:00+02:00",
   "author": [{"@id": "https://z.at/#anna"}, {"@type": "Person", "name": "Jan  Marchart"}, {"@type": "Organization", "name": "APA"}],
   "publisher": {"@id": "https://z.at/#org"}}
]}
-->
</script></head><body><main><h1>Headline here</h1><p>Body.</p></main></body></html>"""


def test_json_ld_graph_gives_headline_authors_dates_and_publisher():
    evidence = page_evidence(lxml.html.fromstring(GRAPH_PAGE))
    assert evidence.title[0] == ("json-ld", 'Headline "here"')  # entities unescaped
    assert evidence.authors[0] == ("json-ld", ["Anna Fink", "Jan Marchart"])  # @id resolved, no Organization
    assert evidence.published[0] == ("json-ld", "2024-05-03T15:47:42+02:00")
    assert ("json-ld", "2024-05-04T09:00:00+02:00") in evidence.modified
    assert ("json-ld", "Die Zeitung GmbH") in evidence.site_name


def test_meta_tags_and_page_facts():
    evidence = page_evidence(lxml.html.fromstring(GRAPH_PAGE))
    assert ("meta:og:title", "Headline here") in evidence.title
    assert ("meta:article:published_time", "2024-05-03T15:47:42+02:00") in evidence.published
    assert all(source != "meta:author" for source, _ in evidence.authors)  # a URL is not a name
    assert ("meta:og:site_name", "Die Zeitung") in evidence.site_name
    assert (evidence.language, evidence.image, evidence.canonical_url) == (
        "de",
        "https://z.at/img.jpg",
        "https://z.at/story/1",
    )
    assert (evidence.h1, evidence.html_title) == ("Headline here", "Headline here | Die Zeitung")


def test_broken_json_ld_is_skipped_and_news_types_come_first():
    page = """<html><head>
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": broken</script>
    <script type="application/ld+json">[{"@type": "BlogPosting", "headline": "Blog"},
      {"@type": "ReportageNewsArticle", "headline": "News", "author": "Ann Lee"}]</script>
    </head><body></body></html>"""
    evidence = page_evidence(lxml.html.fromstring(page))
    assert evidence.title[0] == ("json-ld", "News")
    assert evidence.authors[0] == ("json-ld", ["Ann Lee"])


def test_a_page_without_structured_data_has_empty_evidence():
    evidence = page_evidence(lxml.html.fromstring("<html><body><p>x</p></body></html>"))
    assert (evidence.title, evidence.authors, evidence.published, evidence.h1) == ([], [], [], None)


def test_json_ld_nested_too_deep_is_passed_over():
    deep = "[" * 50_000 + "]" * 50_000
    shallow = '{"@type": "NewsArticle", "headline": "Found", "about": ' + "[" * 100 + "]" * 100 + "}"
    page = (
        f'<html><head><script type="application/ld+json">{deep}</script>'
        f'<script type="application/ld+json">{shallow}</script></head><body></body></html>'
    )
    assert page_evidence(lxml.html.fromstring(page)).title == [("json-ld", "Found")]


def test_a_person_whose_name_is_a_list_gives_every_name():
    page = """<html><head><script type="application/ld+json">
    {"@type": "NewsArticle", "headline": "Shooting reported",
     "author": {"@type": "Person", "name": ["Travis Andersen", "Adam Sennott"]}}
    </script></head><body><p>Body.</p></body></html>"""
    assert page_evidence(lxml.html.fromstring(page)).authors == [
        ("json-ld", ["Travis Andersen", "Adam Sennott"])
    ]


def test_chartbeat_s_author_setting_is_a_byline():
    page = """<html><head><script>var _sf_async_config = {};
    _sf_async_config.authors = 'John Aubrey Douglass'; _sf_async_config.sections = 'Opinion';
    </script></head><body><p>Body.</p></body></html>"""
    assert page_evidence(lxml.html.fromstring(page)).authors == [
        ("script:chartbeat", ["John Aubrey Douglass"])
    ]
