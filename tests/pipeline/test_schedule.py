"""Runs on a schedule: the same feeds again and again into one output.

A second run fetches none of the pages it already has (``seen_link``), an unchanged feed
answers 304 and costs nothing, a passing failure is tried again, the state read is the
lookback window's, and a backfill's rows land on the day it covered.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from unittest import mock

import pytest

from newsbeam.pipeline.query import connect
from newsbeam.pipeline.run import run

PAGES = sorted((Path(__file__).parents[2] / "pipeline" / "samples" / "pages").glob("*.html"))


def rss(base: str, names: list[str]) -> str:
    items = "".join(
        f"<item><title>{name}</title><link>{base}/news/{name}?utm_source=rss</link></item>" for name in names
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def sitemap(base: str, names: list[str]) -> str:
    urls = "".join(f"<url><loc>{base}/news/{name}</loc></url>" for name in names)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def serve_pages(server, pages=PAGES, status: int = 200):
    for page in pages:
        server.add(f"/news/{page.stem}", page.read_bytes(), status=status)


def page_hits(server) -> list[str]:
    """The story pages the server was asked for (without query), in order."""
    return [hit.split("?")[0] for hit in server.hits if hit.startswith("/news/")]


def newsbeam(out, run_id: str, *specs: str, extra=()) -> dict:
    argv = ["--output", str(out), "--run_id", run_id, "--allow_private_network", "--fetch_retries", "0"]
    for spec in specs:
        argv += ["--input", spec]
    return run(argv + list(extra)).runs_row


def accounted(row: dict) -> bool:
    return row["inputs"] == row["articles"] + row["duplicates"] + row["errors"]


def test_a_second_run_of_the_same_feed_fetches_none_of_its_pages(http_server, tmp_path):
    out = tmp_path / "out"
    names = [p.stem for p in PAGES]
    serve_pages(http_server)
    http_server.add(
        "/feed.xml",
        rss(http_server.base, names[:7]),
        content_type="application/rss+xml",
        headers={"ETag": '"v1"'},
    )
    feed = f"rss:{http_server.base}/feed.xml"

    first = newsbeam(out, "r1", feed)
    assert len(page_hits(http_server)) == 7
    assert first["articles"] + first["duplicates"] + first["errors"] == 7 and accounted(first)

    # The feed gains one story: only that page is fetched; the seven it had are seen links.
    http_server.hits.clear()
    http_server.routes["/feed.xml"] = []
    http_server.add(
        "/feed.xml",
        rss(http_server.base, names),
        content_type="application/rss+xml",
        headers={"ETag": '"v2"'},
    )
    second = newsbeam(out, "r2", feed)
    assert page_hits(http_server) == [f"/news/{names[7]}"]
    assert http_server.conditional == ["/feed.xml"]  # it sent v1 back; the feed had changed
    assert (second["inputs"], second["duplicates"]) == (8, 7) and accounted(second)
    con = connect(str(out))
    seen = con.execute(
        "SELECT d.duplicate_of = l.article_id, d.similarity FROM duplicates d "
        "JOIN links l ON l.link = regexp_replace(d.url, '\\?utm_source=rss$', '') AND l.run_id = 'r1' "
        "WHERE d.run_id = 'r2' AND d.reason = 'seen_link'"
    ).fetchall()
    assert seen == [(True, 1.0)] * 7
    # Each link is remembered once, by the run that fetched it, with the article it led to.
    links = con.execute("SELECT run_id, count(*), count(DISTINCT link) FROM links GROUP BY run_id ORDER BY 1")
    assert [(r, n) for r, n, distinct in links.fetchall() if n == distinct] == [("r1", 7), ("r2", 1)]

    # Unchanged since: one 304, no parse, no page, nothing to account for, and no errors row.
    http_server.hits.clear()
    third = newsbeam(out, "r3", feed)
    assert http_server.hits == ["/feed.xml"]
    assert (third["inputs"], third["errors"], third["feeds_not_modified"]) == (0, 0, 1)
    feeds = (
        connect(str(out)).execute("SELECT run_id, status, etag, items FROM feeds ORDER BY run_id").fetchall()
    )
    assert feeds == [("r1", 200, '"v1"', 7), ("r2", 200, '"v2"', 8), ("r3", 304, '"v2"', 0)]


def test_a_link_listed_twice_in_one_run_is_fetched_once(http_server, tmp_path):
    names = [p.stem for p in PAGES[:3]]
    serve_pages(http_server, PAGES[:3])
    http_server.add("/feed.xml", rss(http_server.base, names), content_type="application/rss+xml")
    http_server.add("/sitemap.xml", sitemap(http_server.base, names), content_type="application/xml")
    row = newsbeam(
        tmp_path / "out", "r1", f"rss:{http_server.base}/feed.xml", f"sitemap:{http_server.base}/sitemap.xml"
    )
    assert sorted(page_hits(http_server)) == sorted(f"/news/{n}" for n in names)
    assert (row["inputs"], row["duplicates"]) == (6, 3) and accounted(row)
    con = connect(str(tmp_path / "out"))
    reasons = con.execute("SELECT DISTINCT reason, input_ref FROM duplicates").fetchall()
    assert {reason for reason, _ in reasons} == {"url"}
    assert all("sitemap.xml#url=" in ref for _, ref in reasons)  # the feed's item, with its title, is read
    # each copy points at its article, and the article counts it
    joined = con.execute(
        "SELECT a.copies, count(*) FROM duplicates d JOIN articles a ON a.article_id = d.duplicate_of GROUP BY ALL"
    ).fetchall()
    assert joined == [(2, 3)]


def test_a_passing_failure_is_fetched_again_and_its_feed_read_whole(http_server, tmp_path):
    out = tmp_path / "out"
    page = PAGES[0]
    http_server.add(f"/news/{page.stem}", b"busy", status=503)
    http_server.add(f"/news/{page.stem}", page.read_bytes())  # fine from the second request on
    http_server.add("/gone", b"gone", status=404)
    feed_xml = rss(http_server.base, [page.stem]).replace(
        "</channel>", f"<item><link>{http_server.base}/gone</link></item></channel>"
    )
    http_server.add("/feed.xml", feed_xml, content_type="application/rss+xml", headers={"ETag": '"v1"'})
    feed = f"rss:{http_server.base}/feed.xml"

    first = newsbeam(out, "r1", feed)
    assert (first["errors"], first["articles"]) == (2, 0)
    assert connect(str(out)).execute("SELECT etag FROM feeds").fetchall() == [(None,)]  # read whole next time

    http_server.hits.clear()
    second = newsbeam(out, "r2", feed)
    assert http_server.conditional == []
    assert page_hits(http_server) == [f"/news/{page.stem}"]  # the 503 again; the 404 is settled
    assert (second["articles"], second["duplicates"], second["errors"]) == (1, 1, 0)
    gone = (
        connect(str(out)).execute("SELECT outcome, error_kind FROM links WHERE link LIKE '%/gone'").fetchall()
    )
    assert gone == [("error", "http_404")]


def _urls(tmp_path: Path, base: str, pages) -> str:
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(f"{base}/news/{p.stem}\n" for p in pages), encoding="utf-8")
    return f"urls:{listing}"


def test_refetch_after_reads_a_story_again_and_it_stays_one_article(http_server, tmp_path):
    out = tmp_path / "out"
    serve_pages(http_server, PAGES[:2])
    urls = _urls(tmp_path, http_server.base, PAGES[:2])
    newsbeam(out, "r1", urls)
    http_server.hits.clear()
    assert newsbeam(out, "r2", urls)["duplicates"] == 2 and page_hits(http_server) == []
    again = newsbeam(out, "r3", urls, extra=["--refetch_after", "0"])
    assert len(page_hits(http_server)) == 2
    assert (again["articles"], again["duplicates"]) == (0, 2)
    reasons = connect(str(out)).execute("SELECT reason FROM duplicates WHERE run_id = 'r3'").fetchall()
    assert reasons == [("url",), ("url",)]  # read again, and still the article r1 kept


@pytest.mark.parametrize("lookback, refetched", [(30, 0), (5, 2)])
def test_state_is_read_from_the_lookback_window_only(http_server, tmp_path, lookback, refetched):
    out = tmp_path / "out"
    serve_pages(http_server, PAGES[:2])
    urls = _urls(tmp_path, http_server.base, PAGES[:2])
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)
    with mock.patch("newsbeam.pipeline.run.utc_now", return_value=start):
        first = newsbeam(out, "r1", urls)
    assert first["state_bytes_read"] == 0
    http_server.hits.clear()
    later = start + dt.timedelta(days=10)
    with mock.patch("newsbeam.pipeline.run.utc_now", return_value=later):
        second = newsbeam(out, "r2", urls, extra=["--dedup_lookback_days", str(lookback)])
    assert len(page_hits(http_server)) == refetched
    if refetched:
        assert second["state_bytes_read"] == 0  # day 1 is outside a 5-day window: pruned, not read
        assert (second["articles"], second["duplicates"]) == (2, 0)  # ...so the stories are new to it
    else:
        tables = {"fingerprints", "links", "feeds"}
        files = [f for f in (out).rglob("run_date=2026-03-01/*.parquet") if f.parts[-3] in tables]
        assert second["state_bytes_read"] == sum(f.stat().st_size for f in files) > 0
        assert second["duplicates"] == 2


def test_a_link_still_listed_is_carried_through_the_window_and_one_no_longer_listed_falls_out(
    http_server, tmp_path
):
    """With a 1-day window (the run's day and the one before), a link the list keeps for days is
    fetched once: when its newest row is in the window's first day, the run writes it again into
    its own day (with a 30-day window, once in 30 days). A link missing from the list for longer
    than the window falls out and is fetched again."""
    out = tmp_path / "out"
    serve_pages(http_server, PAGES[:2])
    both, first_only = _urls(tmp_path, http_server.base, PAGES[:2]), None
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)
    window = ["--dedup_lookback_days", "1"]

    def run_on(day: int, run_id: str, spec: str) -> dict:
        with mock.patch("newsbeam.pipeline.run.utc_now", return_value=start + dt.timedelta(days=day)):
            return newsbeam(out, run_id, spec, extra=window)

    run_on(0, "d0", both)
    (tmp_path / "one").mkdir()
    first_only = _urls(tmp_path / "one", http_server.base, PAGES[:1])
    http_server.hits.clear()
    days = [run_on(1, "d1", first_only), run_on(1, "d1b", first_only), run_on(2, "d2", first_only)]
    days.append(run_on(3, "d3", both))
    assert [row["duplicates"] for row in days] == [1, 1, 1, 1]
    assert page_hits(http_server) == [f"/news/{PAGES[1].stem}"]  # only the one that left the list
    con = connect(str(out))
    carried = con.execute(
        "SELECT run_id, count(*), count(DISTINCT fetched_at) FROM links WHERE link LIKE ? GROUP BY 1 ORDER BY 1",
        [f"%/news/{PAGES[0].stem}"],
    ).fetchall()
    # written by the fetch, then carried by the first run of each later day (its newest row was in
    # that run's first window day), not by d1b: by then its newest row was d1's, in its own day
    assert carried == [("d0", 1, 1), ("d1", 1, 1), ("d2", 1, 1), ("d3", 1, 1)]
    fetched_at = con.execute(
        "SELECT DISTINCT fetched_at FROM links WHERE link LIKE ?", [f"%/news/{PAGES[0].stem}"]
    )
    assert len(fetched_at.fetchall()) == 1  # a carried row keeps the fetch's time (--refetch_after)


def test_a_backfill_lands_on_the_day_it_covered(tmp_path):
    out = tmp_path / "out"
    dump = tmp_path / "day.jsonl"
    story = {
        "url": "https://a.example/s",
        "title": "S",
        "text": "Word " * 80,
        "published": "2023-12-22T08:00:00Z",
    }
    bad = "{not json"
    dump.write_text(json.dumps(story) + "\n" + json.dumps(story) + "\n" + bad + "\n", encoding="utf-8")
    row = newsbeam(out, "r1", f"jsonl:{dump}", extra=["--run_date", "2023-12-22"])
    assert (row["articles"], row["duplicates"], row["errors"]) == (1, 1, 1)
    assert row["started_at"].date() != dt.date(2023, 12, 22)  # the wall clock stays the wall clock
    for table in ("runs", "errors", "duplicates", "fingerprints", "links", "articles"):
        days = {p.name for p in (out / table).glob("*=*")}
        assert days == {"run_date=2023-12-22"} or (
            table == "articles" and days == {"published_date=2023-12-22"}
        ), (
            table,
            days,
        )
