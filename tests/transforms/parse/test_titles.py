"""The headline a reader sees (which <h1> is the story's, what is declared beside it), the byline
when structured data names more people, and the zone a page dates its story in. Each rule is
pinned by a small hand-written page."""

import datetime as dt

import pytest

from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.parse.article import article_from_record
from tests.transforms.parse.test_parse import STORY

HEADLINE = "Harbour lock gates will open in spring after two years of repairs"


def _article(body: str, head: str = "", url: str = "https://portnews.example/2024/lock-gates") -> dict:
    html = f"<html lang='en'><head>{head}</head><body>{body}</body></html>"
    return article_from_record(InputRecord("p", "html", url, html=html))


def _declared(og: str = "", json_ld: str = "", title: str = "") -> str:
    head = f'<meta property="og:title" content="{og}">' if og else ""
    if json_ld:
        head += (
            f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{json_ld}"}}</script>'
        )
    return head + (f"<title>{title}</title>" if title else "")


def test_the_visible_h1_wins_over_an_seo_headline_which_is_kept_as_declared():
    head = _declared(og="Lock gates: what you need to know | Port News", json_ld="Lock gates to reopen")
    article = _article(f"<article><h1>{HEADLINE}</h1>{STORY}</article>", head)
    assert (article["title"], article["title_source"]) == (HEADLINE, "html:h1")
    assert article["declared_titles"] == [
        {"source": "json-ld", "text": "Lock gates to reopen"},
        {"source": "meta:og:title", "text": "Lock gates: what you need to know | Port News"},
    ]


def test_among_several_h1s_the_one_agreeing_with_a_declared_headline_wins():
    body = f"<h1>Log In</h1><article><h1>Jane Doe</h1><h1>{HEADLINE}</h1>{STORY}</article>"
    article = _article(body, _declared(og=f"{HEADLINE} | Port News"))
    assert article["title"] == HEADLINE


@pytest.mark.parametrize(
    "furniture",
    [
        "<header><h1><a href='/'>Port News</a></h1></header>",  # a logo
        "<a href='/other-story'><h1>Ferry fares to rise again next month</h1></a>",  # a teaser
        "<nav class='breadcrumb'><h1>Lock gates: all you need to know</h1></nav>",  # an SEO <h1>
        "<h1 class='sr-only'>Port News: the harbour's paper</h1>",  # for screen readers only
        "<aside><h1>Most read this week on the harbour</h1></aside>",
    ],
)
def test_logos_teasers_breadcrumbs_hidden_and_aside_h1s_are_passed_over(furniture):
    article = _article(f"{furniture}<article><h1>{HEADLINE}</h1>{STORY}</article>")
    assert (article["title"], article["title_source"]) == (HEADLINE, "html:h1")


def test_an_h1_that_agrees_with_nothing_is_still_the_headline_when_it_leads_the_story():
    article = _article(
        f"<main><h1>The quantum phantom</h1>{STORY}</main>", _declared(og="Ghostly particles explained")
    )
    assert article["title"] == "The quantum phantom"


def test_a_label_is_not_a_headline_and_the_declared_one_is_used():
    head = _declared(json_ld=HEADLINE, og="Something else entirely")
    article = _article(f"<header><h1>Football</h1></header><article>{STORY}</article>", head)
    assert (article["title"], article["title_source"]) == (HEADLINE, "json-ld")


def test_without_an_h1_the_declared_headline_less_the_site_name_is_the_title():
    article = _article(f"<article>{STORY}</article>", _declared(og=f"{HEADLINE} | Port News"))
    assert (article["title"], article["title_source"]) == (HEADLINE, "meta:og:title")


def test_a_kicker_set_inside_the_h1_is_not_part_of_the_headline():
    body = (
        "<article><h1><span class='headline-prefix'>Opinion</span> "
        f"<span>{HEADLINE}</span></h1>{STORY}</article>"
    )
    assert _article(body)["title"] == HEADLINE
    linked = f"<article><h1><a href='/politics/'>Politics | </a><span>{HEADLINE}</span></h1>{STORY}</article>"
    assert _article(linked)["title"] == HEADLINE


def test_a_kicker_the_publisher_declares_with_the_headline_and_shows_beside_it_is_kept():
    body = (
        "<article><div class='story-lead'><div class='keyword'>After two years</div>"
        f"<h1>{HEADLINE}</h1></div>{STORY}</article>"
    )
    article = _article(body, _declared(og=f"After two years: {HEADLINE}"))
    assert article["title"] == f"After two years: {HEADLINE}"


def test_the_declared_punctuation_mends_an_h1_split_across_spans():
    body = f"<article><h1><span>Lock gates</span> <span>{HEADLINE}</span></h1>{STORY}</article>"
    article = _article(body, _declared(og=f"Lock gates: {HEADLINE}"))
    assert article["title"] == f"Lock gates: {HEADLINE}"


def test_a_line_break_inside_an_h1_separates_words():
    article = _article(f"<article><h1>Harbour news<br>{HEADLINE}</h1>{STORY}</article>")
    assert article["title"] == f"Harbour news {HEADLINE}"


def test_plain_text_stories_have_no_declared_titles():
    article = article_from_record(InputRecord("t", "text", "file:///t.txt", text=f"{HEADLINE}\n\n{STORY}"))
    assert article["declared_titles"] is None


# ---------------------------------------------------------------- the page's zone


@pytest.mark.parametrize(
    "time_element, offset",
    [
        ('<time datetime="2023-12-23T05:30:00+11:00">December 23, 2023</time>', "+11:00"),
        ('<time datetime="2023-12-22 13:30:00">December 22, 2023 at 1:30 p.m.</time>', "-05:00"),
        ('<time datetime="2023-12-22T18:30:00Z">Dec. 22, 2023 1:30 pm EST</time>', "-05:00"),
    ],
)
def test_a_date_given_in_utc_takes_the_zone_the_page_shows_it_in(time_element, offset):
    head = '<meta property="article:published_time" content="2023-12-22T18:30:00Z">'
    article = _article(f"<article><h1>{HEADLINE}</h1>{time_element}{STORY}</article>", head)
    assert article["published_at"] == dt.datetime(2023, 12, 22, 18, 30, tzinfo=dt.timezone.utc)
    assert article["published_offset"] == offset


def test_a_time_of_another_instant_does_not_change_the_zone():
    head = '<meta property="article:published_time" content="2023-12-22T18:30:00Z">'
    other = '<time datetime="2023-12-24T09:00:00+11:00">Updated December 24</time>'
    article = _article(f"<article><h1>{HEADLINE}</h1>{other}{STORY}</article>", head)
    assert article["published_offset"] == "+00:00"


def test_json_ld_authors_narrowed_to_the_parsely_byline_when_it_names_some_of_them():
    """JSON-LD lists the editor beside the writer; Parse.ly's author tag is the byline."""
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Lock gates", '
        '"author": [{"@type": "Person", "name": "Aaron Klotz"}, {"@type": "Person", "name": "Sarah Purewal"}]}'
        '</script><meta name="parsely-author" content="Aaron Klotz">'
    )
    article = _article(f"<article><h1>{HEADLINE}</h1>{STORY}</article>", head)
    assert (article["authors"], article["authors_source"]) == (["Aaron Klotz"], "meta:parsely-author")
    other = head.replace('Aaron Klotz">', 'Jane Doe">')  # a tag naming someone else settles nothing
    assert _article(f"<article><h1>{HEADLINE}</h1>{STORY}</article>", other)["authors"] == [
        "Aaron Klotz",
        "Sarah Purewal",
    ]


def test_a_declared_headline_cut_short_does_not_replace_the_h1():
    article = _article(
        f"<article><h1>{HEADLINE}</h1>{STORY}</article>", _declared(json_ld=HEADLINE[:-7] + "...")
    )
    assert article["title"] == HEADLINE
