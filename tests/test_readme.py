"""README is part of the contract: every table, column, option and subcommand is documented."""

import argparse

import pytest

from newsbeam.pipeline.options import NewsbeamOptions
from newsbeam.schemas import all_tables
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(all_tables()))
def test_every_table_and_column_is_documented(name):
    table = all_tables()[name]
    section = README.split(f"#### `{name}`", 1)
    assert len(section) == 2, f"README has no section for table {name}"
    body = section[1].split("\n#### ", 1)[0]
    for column in table.columns + [table.partition_key]:
        assert f"| `{column}` |" in body, f"README does not describe {name}.{column}"


def test_every_run_option_is_documented():
    parser = argparse.ArgumentParser()
    NewsbeamOptions._add_argparse_args(parser)
    for action in parser._actions:
        for flag in action.option_strings:
            if flag != "-h" and flag != "--help":
                assert f"`{flag}" in README, f"README does not document {flag}"


@pytest.mark.parametrize(
    "text",
    [
        "make run",
        "make test",
        "newsbeam run",
        "newsbeam parse",
        "newsbeam query",
        "newsbeam report",
        "DuckDB",
        "Polars",
        "Spark",
        "Dataflow",
        "cron",
    ],
)
def test_readme_covers(text):
    assert text in README
