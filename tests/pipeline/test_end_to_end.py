"""End to end: ``newsbeam run`` on the samples plus a feed served on loopback, read back."""

import datetime as dt
import http.server
import json
import subprocess
import sys
import threading

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pytest

from newsbeam.pipeline.query import connect
from newsbeam.pipeline.run import sample_inputs
from tests.conftest import ROOT, SAMPLES, SEED

SAMPLE_INPUTS = 17  # 5 + 4 feed items, 5 JSONL lines, 2 text stories, 1 HTML page
SAMPLE_ARTICLES, SAMPLE_DUPLICATES, SAMPLE_ERRORS = 13, 1, 3


def _feed(base):
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>"
        for title, path in [
            ("Bridge", "/news/bridge"),
            ("Budget", "/news/budget?utm_source=rss"),
            ("Budget again", "/news/budget?utm_campaign=x&fbclid=1"),
            ("Gone", "/news/gone"),
            ("Picture", "/news/picture.png"),
        ]
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback</title>{items}</channel></rss>'


@pytest.fixture(scope="module")
def run_output(tmp_path_factory):
    """One real run through the CLI, in a subprocess, as a user runs it."""
    pages = {
        "/news/bridge": (SAMPLES / "pages" / "harbour-bridge-reopens.html").read_bytes(),
        "/news/budget": (SAMPLES / "pages" / "bristol-budget-vote.html").read_bytes(),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            path = self.path.split("?")[0]
            if path == "/feed.xml":
                status, ctype, body = 200, "application/rss+xml", _feed(self.server.base).encode()
            elif path in pages:
                status, ctype, body = 200, "text/html; charset=utf-8", pages[path]
            elif path.endswith(".png"):
                status, ctype, body = 200, "image/png", b"\x89PNG\r\n\x1a\n\x00\x00"
            else:
                status, ctype, body = 404, "text/plain", b"not found"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = tmp_path_factory.mktemp("out")
    inputs = sample_inputs() + [f"{server.base}/feed.xml"] + (["text:" + str(SEED)] if SEED.exists() else [])
    argv = [
        sys.executable,
        "-m",
        "newsbeam",
        "run",
        "--output",
        str(out),
        "--run_id",
        "e2e-1",
        "--show-query",
        "--allow_private_network",  # the feed is served on 127.0.0.1
    ]
    for spec in inputs:
        argv += ["--input", spec]
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
        server.server_close()
    return out, done, server.base


def test_run_exits_zero_and_prints_the_summary_and_the_query(run_output):
    out, done, _ = run_output
    assert done.returncode == 0, done.stderr
    seed = 1 if SEED.exists() else 0
    assert f"inputs read         {SAMPLE_INPUTS + 5 + seed:>8}" in done.stdout
    assert f"articles written    {SAMPLE_ARTICLES + seed:>8}" in done.stdout
    assert "Top 10 people named" in done.stdout and "Stefan Varga" in done.stdout
    assert "Traceback" not in done.stderr


def test_every_input_record_is_in_exactly_one_table(run_output):
    out, _, base = run_output
    con = connect(str(out))
    (run,) = con.execute(
        "SELECT inputs, articles, duplicates, errors FROM runs WHERE run_id = 'e2e-1'"
    ).fetchall()
    inputs, articles, duplicates, errors = run
    seed = 1 if SEED.exists() else 0
    assert (inputs, articles, duplicates, errors) == (
        SAMPLE_INPUTS + 5 + seed,
        SAMPLE_ARTICLES + seed,
        SAMPLE_DUPLICATES + 3,
        SAMPLE_ERRORS + 2,
    )
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == articles
    assert con.execute("SELECT count(*) FROM duplicates").fetchone()[0] == duplicates
    assert (
        con.execute("SELECT count(*) FROM errors WHERE stage IN ('read', 'fetch', 'parse')").fetchone()[0]
        == errors
    )
    refs = [
        r[0]
        for r in con.execute(
            "SELECT input_ref FROM articles UNION ALL SELECT input_ref FROM duplicates "
            "UNION ALL SELECT input_ref FROM errors WHERE stage <> 'extract'"
        ).fetchall()
    ]
    assert len(refs) == len(set(refs)) == inputs
    loopback = dict(con.execute("SELECT url, kind FROM errors WHERE url LIKE 'http://127.0.0.1%'").fetchall())
    assert loopback == {f"{base}/news/gone": "http_404", f"{base}/news/picture.png": "not_html"}


def test_copies_of_the_sample_pages_served_over_http_are_text_duplicates(run_output):
    """The loopback feed links the bundled bridge and budget pages (the budget one twice, with
    tracking parameters): same body, other URLs. The earliest-published copy, the bundled page
    read through the sample feed, is kept; its copies count says how many there were. The second
    budget link is the first one once tracking parameters are dropped, so it is never fetched:
    a ``url`` duplicate of what the first became, still counted in copies."""
    out, _, base = run_output
    con = connect(str(out))
    dups = con.execute(
        "SELECT d.url, d.reason, d.similarity, a.url, a.copies FROM duplicates d "
        "JOIN articles a ON a.article_id = d.duplicate_of WHERE d.url LIKE 'http://127.0.0.1%' ORDER BY 1"
    ).fetchall()
    kept_pages = [
        (u.removeprefix(base), r, s, k.rsplit("/", 1)[-1].split("?")[0], n) for u, r, s, k, n in dups
    ]
    assert kept_pages == [
        ("/news/bridge", "text", 1.0, "harbour-bridge-reopens.html", 2),
        ("/news/budget?utm_campaign=x&fbclid=1", "url", 1.0, "bristol-budget-vote.html", 3),
        ("/news/budget?utm_source=rss", "text", 1.0, "bristol-budget-vote.html", 3),
    ]
    # Every kept article is its own cluster; copies adds up to articles + duplicates.
    (clusters, copies) = con.execute(
        "SELECT count(DISTINCT cluster_id), sum(copies) FROM articles"
    ).fetchone()
    total = con.execute(
        "SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM duplicates)"
    ).fetchone()[0]
    assert clusters == con.execute("SELECT count(*) FROM articles").fetchone()[0] and copies == total


def test_types_and_partition_values_read_back_with_duckdb(run_output):
    out, _, _ = run_output
    con = connect(str(out))
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE articles)").fetchall())
    assert types["published_date"] == "DATE" and types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == "VARCHAR[]" and types["word_count"] == "INTEGER"
    con.execute("SET TimeZone = 'UTC'")
    mismatched = con.execute(
        "SELECT count(*) FROM articles WHERE published_date IS DISTINCT FROM CAST(published_at AS DATE)"
    ).fetchone()[0]
    assert mismatched == 0
    assert (
        con.execute("SELECT count(*) FROM articles WHERE published_date IS NULL").fetchone()[0] >= 1
    )  # text stories
    assert con.execute("SELECT count(DISTINCT article_id) = count(*) FROM articles").fetchone()[0]
    orphans = con.execute(
        "SELECT count(*) FROM entities WHERE article_id NOT IN (SELECT article_id FROM articles)"
    ).fetchone()[0]
    assert orphans == 0
    dates = {r[0] for r in con.execute("SELECT DISTINCT run_date FROM errors").fetchall()}
    assert len(dates) == 1 and isinstance(dates.pop(), dt.date)


def test_read_back_with_pyarrow_and_polars(run_output):
    out, _, _ = run_output
    table = ds.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
    days = {d for d in table.column("published_date").to_pylist()}
    assert "2026-11-20" in days and None in days
    frame = pl.read_parquet(out / "articles" / "**" / "*.parquet", hive_partitioning=True)
    assert frame.height == table.num_rows
    assert frame.filter(pl.col("language") == "de").height == 1


def test_seed_story_entities_in_the_output(run_output):
    if not SEED.exists():
        pytest.skip("seed story absent")
    out, _, _ = run_output
    con = connect(str(out))
    rows = con.execute(
        "SELECT e.text, e.label FROM entities e JOIN articles a USING (article_id) WHERE a.input_ref = ?",
        [str(SEED)],
    ).fetchall()
    people = {t for t, label in rows if label == "PERSON"}
    places = {t for t, label in rows if label in ("GPE", "LOC")}
    assert {"Vladimir Putin", "David Cameron", "Francois Hollande"} <= people
    assert {"Paris", "Syria", "Raqqa"} <= places
    (body,) = con.execute("SELECT text FROM articles WHERE input_ref = ?", [str(SEED)]).fetchone()
    assert "Akismet" not in body


def test_the_runs_row_records_options_and_versions(run_output):
    out, _, _ = run_output
    con = connect(str(out))
    options, versions = con.execute("SELECT options, versions FROM runs").fetchone()
    assert json.loads(options)["run_id"] == "e2e-1"
    assert {v["package"] for v in versions} >= {"newsbeam", "apache-beam", "newspaper4k", "spacy", "pyarrow"}


def test_nothing_else_is_left_in_the_output(run_output):
    out, _, _ = run_output
    from newsbeam.schemas import all_tables

    assert sorted(p.name for p in out.iterdir()) == sorted(all_tables())  # every table has rows here
    assert duckdb.connect().execute(f"SELECT count(*) FROM glob('{out}/**/*.parquet')").fetchone()[0] >= 5


def test_every_html_article_says_where_its_fields_came_from(run_output):
    out, _, _ = run_output
    con = connect(str(out))
    rows = con.execute(
        "SELECT title_source, published_source, authors_source, text_source, published_offset FROM articles "
        "WHERE input_kind IN ('rss', 'html') ORDER BY input_ref"
    ).fetchall()
    # The title is the <h1> each sample page shows; its JSON-LD headline is kept as declared.
    assert rows and all(row[:4] == ("html:h1", "json-ld", "json-ld", "trafilatura") for row in rows), rows
    assert {row[4] for row in rows} >= {"+00:00", "-05:00"}  # the samples' own zones, kept
    declared = con.execute(
        "SELECT [d.source FOR d IN declared_titles] FROM articles WHERE input_kind IN ('rss', 'html')"
    ).fetchall()
    assert all("json-ld" in sources for (sources,) in declared), declared
    (text_source,) = con.execute(
        "SELECT DISTINCT text_source FROM articles WHERE input_kind = 'text'"
    ).fetchone()
    assert text_source == "text"
