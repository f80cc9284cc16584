"""The newsbeam command: exit codes, messages, parse and query."""

import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tempfile

import pytest

from newsbeam.pipeline.cli import EXIT_SIGPIPE, format_table, main
from newsbeam.pipeline.page import several_stories
from tests.conftest import ROOT, SAMPLES
from tests.transforms.read.test_warc import write_warc

PAGE = SAMPLES / "pages" / "harbour-bridge-reopens.html"


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    """A small real run on the bundled JSONL dump and stories."""
    out = tmp_path_factory.mktemp("out")
    code = main(
        [
            "run",
            "--input",
            str(SAMPLES / "dumps"),
            "--input",
            str(SAMPLES / "stories"),
            "--output",
            str(out),
            "--run_id",
            "cli-1",
        ]
    )
    assert code == 0
    return out


def test_a_second_run_of_the_same_stories_adds_up_and_writes_them_once(output, capsys):
    # The fixture ran already; run the stories again into the same output.
    code = main(["run", "--input", str(SAMPLES / "stories"), "--output", str(output), "--run_id", "cli-2"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "inputs read                2" in printed and "duplicates dropped         2" in printed
    assert "articles written           0" in printed and "accounted for              2" in printed
    from newsbeam.pipeline.query import run_query

    _, rows = run_query(
        str(output),
        "SELECT d.duplicate_of, d.reason, a.run_id FROM duplicates d JOIN articles a ON a.article_id = d.duplicate_of "
        "WHERE d.run_id = 'cli-2' ORDER BY 1",
    )
    # Each is a duplicate of the article the first run wrote, by its URL: the same story, the same id.
    assert [(reason, run) for _, reason, run in rows] == [("url", "cli-1"), ("url", "cli-1")]
    # With --ignore_earlier_runs they are written again, under the same ids.
    code = main(
        [
            "run",
            "--input",
            str(SAMPLES / "stories"),
            "--output",
            str(output),
            "--run_id",
            "cli-3",
            "--ignore_earlier_runs",
        ]
    )
    assert code == 0
    _, rows = run_query(
        str(output),
        "SELECT run_id, list_sort(list(article_id)) FROM articles WHERE input_kind = 'text' GROUP BY run_id",
    )
    ids = dict(rows)
    assert ids["cli-1"] == ids["cli-3"] and len(ids["cli-3"]) == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["run", "--input", str(SAMPLES / "stories"), "--bogus_option", "1"],
            "unknown option(s) --bogus_option",
        ),
        (["run", "--input", "/nonexistent/feeds/*.xml"], "matches no files"),
        (["run", "--input", str(SAMPLES / "stories"), "--run_id", "../escape"], "--run_id"),
        (["parse", "/nonexistent.html"], "no such file"),
        (["query", "--output", "/nonexistent-dir", "SELECT 1"], "does not exist"),
        (["run", "--input", str(SAMPLES / "stories"), "--compact_files", "-1"], "--compact_files"),
        (
            ["run", "--input", str(SAMPLES / "stories"), "--nlp_batch_chars", "0"],
            "--nlp_batch_chars must be 1",
        ),
        (
            ["run", "--input", str(SAMPLES / "stories"), "--entity_batch_size", "0"],
            "--entity_batch_size must be 1",
        ),
        (["compact", "--output", "/nonexistent-dir"], "does not exist"),
        (["compact", "--output", str(SAMPLES)], "holds no newsbeam tables"),
        (["history", "--output", str(SAMPLES), "--table", "nope"], "holds no newsbeam tables"),
        (["vacuum", "--output", "/nonexistent-dir"], "does not exist"),
        (["migrate", "--output", "/nonexistent-dir"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(argv, message, capsys, tmp_path):
    code = main(argv + (["--output", str(tmp_path)] if argv[0] == "run" else []))
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_argparse_usage_errors_exit_2():
    done = subprocess.run(
        [sys.executable, "-m", "newsbeam", "frobnicate"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_a_failing_run_exits_1_without_traceback_unless_verbose(tmp_path, capsys):
    argv = ["run", "--input", str(SAMPLES / "stories"), "--output", str(tmp_path), "--runner", "NoSuchRunner"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "run failed" in err and "NoSuchRunner" in err and "Traceback" not in err
    assert main(["--verbose"] + argv) == 1
    assert "Traceback" in capsys.readouterr().err


def test_parse_prints_the_article_as_json(capsys):
    assert main(["parse", str(PAGE), "--url", "https://news.example.org/x?utm_source=rss"]) == 0
    article = json.loads(capsys.readouterr().out)
    assert article["title"].startswith("Bristol’s Saltmarsh Bridge")
    assert article["canonical_url"] == "https://news.example.org/2026/11/harbour-bridge-reopens"
    assert article["published_at"] == "2026-11-20T07:30:00+00:00"
    assert len(article["article_id"]) == 32 and article["authors"] == ["Fiona Caldwell"]


def test_parse_reads_gzipped_pages(tmp_path, capsys):
    import gzip

    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(PAGE.read_bytes()))
    assert main(["parse", str(packed)]) == 0
    assert json.loads(capsys.readouterr().out)["authors"] == ["Fiona Caldwell"]


def test_parse_text_format_prints_only_the_body(capsys):
    assert main(["parse", str(PAGE), "--format", "text"]) == 0
    body = capsys.readouterr().out
    assert main(["parse", str(PAGE)]) == 0
    assert body == json.loads(capsys.readouterr().out)["text"] + "\n"
    assert "Saltmarsh Bridge" in body and "Akismet" not in body


def test_parse_reads_standard_input(seed_text):
    done = subprocess.run(
        [sys.executable, "-m", "newsbeam", "parse", "-", "--format", "text"],
        input=seed_text,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert "Vladimir Putin vowed" in done.stdout and "Akismet" not in done.stdout


def test_parse_of_a_page_without_text_fails_with_the_reason(tmp_path, capsys):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav>Home</nav></body></html>")
    assert main(["parse", str(empty)]) == 1
    assert "no_text" in capsys.readouterr().err


def _plain_warc(path):
    write_warc(path)  # gzipped record by record, whatever the name
    path.write_bytes(gzip.decompress(path.read_bytes()))


def _arc(path):
    body = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE.read_bytes()
    about = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    path.write_bytes(
        b"filedesc://crawl.arc 0.0.0.0 20261120090000 text/plain %d\n%b\n" % (len(about), about)
        + b"https://news.example.org/a 1.2.3.4 20261120090000 text/html %d\n%b\n" % (len(body), body)
    )


def _sample(name):
    return lambda path: path.write_bytes((SAMPLES / name).read_bytes())


def _text(text):
    return lambda path: path.write_text(text)


SITEMAP = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://news.example.org/a</loc></url></urlset>'
OPML = '<?xml version="1.0"?><opml version="2.0"><body><outline xmlUrl="https://news.example.org/feed"/></body></opml>'
JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [{"id": "1", "url": "https://news.example.org/a"}],
    }
)
#: Its version after 64 KB of items, past what a sniff reads: only the whole document says what it is.
LATE_VERSION_JSON_FEED = json.dumps(
    {"items": [{"id": str(n), "url": f"https://news.example.org/{n}"} for n in range(3000)],
     "version": "https://jsonfeed.org/version/1"}
)  # fmt: skip


@pytest.mark.parametrize(
    "name, write, what, kind",
    [
        ("capture.warc", _plain_warc, "a WARC archive of many pages", ""),
        ("capture.warc.gz", write_warc, "a WARC archive of many pages", ""),
        ("capture", write_warc, "a WARC archive of many pages", ""),  # gzipped, and only the content says so
        ("crawl.arc", _arc, "an ARC archive of many pages", ""),
        ("wire.jsonl", _sample("dumps/wire.jsonl"), "a JSON lines dump, a story a line", ""),
        ("wire.txt", _sample("dumps/wire.jsonl"), "a JSON lines dump, a story a line", "jsonl:"),
        ("world.xml", _sample("feeds/world.rss"), "an RSS feed of many stories", ""),
        ("business.xml", _sample("feeds/business.atom"), "an Atom feed of many stories", ""),
        ("sitemap.xml", _text(SITEMAP), "a sitemap of many pages", ""),
        ("feeds.opml", _text(OPML), "an OPML list of feeds", ""),
        ("feed.json", _text(JSON_FEED), "a JSON Feed of many stories", ""),
        ("late.json", _text(LATE_VERSION_JSON_FEED), "a JSON Feed of many stories", "jsonfeed:"),
        (
            "links.txt",
            _text("https://news.example.org/a\nhttps://news.example.org/b\n"),
            "a list of URLs",
            "urls:",
        ),
    ],
)
def test_parse_turns_a_file_of_many_stories_to_newsbeam_run(tmp_path, capsys, name, write, what, kind):
    path = tmp_path / name
    write(path)
    assert main(["parse", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"newsbeam: error: {path} is {what}, and newsbeam parse reads one page; "
        f"to read them all: newsbeam run --input {kind}{path} --output out\n"
    )


def test_parse_turns_a_json_document_and_a_piped_warc_away(tmp_path, capsys, monkeypatch):
    story = tmp_path / "story.json"
    story.write_text(json.dumps({"url": "https://news.example.org/a", "text": "A story. " * 40}, indent=2))
    assert main(["parse", str(story)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"newsbeam: error: {story} is a JSON document, not a page or a text story;")
    assert "newsbeam run --input stories.jsonl --output out" in err

    write_warc(tmp_path / "capture")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((tmp_path / "capture").read_bytes())))
    assert main(["parse", "-"]) == 2
    assert capsys.readouterr().err.startswith(
        "newsbeam: error: standard input is a WARC archive of many pages"
    )


@pytest.mark.parametrize(
    "page", sorted((SAMPLES / "pages").iterdir()) + sorted((SAMPLES / "stories").iterdir())
)
def test_every_bundled_page_and_story_is_one_page(page):
    assert several_stories(page.read_bytes(), page.name) is None


@pytest.mark.parametrize(
    "argv, unbuffered",
    [([], ""), (["--explain"], ""), (["--format", "text"], "1")],  # "": block-buffered, as a pipe is
)
def test_parse_into_a_closed_pipe_ends_quietly(argv, unbuffered):
    reader, writer = os.pipe()
    os.close(reader)  # closed before parse writes a byte: every write meets a closed pipe
    try:
        done = subprocess.run(
            [sys.executable, "-m", "newsbeam", "parse", str(PAGE), *argv],
            cwd=ROOT,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": unbuffered},
        )
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == EXIT_SIGPIPE == 141


def test_query_formats(output, capsys):
    sql = "SELECT kind, count(*) AS n FROM errors WHERE run_id = 'cli-1' GROUP BY kind ORDER BY kind"
    assert main(["query", "--output", str(output), sql, "--format", "csv"]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [
        ["kind", "n"],
        ["invalid_json", "1"],
        ["no_body", "1"],
    ]
    assert main(["query", "--output", str(output), sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"kind": "invalid_json", "n": 1},
        {"kind": "no_body", "n": 1},
    ]
    assert main(["query", "--output", str(output), sql]) == 0
    table = capsys.readouterr().out.splitlines()
    assert (
        table[0].split() == ["kind", "n"]
        and table[2].split() == ["invalid_json", "1"]
        and table[-1] == "(2 rows)"
    )


def test_query_on_an_empty_output_has_every_table_as_an_empty_view(tmp_path, capsys):
    sql = (
        "SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM entities) + (SELECT count(*) FROM runs)"
        " + (SELECT count(*) FROM duplicates) + (SELECT count(*) FROM errors) AS n,"
        " (SELECT typeof(published_date) FROM articles LIMIT 1) AS t"
    )
    assert main(["query", "--output", str(tmp_path), sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 0, "t": None}]
    assert (
        main(["query", "--output", str(tmp_path), "SELECT published_date, title, authors FROM articles"]) == 0
    )
    assert capsys.readouterr().out.splitlines()[0].split() == ["published_date", "title", "authors"]


def test_bad_sql_exits_1_with_duckdbs_sentence(output, capsys):
    assert main(["query", "--output", str(output), "SELECT nope FROM articles"]) == 1
    err = capsys.readouterr().err
    assert "query failed" in err and "nope" in err and "Traceback" not in err


def test_format_table_cuts_long_values():
    text = format_table(["a"], [("x" * 100,), (None,)], max_width=10)
    assert "xxxxxxxxx…" in text and text.endswith("(2 rows)")
    assert "x" * 100 in format_table(["a"], [("x" * 100,)], max_width=0)  # 0: never cut


def test_a_misspelt_table_keeps_duckdbs_whole_message_with_its_hint(output, capsys):
    assert main(["query", "--output", str(output), "SELECT * FROM artcles"]) == 1
    err = capsys.readouterr().err
    assert 'Did you mean "articles"' in err and "LINE 1" in err


def test_show_tables_lists_the_tables_and_nothing_internal(output, capsys):
    from newsbeam.schemas import all_tables

    assert main(["query", "--output", str(output), "--format", "json", "SHOW TABLES"]) == 0
    assert [row["name"] for row in json.loads(capsys.readouterr().out)] == sorted(all_tables())


def test_max_width_widens_values_and_csv_and_json_keep_lists_as_lists(output, capsys):
    sql = "SELECT text, authors FROM articles WHERE len(authors) > 0 ORDER BY article_id LIMIT 1"
    assert main(["query", "--output", str(output), sql]) == 0
    assert "…" in capsys.readouterr().out
    assert main(["query", "--output", str(output), "--max-width", "0", sql]) == 0
    assert "…" not in capsys.readouterr().out
    assert main(["query", "--output", str(output), "--format", "csv", sql]) == 0
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    authors = json.loads(row["authors"])  # ["Jason Krell"], not Python's ['Jason Krell']
    assert isinstance(authors, list) and authors and "…" not in row["text"]
    assert main(["query", "--output", str(output), "--format", "json", sql]) == 0
    assert json.loads(capsys.readouterr().out)[0]["authors"] == authors
    assert main(["query", "--output", str(output), "--max-width", "-1", sql]) == 2


def test_query_help_lists_every_table_and_its_columns(capsys):
    from newsbeam.pipeline.query import table_schema
    from newsbeam.schemas import all_tables

    with pytest.raises(SystemExit):
        main(["query", "--help"])
    text = capsys.readouterr().out
    for name, spec in all_tables().items():
        assert f"  {name}: " + ", ".join(table_schema(spec).names) in text


def test_a_worker_failure_is_one_sentence_and_publishes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        "run",
        "--input",
        str(SAMPLES / "stories"),
        "--output",
        str(out),
        "--spacy_model",
        "no_such_model",
    ]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "run failed" in captured.err and "no_such_model" in captured.err
    assert "Traceback" not in captured.err
    from newsbeam.pipeline.query import read_table
    from newsbeam.schemas import all_tables

    assert all(read_table(str(out), name).num_rows == 0 for name in all_tables())  # tables, no rows


def test_an_output_folder_that_cannot_be_made_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", "--input", str(SAMPLES / "stories"), "--output", str(blocker / "out")]) == 2
    assert "cannot create output folder" in capsys.readouterr().err


def commit_runs(output, *run_ids) -> None:
    """A runs row for each run whose files a test wrote by hand in the layout of newsbeam before
    Delta tables (``newsbeam migrate`` adds the files of runs with a runs row)."""
    from newsbeam.schemas import runs
    from newsbeam.transforms.write.commit import runs_file, runs_row
    from newsbeam.transforms.write.tables import RunContext, write_parquet

    for run_id in run_ids:
        ctx = RunContext(
            run_id=run_id, started_at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), output=str(output)
        )
        _, path = runs_file(ctx)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_parquet(path, runs.TABLE, [runs_row(ctx, [], {}, ctx.started_at)])


def test_articles_files_of_schema_v1_and_the_current_one_read_together(tmp_path, capsys):
    """Later versions added columns (provenance, cluster_id and copies, language_source, tone,
    nlp_model); a partition holding old and new files, migrated to Delta, reads as one table."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from newsbeam.schemas.articles import TABLE

    added = {"published_offset", "cluster_id", "copies", "language_source", "nlp_model", "nlp_note"}
    added |= {c for c in TABLE.columns if c.startswith("tone_")}
    v1_columns = [f for f in TABLE.fields if not f.name.endswith("_source") and f.name not in added]
    v1 = pa.schema(v1_columns, metadata={"newsbeam.schema_version": "1"})
    row = {f.name: None for f in v1_columns}
    row.update(
        article_id="a" * 32,
        url="u",
        canonical_url="u",
        authors=[],
        text="old body",
        word_count=2,
        input_kind="html",
        input_ref="r",
        run_id="old",
        ingested_at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
    )
    folder = tmp_path / "articles" / "published_date=2025-01-01"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row], schema=v1), folder / "part-old-00000.parquet")
    new = {
        **{column: None for column in TABLE.columns},
        **row,
        "article_id": "b" * 32,
        "run_id": "new",
        "title_source": "json-ld",
        "published_offset": "+02:00",
        "text_source": "trafilatura",
        "published_date": None,
        "cluster_id": "b" * 32,
        "copies": 3,
    }
    pq.write_table(TABLE.to_arrow([new]), folder / "part-new-00000.parquet")
    commit_runs(tmp_path, "old", "new")
    assert main(["migrate", "--output", str(tmp_path)]) == 0
    assert "articles          2 files added" in capsys.readouterr().out
    sql = "SELECT run_id, title_source, published_offset, copies FROM articles ORDER BY run_id"
    assert main(["query", "--output", str(tmp_path), sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"run_id": "new", "title_source": "json-ld", "published_offset": "+02:00", "copies": 3},
        {"run_id": "old", "title_source": None, "published_offset": None, "copies": None},
    ]


def test_filters_drop_records_into_errors_and_the_run_still_adds_up(tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        "run",
        "--input",
        str(SAMPLES / "dumps"),
        "--input",
        str(SAMPLES / "feeds"),
        "--output",
        str(out),
        "--domain",
        "wire.example.com",
        "--since",
        "2026-11-22",
        "--run_id",
        "filtered",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "inputs read               14" in printed and "accounted for             14" in printed
    assert (
        main(
            [
                "query",
                "--output",
                str(out),
                "SELECT stage, kind, count(*) AS n FROM errors GROUP BY ALL ORDER BY ALL",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert {
        "stage": "filter",
        "kind": "domain_not_allowed",
        "n": 10,
    } in rows  # 9 feed items + the inline HTML line


def test_a_bad_since_date_is_a_usage_error(tmp_path, capsys):
    assert (
        main(["run", "--input", str(SAMPLES / "stories"), "--output", str(tmp_path), "--since", "yesterday"])
        == 2
    )
    assert "not a date" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--run_date", "last week"], "not a date like 2026-11-24 or 'today'/'yesterday'"),
        (["--run-date", "2026-11-20", "--since", "2026-11-01"], "not both"),
        (["--since", "2026-11-20", "--until", "2026-11-19"], "after --until"),
        (["--input", "jsonl:/nowhere/{date}.jsonl"], "no --run_date says which day"),
        (
            ["--run_date", "2026-11-20", "--input", "jsonl:/nowhere/{date}.jsonl"],
            "'jsonl:/nowhere/2026-11-20.jsonl' matches no files",
        ),
    ],
)
def test_a_bad_run_window_is_a_usage_error(tmp_path, capsys, extra, message):
    argv = ["run", "--input", str(SAMPLES / "stories"), "--output", str(tmp_path), *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


def test_max_articles_reads_only_the_first_records_and_adds_up(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--input", str(SAMPLES / "feeds"), "--output", str(out), "--max_articles", "3"]) == 0
    printed = capsys.readouterr().out
    assert "inputs read                9" in printed and "accounted for              9" in printed
    assert "filter/over_max_articles 6" in printed


def test_the_dask_runner_is_refused_before_anything_runs(tmp_path, capsys):
    code = main(["run", "--input", "samples", "--output", str(tmp_path / "out"), "--runner", "DaskRunner"])
    err = capsys.readouterr().err
    assert code == 2 and "DaskRunner is not supported" in err and "last transform" in err
    assert not (tmp_path / "out" / "articles").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_local_run_shows_live_progress(tmp_path, monkeypatch, capsys):
    from newsbeam.pipeline import progress

    monkeypatch.setattr(progress, "INTERVAL", 0.2)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    assert main(["run", "--input", str(SAMPLES / "stories"), "--output", str(tmp_path / "out")]) == 0
    shown = terminal.getvalue()
    last = shown.rsplit("\r\x1b[2K", 1)[-1]
    # the last line: every count, the spaCy pass's included (both stories are English)
    expected = r"\d:\d\d:\d\d finished · 2 inputs · 2 fetched · 2 parsed · 2 extracted\n"
    assert re.fullmatch(expected, last), shown[-300:]
    assert re.search(r"\d:\d\d:\d\d reading", shown), shown[:300]
    assert "inputs read                2" in capsys.readouterr().out
    assert not [name for name in os.listdir(temporary) if name.startswith("newsbeam-progress-")]


def test_quiet_runs_without_the_progress_line(tmp_path, monkeypatch):
    """--quiet: no display is made and the pipeline gets no progress folder (a stand-in for
    the pipeline records what it was given; the line itself is tested above)."""
    from newsbeam.pipeline import progress
    from newsbeam.pipeline import run as run_module

    given = []

    def pipeline_run(argv, **kwargs):
        given.append(argv)
        row = {"run_id": "q", "inputs": 0, "articles": 0, "duplicates": 0, "errors": 0, "extract_errors": 0, "tables": []}  # fmt: skip
        return run_module.RunOutcome("q", str(tmp_path), row)

    def no_display(*args, **kwargs):
        raise AssertionError("a progress display was made under --quiet")

    monkeypatch.setattr(run_module, "run", pipeline_run)
    monkeypatch.setattr(progress, "ProgressDisplay", no_display)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["run", "--quiet", "--input", str(SAMPLES / "stories"), "--output", str(tmp_path)]) == 0
    assert len(given) == 1 and "--progress_dir" not in given[0]


@pytest.mark.parametrize(
    "beam_argv, local",
    [
        ([], True),
        (["--direct_running_mode=multi_processing", "--direct_num_workers=2"], True),
        (["--runner=DirectRunner"], True),
        (["--runner=DataflowRunner"], False),
        (["--runner=PortableRunner", "--job_endpoint=localhost:8099"], False),
    ],
)
def test_progress_files_are_used_only_where_workers_share_the_machine(beam_argv, local):
    from newsbeam.pipeline.cli import _local_runner

    assert _local_runner(beam_argv) is local
