"""The Python API: ``newsbeam.parse``, ``run``, ``read_table``, ``schema`` and ``TABLES``, each the
same code path as the command line, and the examples in their docstrings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import doctest
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import newsbeam
import newsbeam.api
from newsbeam.pipeline.query import connect
from newsbeam.schemas import all_tables
from tests.conftest import ROOT, SAMPLES

PAGE = SAMPLES / "pages" / "hamburg-logistikzentrum-eroeffnet.html"


def test_the_public_names_are_the_api_and_nothing_else():
    assert set(newsbeam.__all__) == {
        "parse", "run", "read_table", "schema", "TABLES", "Article", "RunSummary", "ParseError", "__version__",
    }  # fmt: skip
    assert all(getattr(newsbeam, name) is not None for name in newsbeam.__all__)


def test_the_docstring_examples_run():
    failed, attempted = doctest.testmod(newsbeam.api, optionflags=doctest.ELLIPSIS)
    assert attempted >= 3 and failed == 0


def test_the_one_liner_from_a_folder_outside_the_repository(tmp_path):
    """The installed package, not the checkout: run from elsewhere, as a user would."""
    shutil.copy(PAGE, tmp_path / "page.html")
    code = (
        "import newsbeam; print(newsbeam.parse(open('page.html').read(), url='https://example.com/a').title)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Castellan Logistics eröffnet Verteilzentrum im Hamburger Hafen"  # its <h1>


def test_an_article_has_every_articles_column_in_order():
    table = all_tables()["articles"]
    names = [f.name for f in dataclasses.fields(newsbeam.Article)]
    assert names == table.columns + [table.partition_key]
    assert names == newsbeam.schema("articles").names


def test_parse_is_the_command_line_s_parse(capsys):
    from newsbeam.pipeline.cli import main

    url = "https://news.example.org/hamburg"
    assert main(["parse", str(PAGE), "--url", url]) == 0
    printed = json.loads(capsys.readouterr().out)
    article = newsbeam.parse(PAGE.read_bytes(), url=url).as_row()
    assert set(printed) == set(article)
    for column, value in article.items():
        if column in ("ingested_at", "input_ref"):  # the clock; a file path against the string's URL
            continue
        shown = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
        assert printed[column] == shown, column


def test_parse_gives_the_row_a_run_writes(sample_output):
    """The sample run reads this page directly: its articles row and parse's agree on every
    column but the run's own (run_id, when it was ingested, the input reference)."""
    written = connect(str(sample_output)).execute(
        "SELECT * FROM articles WHERE input_kind = 'html' AND url LIKE '%hamburg-logistikzentrum%'"
    )
    columns = [d[0] for d in written.description]
    (row,) = [dict(zip(columns, values, strict=True)) for values in written.fetchall()]
    article = newsbeam.parse(PAGE.read_bytes(), url=row["url"]).as_row()
    for column in columns:
        if column in ("run_id", "ingested_at", "input_ref", "captured_at"):
            continue
        assert article[column] == row[column], column
    assert row["run_id"] == "runners-1" and article["run_id"] is None


def test_a_page_without_an_article_is_a_parse_error_with_its_kind():
    with pytest.raises(newsbeam.ParseError) as err:
        newsbeam.parse("<html><body><nav><a href='/'>Home</a></nav></body></html>", url="https://x.example/")
    assert err.value.kind == "no_text"
    with pytest.raises(newsbeam.ParseError) as err:
        newsbeam.parse("<html><body>" + "<b>x</b>" * 100_001 + "</body></html>")
    assert err.value.kind == "too_complex" and str(err.value).startswith("too_complex: ")


def test_a_feed_or_a_dump_is_not_one_page():
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>A</title></item></channel></rss>'
    dump = '{"url": "https://a.example/1", "html": "<p>one</p>"}\n{"url": "https://a.example/2", "html": "<p>two</p>"}\n'
    for data in (feed, dump):
        with pytest.raises(newsbeam.ParseError) as err:
            newsbeam.parse(data)
        assert err.value.kind == "several_stories" and "newsbeam.run" in str(err.value)


def test_a_json_feed_is_not_one_page_and_says_what_it_is():
    feed = '{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "url": "https://a.example/1"}]}'
    with pytest.raises(newsbeam.ParseError) as err:
        newsbeam.parse(feed)
    assert err.value.kind == "several_stories"
    assert "a JSON Feed of many stories" in str(err.value) and "newsbeam.run" in str(err.value)


def test_parse_without_a_url_takes_the_page_s_canonical_url():
    page = PAGE.read_text(encoding="utf-8")
    article = newsbeam.parse(page)
    assert article.url == "about:blank"
    assert article.canonical_url.startswith("https://")  # the sample page declares one
    assert article.article_id == newsbeam.parse(page, url=article.canonical_url).article_id


def test_schema_of_every_table():
    assert newsbeam.TABLES == tuple(all_tables())
    for name in newsbeam.TABLES:
        spec, found = all_tables()[name], newsbeam.schema(name)
        assert found.names == spec.columns + [spec.partition_key]
        assert found.field(spec.partition_key).type == pa.date32()
        assert all(f.metadata and f.metadata[b"description"] for f in found)
        assert found.metadata[b"newsbeam.table"] == name.encode()
    with pytest.raises(ValueError, match="no table 'article'"):
        newsbeam.schema("article")


def test_read_table_gives_the_committed_rows_with_the_schema(sample_output):
    con = connect(str(sample_output))
    for name in newsbeam.TABLES:
        table = newsbeam.read_table(str(sample_output), name)
        assert table.schema.equals(newsbeam.schema(name)), name
        assert table.num_rows == con.execute(f"SELECT count(*) FROM {name}").fetchone()[0], name
    articles = newsbeam.read_table(str(sample_output), "articles")
    dates = {d for d in articles["published_date"].to_pylist()}
    assert dt.date(2026, 11, 23) in dates  # from the folder names
    with pytest.raises(ValueError, match="no table"):
        newsbeam.read_table(str(sample_output), "nope")


def test_read_table_leaves_out_a_run_that_did_not_commit(sample_output, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(sample_output, out)
    (published,) = list((out / "errors").rglob("*.parquet"))[:1]
    rows = pq.read_table(published)
    orphan = rows.set_column(
        rows.schema.get_field_index("run_id"), "run_id", pa.array(["no-runs-row"] * rows.num_rows)
    )
    pq.write_table(orphan, published.parent / "part-no-runs-row-00000.parquet")  # files, but no runs row
    errors = newsbeam.read_table(str(out), "errors")
    assert errors.num_rows == rows.num_rows and set(errors["run_id"].to_pylist()) == {"runners-1"}


def test_read_table_reads_old_schema_versions_with_nulls(tmp_path):
    from newsbeam.pipeline.cli import main

    first = tmp_path / "out"  # articles v1, before cluster_id, copies, ...
    shutil.copytree(ROOT / "tests" / "schemas" / "fixtures" / "884d458", first)
    with pytest.raises(ValueError, match="newsbeam migrate"):
        newsbeam.read_table(str(first), "articles")
    assert main(["migrate", "--output", str(first)]) == 0
    articles = newsbeam.read_table(str(first), "articles")
    assert newsbeam.read_table(str(first), "articles", as_of=dt.datetime(2000, 1, 1)).num_rows == 0
    assert articles.num_rows == 1 and articles.schema.equals(newsbeam.schema("articles"))
    assert articles["copies"].to_pylist() == [None] and articles["run_id"].to_pylist() == ["fixture"]


def test_read_table_of_a_fresh_output_is_empty(tmp_path):
    table = newsbeam.read_table(str(tmp_path), "articles")
    assert table.num_rows == 0 and table.schema.equals(newsbeam.schema("articles"))


def test_run_is_the_command_line_s_run(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("bristol-budget-vote.html", "harbour-bridge-reopens.html"):
        shutil.copy(SAMPLES / "pages" / name, pages / name)
    (pages / "empty.html").write_text("")
    summary = newsbeam.run(str(pages), str(tmp_path / "out"), run_id="api-1", quiet=True)
    assert isinstance(summary, newsbeam.RunSummary)
    assert (summary.run_id, summary.inputs, summary.articles, summary.errors) == ("api-1", 3, 2, 1)
    assert summary.inputs == summary.articles + summary.duplicates + summary.errors
    assert summary.rows["articles"] == newsbeam.read_table(summary.output, "articles").num_rows == 2
    assert summary.rows["runs"] == 1 and summary.files["articles"] >= 1
    again = newsbeam.run([str(pages)], str(tmp_path / "out"), run_id="api-1", quiet=True)
    assert again.already_committed and again.articles == 2  # a retry writes nothing twice


@pytest.mark.parametrize(
    "inputs, options, message",
    [
        ("no/such/folder", {}, "matches no files"),
        (str(SAMPLES / "pages"), {"frobnicate": 1}, "unknown option"),
        (str(SAMPLES / "pages"), {"max_articles": "many"}, "invalid int value"),
        (str(SAMPLES / "pages"), {"run_date": "last week"}, "is not a date"),
    ],
)
def test_run_refuses_what_the_command_line_refuses(tmp_path, inputs, options, message):
    with pytest.raises(ValueError, match=message):
        newsbeam.run(inputs, str(tmp_path / "out"), quiet=True, **options)
    assert not list((tmp_path / "out").rglob("*.parquet"))


def test_importing_newsbeam_loads_neither_beam_nor_the_parsers():
    code = "import sys, newsbeam; print(sorted(m for m in ('apache_beam', 'trafilatura', 'pyarrow', 'spacy') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path("/"), timeout=60
    )
    assert done.stdout.strip() == "[]", done.stderr
