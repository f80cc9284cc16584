"""Alerts: the sentence a committed run's runs row trips (pipeline/alerts.py), exit 3 after the
summary, and the usage errors of their options and of a run without input."""

from __future__ import annotations

import pytest

import newsbeam
from newsbeam.pipeline.alerts import run_alert
from newsbeam.pipeline.cli import EXIT_ALERT, EXIT_OK, EXIT_USAGE, main
from newsbeam.pipeline.query import run_query
from tests.conftest import SAMPLES


def row(inputs: int, articles: int, duplicates: int, errors: int) -> dict:
    assert inputs == articles + duplicates + errors
    return {"inputs": inputs, "articles": articles, "duplicates": duplicates, "errors": errors}


@pytest.mark.parametrize(
    "runs_row, min_articles, ratio, tripped",
    [
        # By default only a run whose every input record ended as an error trips.
        (row(30, 0, 0, 30), 0, None, "every input record ended as an error (30 of 30)"),
        (row(1, 0, 0, 1), 0, None, "every input record ended as an error (1 of 1)"),
        (row(30, 1, 0, 29), 0, None, None),
        (row(0, 0, 0, 0), 0, None, None),  # a quiet hour: nothing new in the feeds
        (row(12, 0, 12, 0), 0, None, None),  # every story seen before
        (row(12, 0, 6, 6), 0, None, None),  # some seen, the rest failed: not every input
        # --max_input_error_ratio R: more than R trips, R itself does not.
        (row(10, 5, 0, 5), 0, 0.5, None),
        (row(10, 4, 0, 6), 0, 0.5, "6 of 10 input records (60%) ended as errors, more than --max_input_error_ratio 0.5"),
        (row(10, 9, 0, 1), 0, 0.0, "1 of 10 input records (10%) ended as errors, more than --max_input_error_ratio 0"),
        (row(10, 0, 0, 10), 0, 1.0, None),  # R = 1 never trips, even when every one failed
        (row(0, 0, 0, 0), 0, 0.0, None),
        # --min_articles N: fewer than N trips, whatever the inputs.
        (row(0, 0, 0, 0), 1, None, "the run wrote 0 articles, fewer than --min_articles 1"),
        (row(12, 1, 11, 0), 2, None, "the run wrote 1 article, fewer than --min_articles 2"),
        (row(12, 2, 10, 0), 2, None, None),
        # Both: one sentence naming both.
        (row(4, 0, 0, 4), 1, None, "every input record ended as an error (4 of 4); and the run wrote 0 articles, fewer than --min_articles 1"),
    ],
)  # fmt: skip
def test_run_alert(runs_row, min_articles, ratio, tripped):
    assert run_alert(runs_row, min_articles, ratio) == tripped


def test_the_alert_names_the_biggest_error_kinds():
    kinds = [("fetch", "http_404", 3), ("filter", "domain_not_allowed", 20), ("parse", "no_text", 1),
             ("read", "invalid_feed", 1), ("fetch", "timeout", 5)]  # fmt: skip
    assert run_alert(row(30, 0, 0, 30), error_kinds=kinds) == (
        "every input record ended as an error (30 of 30: filter/domain_not_allowed 20, "
        "fetch/timeout 5, fetch/http_404 3 and 2 more kinds)"
    )
    assert run_alert(row(10, 4, 0, 6), max_input_error_ratio=0.5, error_kinds=[("fetch", "http_404", 6)]) == (
        "6 of 10 input records (60%) ended as errors, more than --max_input_error_ratio 0.5 (fetch/http_404 6)"
    )


def runs(out) -> list[tuple]:
    return run_query(str(out), "SELECT run_id, inputs, articles, errors FROM runs ORDER BY run_id")[1]


def test_saved_pages_outside_the_domain_commit_and_exit_3(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", "--input", str(SAMPLES / "pages"), "--domain", "nytimes.com", "--output", str(out)]
    assert main([*argv, "--run_id", "nyt", "--quiet"]) == EXIT_ALERT
    captured = capsys.readouterr()
    assert "errors by stage and kind: filter/domain_not_allowed 8" in captured.out  # the summary printed
    assert captured.err.strip().splitlines()[-1] == (
        "newsbeam: alert: every input record ended as an error (8 of 8: filter/domain_not_allowed 8)"
    )
    assert runs(out) == [("nyt", 8, 0, 8)]  # committed all the same


def test_an_rss_input_that_is_an_html_page_exits_3(tmp_path, capsys):
    out = tmp_path / "out"
    page = SAMPLES / "pages" / "bristol-budget-vote.html"
    assert (
        main(["run", "--input", f"rss:{page}", "--output", str(out), "--run_id", "html", "-q"]) == EXIT_ALERT
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "newsbeam: alert: every input record ended as an error (1 of 1: read/invalid_feed 1)"
    assert runs(out) == [("html", 1, 0, 1)]


def test_min_articles_and_the_error_ratio_trip_after_a_good_run(tmp_path, capsys):
    out = tmp_path / "out"
    stories = ["--input", str(SAMPLES / "stories"), "--output", str(out), "-q"]
    assert main(["run", *stories, "--run_id", "one", "--min_articles", "2"]) == EXIT_OK
    # The same stories again: two duplicates, no article, no error.
    assert main(["run", *stories, "--run_id", "two", "--max_input_error_ratio", "0"]) == EXIT_OK
    assert main(["run", *stories, "--run_id", "three", "--min_articles", "1"]) == EXIT_ALERT
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "newsbeam: alert: the run wrote 0 articles, fewer than --min_articles 1"
    )
    assert [r[0] for r in runs(out)] == ["one", "three", "two"]


def test_the_api_returns_the_alert(tmp_path):
    page = SAMPLES / "pages" / "bristol-budget-vote.html"
    summary = newsbeam.run(f"rss:{page}", str(tmp_path / "out"), quiet=True)
    assert summary.alert == "every input record ended as an error (1 of 1: read/invalid_feed 1)"
    assert newsbeam.run(str(SAMPLES / "stories"), str(tmp_path / "out"), quiet=True).alert is None


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "no input given: name what to read with --input SPEC, or use --input samples"),
        (["--input", str(SAMPLES / "stories"), "--min_articles", "-1"], "--min_articles must be 0"),
        (["--input", str(SAMPLES / "stories"), "--max_input_error_ratio", "1.5"], "between 0 and 1"),
        (["--input", str(SAMPLES / "stories"), "--max_input_error_ratio", "-0.1"], "between 0 and 1"),
        (
            ["--input", str(SAMPLES / "stories"), "--dedup_lookback_days", "-1"],
            "--dedup_lookback_days must be 0",
        ),
        (["--input", str(SAMPLES / "stories"), "--refetch_after", "-2"], "--refetch_after must be 0"),
    ],
)
def test_usage_errors_of_a_scheduled_run(extra, message, tmp_path, capsys):
    assert main(["run", "--output", str(tmp_path / "out"), *extra]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out" / "runs").exists()  # nothing ran, not even the tables' set-up


def test_the_api_refuses_a_run_without_input(tmp_path):
    with pytest.raises(ValueError, match="--input samples"):
        newsbeam.run([], str(tmp_path / "out"), quiet=True)


def test_samples_is_the_bundled_samples(tmp_path, monkeypatch, capsys):
    from newsbeam.pipeline import run as run_module

    assert run_module.input_specs(["samples", "x.jsonl"]) == [*run_module.sample_inputs(), "x.jsonl"]
    assert run_module.input_specs(["./samples"]) == ["./samples"]  # a folder of that name
    given = []

    def pipeline_run(argv, **kwargs):
        given.append(argv)
        done = {"run_id": "s", "inputs": 1, "articles": 1, "duplicates": 0, "errors": 0, "extract_errors": 0, "tables": []}  # fmt: skip
        return run_module.RunOutcome("s", str(tmp_path), done)

    monkeypatch.setattr(run_module, "run", pipeline_run)
    assert main(["run", "--input", "samples", "--output", str(tmp_path), "-q"]) == EXIT_OK
    assert given[0][:2] == ["--input", "samples"]  # run() expands it, for the API and every runner
