"""One whole run against a fault-injecting server: every kind of bad answer ends as the row it should.

The server on 127.0.0.1 serves an RSS feed, an OPML list (of an Atom feed and an XML bomb) and a
sitemap; their links answer 200, 301 chains, a redirect loop, 404, 410, 429 with Retry-After,
500 then 200, a hang, 50 MB, a PDF calling itself HTML, Latin-1 and Shift-JIS without a
charset, and a redirect to a private address. The run keeps the default address policy (only
127.0.0.1 itself is let through, so that the test's own server can be reached), and must finish
with every input record in exactly one table.
"""

from __future__ import annotations

import pytest

from newsbeam.pipeline.query import connect
from newsbeam.pipeline.run import run

WORDS = {
    "ok": "The city council approved a new tram line through the eastern districts on Monday evening.",
    "chain": "Firefighters brought a warehouse blaze near the river under control after six hours.",
    "busy": "The central bank kept its main interest rate unchanged for the third meeting in a row.",
    "flaky": "A rare orchid thought extinct for a century was found growing in a suburban garden.",
    "atom": "Teachers in the northern province began a three-day strike over pay and class sizes.",
    "site": "The national football team named a new coach after a disappointing qualifying campaign.",
}


def page(title: str, sentence: str) -> str:
    paragraphs = "".join(f"<p>{sentence} Paragraph {n} adds detail number {n * 7}.</p>" for n in range(1, 5))
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


LATIN1 = (
    "<html><head><title>Café à Montréal</title></head><body><article><h1>Café à Montréal</h1>"
    + "<p>Le café de la rue Saint-Denis a rouvert ses portes après des travaux d'été très longs.</p>" * 3
    + "</article></body></html>"
).encode("latin-1")
SJIS = (
    "<html><head><title>東京で新しい図書館が開館</title></head><body><article><h1>東京で新しい図書館が開館</h1>"
    + "<p>東京都は月曜日、区内に新しい公立図書館を開館したと発表した。蔵書は約二十万冊に上る。</p>" * 3
    + "</article></body></html>"
).encode("shift_jis")
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol4;</title><item><title>&lol4;</title></item></channel></rss>"""

#: feed item path → (table, error kind or None)
FEED_LINKS = {
    "/ok": ("articles", None),
    "/r1": ("articles", None),  # 301 → 301 → 200
    "/loop": ("errors", "too_many_redirects"),
    "/e404": ("errors", "http_404"),
    "/e410": ("errors", "http_410"),
    "/busy": ("articles", None),  # 429 with Retry-After: 1, then 200
    "/flaky": ("articles", None),  # 500, then 200
    "/hang": ("errors", "timeout"),
    "/huge": ("errors", "too_large"),
    "/pdf": ("errors", "not_html"),
    "/latin1": ("articles", None),
    "/sjis": ("articles", None),
    "/to-private": ("errors", "blocked_address"),
}


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory):
    from tests.conftest import serve

    with serve() as server:
        base = server.base
        items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in FEED_LINKS)
        server.add(
            "/feed.xml",
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>',
            content_type="application/rss+xml",
        )
        server.add(
            "/list.opml",
            f'<?xml version="1.0"?><opml version="2.0"><head/><body><outline type="rss" xmlUrl="{base}/atom.xml"/><outline type="rss" xmlUrl="{base}/bomb.xml"/></body></opml>',
            content_type="text/x-opml",
        )
        server.add(
            "/atom.xml",
            f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-20T00:00:00Z</updated><entry><title>Strike</title><id>urn:1</id><updated>2026-11-20T00:00:00Z</updated><link href="{base}/atom-story"/></entry></feed>',
            content_type="application/atom+xml",
        )
        server.add("/bomb.xml", BOMB, content_type="application/rss+xml")
        server.add("/sitemap.xml", f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/site-story</loc></url><url><loc>{base}/ok?utm_source=sitemap</loc></url></urlset>', content_type="application/xml")  # fmt: skip
        server.add("/ok", page("Tram line approved", WORDS["ok"]))
        server.add("/r1", "", status=301, headers={"Location": "/r2"})
        server.add("/r2", "", status=301, headers={"Location": f"{base}/chain-end"})
        server.add("/chain-end", page("Warehouse fire", WORDS["chain"]))
        server.add("/loop", "", status=302, headers={"Location": "/loop"})
        server.add("/e404", "gone", status=404, content_type="text/plain")
        server.add("/e410", "gone for good", status=410, content_type="text/plain")
        server.add("/busy", "slow down", status=429, content_type="text/plain", headers={"Retry-After": "1"})
        server.add("/busy", page("Rates unchanged", WORDS["busy"]))
        server.add("/flaky", "oops", status=500, content_type="text/plain")
        server.add("/flaky", page("Orchid found", WORDS["flaky"]))
        server.add("/hang", page("Never", WORDS["ok"]), delay=4.0)
        server.add("/huge", b"<html><body>" + b"x" * 50_000_000)
        server.add("/pdf", b"%PDF-1.7\n1 0 obj << >> endobj\n", content_type="text/html")
        server.add("/latin1", LATIN1, content_type="text/html")
        server.add("/sjis", SJIS, content_type="text/html")
        server.add("/to-private", "", status=302, headers={"Location": "http://10.20.30.40/inside"})
        server.add("/atom-story", page("Teachers strike", WORDS["atom"]))
        server.add("/site-story", page("New coach", WORDS["site"]))

        import newsbeam.transforms.common.fetching as fetching

        out = tmp_path_factory.mktemp("fault-out")
        real = fetching.blocked_address
        patch = pytest.MonkeyPatch()
        # Only the test's own server is let through; 10.20.30.40 is still refused.
        patch.setattr(fetching, "blocked_address", lambda a: None if a == "127.0.0.1" else real(a))
        try:
            outcome = run(
                ["--output", str(out), "--run_id", "faults", "--fetch_timeout", "1", "--fetch_retries", "1"]
                + ["--input", f"{base}/feed.xml", "--input", f"opml:{base}/list.opml"]
                + ["--input", f"sitemap:{base}/sitemap.xml"]
            )
        finally:
            patch.undo()
        yield outcome, base, server


def _rows(out: str, sql: str) -> list[tuple]:
    with connect(out) as con:
        return con.execute(sql).fetchall()


def test_the_run_finishes_and_accounts_for_every_record(fault_run):
    outcome, _, _ = fault_run
    row = outcome.runs_row
    # 13 feed items + 1 Atom entry + 2 sitemap URLs, and the bomb feed (one read error).
    assert row["inputs"] == 17
    assert row["inputs"] == row["articles"] + row["duplicates"] + row["errors"]


def test_each_fault_ends_in_the_row_it_should(fault_run):
    outcome, base, _ = fault_run
    errors = dict(_rows(outcome.output, "select url, kind from errors where stage = 'fetch'"))
    articles = {url for (url,) in _rows(outcome.output, "select url from articles")}
    for path, (table, kind) in FEED_LINKS.items():
        if table == "articles":
            assert f"{base}{path}" in articles, path
        else:
            assert errors.get(f"{base}{path}") == kind, path
    assert f"{base}/atom-story" in articles and f"{base}/site-story" in articles
    assert len(errors) == sum(table == "errors" for table, _ in FEED_LINKS.values())


def test_the_xml_bomb_is_a_read_error_and_the_sitemap_copy_a_duplicate(fault_run):
    outcome, base, _ = fault_run
    (bomb,) = _rows(outcome.output, "select input_ref, kind from errors where stage = 'read'")
    assert bomb == (f"{base}/bomb.xml", "bad_xml")
    dups = _rows(outcome.output, "select url, reason from duplicates")
    assert dups == [(f"{base}/ok?utm_source=sitemap", "url")]


def test_mislabelled_charsets_are_read_right(fault_run):
    outcome, base, _ = fault_run
    texts = dict(_rows(outcome.output, "select url, title from articles"))
    assert texts[f"{base}/latin1"] == "Café à Montréal"
    assert texts[f"{base}/sjis"] == "東京で新しい図書館が開館"


def test_retries_and_redirects_were_followed_as_asked(fault_run):
    _, _, server = fault_run
    assert server.hits.count("/busy") == 2 and server.hits.count("/flaky") == 2
    assert server.hits.count("/hang") == 2  # one retry after the timeout
    assert server.hits.count("/e404") == 1  # no retry on a 404
    assert server.hits.count("/loop") == 6  # the first request and five redirects
