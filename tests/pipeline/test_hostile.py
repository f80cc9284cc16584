"""Hostile and broken input: 600 generated bad inputs (``benchmarks/hostile.py``) go through one
run, which must finish, account for every record, and give every failure a clear error kind.

The corpus needs no network: every link it holds is refused before a connection is made.
``make stress`` runs the same corpus at ten times the size.
"""

from __future__ import annotations

import pytest

from benchmarks.hostile import EXPECTED_KINDS, write_corpus
from newsbeam.pipeline.query import connect
from newsbeam.pipeline.run import run

SIZE = 600


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    made = write_corpus(corpus, SIZE)
    out = tmp_path_factory.mktemp("hostile-out")
    outcome = run(
        ["--input", str(corpus), "--output", str(out), "--run_id", "hostile"]
        + ["--fetch_retries", "0", "--fetch_timeout", "2", "--parse_time_budget", "20"]
    )
    tables = {}
    with connect(str(out)) as con:
        for name in ("articles", "duplicates", "errors"):
            cursor = con.execute(f"SELECT * FROM {name}")
            columns = [d[0] for d in cursor.description]
            tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return outcome, corpus, made, tables


def test_the_corpus_holds_every_kind_of_bad_input(hostile_run):
    _, corpus, made, _ = hostile_run
    assert sum(made.values()) >= SIZE
    assert len([p for p in corpus.iterdir()]) == sum(made.values())
    assert {"html_huge", "html_gzip_bomb", "html_heavy", "warc", "jsonl", "feed", "sitemap", "opml"} <= set(
        made
    )


def test_the_run_finishes_and_every_record_is_in_exactly_one_table(hostile_run):
    outcome, _, _, tables = hostile_run
    row = outcome.runs_row
    assert row["inputs"] >= SIZE
    assert row["inputs"] == row["articles"] + row["duplicates"] + row["errors"]
    assert (len(tables["articles"]), len(tables["duplicates"])) == (row["articles"], row["duplicates"])
    where: dict[str, set] = {}
    for name in ("articles", "duplicates", "errors"):
        for r in tables[name]:
            if name != "errors" or r["stage"] != "extract":
                where.setdefault(r["input_ref"], set()).add(name)
    # No record is in two tables. (A feed two OPML files both list is read twice, as two
    # records under the one reference, its URL; so references are not counted here.)
    assert [ref for ref, names in where.items() if len(names) > 1] == []


def test_every_input_file_ends_in_a_row(hostile_run):
    _, corpus, _, tables = hostile_run
    refs = {r["input_ref"].removeprefix("file://") for name in tables for r in tables[name]}
    prefixes = {
        ref.split("#")[0].rsplit(":", 1)[0] if ref.endswith(tuple("0123456789")) else ref for ref in refs
    }
    prefixes |= {ref.split("#")[0] for ref in refs}
    for path in sorted(corpus.iterdir()):
        if path.suffix == ".opml":  # an OPML file is no record itself: its feeds are
            continue
        assert str(path) in prefixes, path.name


def test_every_failure_has_a_known_kind_and_a_sentence(hostile_run):
    _, _, _, tables = hostile_run
    kinds = {r["kind"] for r in tables["errors"]}
    assert kinds <= EXPECTED_KINDS, kinds - EXPECTED_KINDS  # no unexpected_* kind: no bug hit
    assert all(r["message"] and r["message"] != r["kind"] for r in tables["errors"])


def test_oversized_and_pathological_pages_are_stopped_before_parsing(hostile_run):
    _, _, _, tables = hostile_run
    kind_of = {r["input_ref"].rsplit("/", 1)[-1]: r["kind"] for r in tables["errors"]}
    huge = [k for name, k in kind_of.items() if "html_huge" in name or "gzip_bomb" in name]
    assert huge and set(huge) == {"too_large"}
    nested = [k for name, k in kind_of.items() if "html_nested" in name]
    assert "too_complex" in nested


def test_no_bad_date_invisible_character_or_secret_reaches_the_articles(hostile_run):
    outcome, _, _, tables = hostile_run
    invisible = {"\x00", "\u202e", "\u202d", "\u2066", "\u200b", "\u2060", "\ufeff", "\u00ad"}
    for article in tables["articles"]:
        for field in ("title", "text"):
            assert not invisible & set(article[field] or ""), (article["input_ref"], field)
        assert not any(invisible & set(name) for name in article["authors"])
        if article["published_at"] is not None:
            assert (
                1700 <= article["published_at"].year
                and article["published_at"] <= outcome.runs_row["finished_at"]
            )
        for value in (article["url"], article["canonical_url"], article["top_image"] or ""):
            assert "hunter2" not in value and "token=" not in value and "api_key" not in value
