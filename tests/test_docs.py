"""The documentation is part of the contract.

The site builds with ``mkdocs build --strict``; every option and subcommand of ``newsbeam``, every
table, column and error kind is documented; README stays a front page that links into docs/;
and every ``sh``, ``sql`` and ``python`` block in README.md and docs/*.md is run against the
bundled samples, unless an HTML comment right before it says why not:
``<!-- not run: REASON -->``. An unmarked block the test cannot run fails it.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
CLI_PAGE = DOCS / "cli.md"
TABLES_PAGE = DOCS / "tables.md"

#: Block kinds: the ones the test runs, and the ones that only show text.
RUN_KINDS = {"sh", "sql", "python"}
SHOW_KINDS = {"text", "cron", "json", "yaml"}

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<kind>[\w+-]*)[^\n]*$")
NOT_RUN = re.compile(r"^[ \t]*<!--\s*not run:\s*(?P<reason>\S.*?)\s*-->[ \t]*$")
#: Shell syntax a block would need a shell for; such a block is marked not run instead.
SHELL_SYNTAX = {"|", "||", "&&", ";", ">", ">>", "<", "&", "2>&1"}


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # of the opening fence, from 1
    kind: str
    code: str
    not_run: str | None  # the reason given, for a block marked not run

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def code_blocks(page: Path) -> list[Block]:
    """Every fenced block of a Markdown page, with the not-run reason of the comment before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = i + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence) and set(lines[end].strip()) == {fence[0]}
        ):
            end += 1
        body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]]
        before = i - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        marker = NOT_RUN.match(lines[before]) if before >= 0 else None
        blocks.append(
            Block(page, i + 1, opening["kind"], "\n".join(body) + "\n", marker["reason"] if marker else None)
        )
        i = end + 1
    return blocks


BLOCKS = [block for page in PAGES for block in code_blocks(page)]
RUN_BLOCKS = [block for block in BLOCKS if block.kind in RUN_KINDS and block.not_run is None]


# ---------------------------------------------------------------------------------------------
# The site


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once with ``mkdocs build --strict``, as ``make docs`` builds it."""
    folder = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stderr}"
    return folder


def test_the_site_builds_strictly_with_every_page_and_no_hook_published(site):
    for page in DOCS.glob("*.md"):
        name = page.stem
        html = site / ("index.html" if name == "index" else f"{name}/index.html")
        assert html.is_file(), f"docs/{page.name} was not built"
    assert not list(site.rglob("*.py")), "a hook file was published with the site"
    assert (site / "report.png").is_file()


def test_the_column_tables_are_generated_from_the_schemas(site):
    from newsbeam.schemas import all_tables

    html = (site / "tables" / "index.html").read_text(encoding="utf-8")
    sections = re.split(r"<h2 id=", html)
    for name, table in all_tables().items():
        matching = [s for s in sections if s.startswith(f'"{name}"')]
        assert len(matching) == 1, f"the tables page has no section for table {name}"
        section = matching[0]
        assert f"Schema version {table.version}, partitioned by <code>{table.partition_key}</code>" in section
        for column in [*table.columns, table.partition_key]:
            assert f"<td><code>{column}</code></td>" in section, f"{name}.{column} is not on the tables page"
    assert "<!-- columns:" not in html


def columns_hook():
    spec = importlib.util.spec_from_file_location("docs_hook_columns", DOCS / "hooks" / "columns.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_columns_hook_refuses_a_page_that_leaves_a_table_out():
    from mkdocs.exceptions import PluginError

    from newsbeam.schemas import all_tables

    hook = columns_hook()
    tables = all_tables()
    whole = "\n\n".join(f"<!-- columns: {name} -->" for name in tables)
    assert "| `article_id` | string | no |" in hook.render(whole, tables)
    with pytest.raises(PluginError, match="missing \\['runs'\\]"):
        hook.render(whole.replace("<!-- columns: runs -->", ""), tables)
    with pytest.raises(PluginError, match="unknown \\['stories'\\]"):
        hook.render(whole + "\n<!-- columns: stories -->", tables)


def test_the_columns_hook_writes_types_as_readers_meet_them():
    import pyarrow as pa

    hook = columns_hook()
    assert hook.type_name(pa.list_(pa.string())) == "list<string>"
    assert hook.type_name(pa.timestamp("us", tz="UTC")) == "timestamp[us, UTC]"
    assert hook.type_name(pa.list_(pa.struct([("table", pa.string()), ("rows", pa.int64())]))) == (
        "list<struct<table, rows>>"
    )
    assert hook.cell("input:<kind> | a*b") == "input:&lt;kind&gt; \\| a\\*b"


def test_the_api_page_renders_every_public_name(site):
    import newsbeam

    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in newsbeam.__all__:
        assert f'id="newsbeam.{name}"' in html, f"newsbeam.{name} is in __all__ but not on the API page"


# ---------------------------------------------------------------------------------------------
# What must be documented


def documents(text: str, flag: str) -> bool:
    return re.search(f"`{re.escape(flag)}(?=[ `=\\]])", text) is not None


def test_every_run_option_is_documented():
    from newsbeam.pipeline.options import NewsbeamOptions

    parser = argparse.ArgumentParser()
    NewsbeamOptions._add_argparse_args(parser)
    text = CLI_PAGE.read_text(encoding="utf-8")
    flags = [flag for action in parser._actions for flag in action.option_strings]
    missing = [flag for flag in flags if flag not in ("-h", "--help") and not documents(text, flag)]
    assert not missing, f"docs/cli.md does not document {missing}"


def test_every_subcommand_and_its_options_are_documented():
    from newsbeam.pipeline.cli import _parser

    parser = _parser()
    text = CLI_PAGE.read_text(encoding="utf-8")
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = [
        flag
        for action in parser._actions
        for flag in action.option_strings
        if flag not in ("-h", "--help") and not documents(text, flag)
    ]
    for name, subparser in commands.choices.items():
        if f"## `newsbeam {name}`" not in text:
            missing.append(f"newsbeam {name}")
        for action in subparser._actions:
            missing += [
                f"newsbeam {name} {flag}"
                for flag in action.option_strings
                if flag not in ("-h", "--help") and not documents(text, flag)
            ]
    assert not missing, f"docs/cli.md does not document {missing}"


def test_every_error_kind_is_documented():
    from benchmarks.hostile import EXPECTED_KINDS

    text = TABLES_PAGE.read_text(encoding="utf-8")
    missing = sorted(kind for kind in EXPECTED_KINDS if f"`{kind}`" not in text)
    assert not missing, f"docs/tables.md does not list the error kinds {missing}"


@pytest.mark.parametrize(
    "page, text",
    [
        ("querying.md", "DuckDB"),
        ("querying.md", "Polars"),
        ("querying.md", "pandas"),
        ("querying.md", "Spark"),
        ("querying.md", "BigQuery"),
        ("scale.md", "Dataflow"),
        ("scale.md", "Flex Template"),
        ("scale.md", "Cloud Scheduler"),
        ("scale.md", "Airflow"),
        ("scale.md", "cron"),
        ("report.md", "newsbeam report"),
    ],
)
def test_the_reference_covers(page, text):
    assert text in (DOCS / page).read_text(encoding="utf-8")


def test_readme_is_a_front_page_that_links_into_the_docs():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250, "README.md is a front page: 250 lines at most"
    for phrase in ("make run", "make test"):
        assert phrase in text
    links = [link.split("#")[0] for link in re.findall(r"\]\(([^)\s]+)\)", text)]
    local = [link for link in links if link and not re.match(r"[a-z]+:", link)]
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README.md links to {missing}, which do not exist"
    unlinked = [f"docs/{p.name}" for p in DOCS.glob("*.md") if f"docs/{p.name}" not in local]
    assert not unlinked, f"README.md's table of contents leaves out {unlinked}"


REPOSITORY_PATH = re.compile(
    r"`((?:newsbeam|pipeline|transforms|schemas|tests|benchmarks|deploy|docs|\.ci)/[\w./-]*?"
    r"(?:/|\.\w+))(?:::(\w+))?`"
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_and_test_a_page_names_exists(page):
    missing = []
    for path, test in REPOSITORY_PATH.findall(page.read_text(encoding="utf-8")):
        if not (ROOT / path).exists():
            missing.append(path)
        elif test and f"def {test}(" not in (ROOT / path).read_text(encoding="utf-8"):
            missing.append(f"{path}::{test}")
    assert not missing, f"{page.name} names files or tests that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_reads_like_a_work_log(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"(?i)\bissues? +#?\d", text), "a page names an issue number"
    assert not re.search(r"(?i)\bin progress\b", text), "a page says 'in progress'"


# ---------------------------------------------------------------------------------------------
# Every command shown is run


def test_every_code_block_names_a_known_kind():
    unknown = [f"{b.where} ({b.kind or 'no kind'})" for b in BLOCKS if b.kind not in RUN_KINDS | SHOW_KINDS]
    assert not unknown, (
        f"code blocks of an unknown kind: {unknown}; use sh, sql or python for what runs, "
        f"{', '.join(sorted(SHOW_KINDS))} for what does not"
    )


def test_blocks_are_found_and_only_commands_are_marked_not_run():
    assert len(RUN_BLOCKS) >= 10
    for block in BLOCKS:
        if block.not_run is not None:
            assert block.kind in RUN_KINDS | {"cron"}, f"{block.where}: only commands are marked not run"


def write_warc(path: Path) -> None:
    """A small CC-NEWS-like WARC: warcinfo, a request and three sample pages as responses."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pages = ["dock-strike-talks-collapse", "harbour-bridge-reopens", "lisbon-wind-farm-approved"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests/test_docs.py"}))
        for n, name in enumerate(pages):
            url = f"https://news.example.org/2026/11/{name}"
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example.org")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            body = (SAMPLES / "pages" / f"{name}.html").read_bytes()
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": f"2026-11-24T06:0{n}:00Z"},
            )
            writer.write_record(record)


def working_folder(root: Path, sample_output: Path, with_output: bool) -> Path:
    """A folder holding what the examples name: copies of the samples, a page, a story, a WARC
    and, unless the block runs the pipeline itself, a sample run's output in ``out/``."""
    root.mkdir()
    for name in ("pages", "feeds", "dumps", "stories"):
        shutil.copytree(SAMPLES / name, root / name)
    shutil.copy(SAMPLES / "pages" / "dock-strike-talks-collapse.html", root / "page.html")
    shutil.copy(SAMPLES / "stories" / "glasgow-shipyard-ferry-order.txt", root / "story.txt")
    write_warc(root / "cc-news" / "CC-NEWS-20261124060000-00000.warc.gz")
    if with_output:
        shutil.copytree(sample_output, root / "out")
    return root


def commands(block: Block) -> list[list[str]]:
    """The block's commands as argv lists, or a failure naming what the test cannot run."""
    found = []
    for line in block.code.replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        if argv[:3] == ["python", "-m", "newsbeam"]:
            argv = ["newsbeam", *argv[3:]]
        if argv[0] != "newsbeam" or SHELL_SYNTAX & set(argv) or any("$(" in arg for arg in argv):
            pytest.fail(
                f"{block.where}: the test runs only plain newsbeam commands, not {line.strip()!r}; "
                "mark the block <!-- not run: REASON --> if it cannot run here"
            )
        found.append(argv)
    return found


def option(argv: list[str], name: str, default: str) -> str:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def check_output(argv: list[str], out: str, where: str) -> None:
    """What each subcommand must have printed, beyond exiting 0."""
    from newsbeam.pipeline.query import run_query

    command = argv[1]
    if command == "run":
        assert "accounted for" in out, f"{where}: {argv} printed no summary"
        _, rows = run_query(
            option(argv, "--output", "out"),
            "SELECT inputs, articles, duplicates, errors FROM runs ORDER BY finished_at DESC LIMIT 1",
        )
        inputs, articles, duplicates, errors = rows[0]
        assert inputs == articles + duplicates + errors and articles + duplicates > 0, (where, rows)
    elif command == "parse":
        if "--format" in argv and option(argv, "--format", "json") == "text":
            assert len(out.split()) > 50, f"{where}: {argv} printed no body"
        elif "--explain" in argv:
            assert "title" in out, f"{where}: {argv} explained nothing"
        else:
            row = json.loads(out)
            assert row["title"] and row["text"], f"{where}: {argv} gave an empty article"
    elif command == "query":
        kind = option(argv, "--format", "table")
        if kind == "json":
            assert json.loads(out), f"{where}: {argv} returned no rows"
        elif kind == "csv":
            assert len(out.strip().splitlines()) >= 2, f"{where}: {argv} returned no rows"
        else:
            counted = re.search(r"\((\d+) rows?\)", out)
            assert counted and int(counted[1]) > 0, f"{where}: {argv} returned no rows"
    elif command == "report":
        html = option(argv, "--html", os.path.join(option(argv, "--output", "out"), "report.html"))
        assert Path(html).is_file() and html in out, f"{where}: {argv} wrote no page"


def run_sh(block: Block, capsys) -> None:
    from newsbeam.pipeline.cli import main

    for argv in commands(block):
        capsys.readouterr()
        code = main(argv[1:])
        captured = capsys.readouterr()
        assert code == 0, f"{block.where}: {shlex.join(argv)} exited {code}:\n{captured.err[-2000:]}"
        check_output(argv, captured.out, block.where)


def run_sql(block: Block) -> None:
    from newsbeam.pipeline.query import connect

    con = connect("out")
    statements = con.extract_statements(block.code)
    assert statements, f"{block.where}: no SQL statement"
    for statement in statements:
        rows = con.execute(statement.query).fetchall()
        assert rows, f"{block.where}: a statement returned no rows:\n{statement.query}"


def run_python(block: Block) -> None:
    exec(compile(block.code, block.where, "exec"), {"__name__": "__main__"})


def runs_the_pipeline(block: Block) -> bool:
    if block.kind == "sh":
        return any(argv[1:2] == ["run"] for argv in commands(block))
    return block.kind == "python" and "newsbeam.run(" in block.code


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: b.where)
def test_the_block_runs(block, sample_output, tmp_path, monkeypatch, capsys):
    folder = working_folder(tmp_path / "work", sample_output, with_output=not runs_the_pipeline(block))
    monkeypatch.chdir(folder)
    if block.kind == "sh":
        run_sh(block, capsys)
    elif block.kind == "sql":
        run_sql(block)
    else:
        run_python(block)
