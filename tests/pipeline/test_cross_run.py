"""Two runs into one output: the second re-reads some stories, edited copies of others, and new ones."""

import datetime as dt
import json

from newsbeam.pipeline.query import connect
from newsbeam.pipeline.run import run
from tests.transforms.dedup.test_dedup import OTHER, SAME_TOPIC, STORY


def _dump(path, stories):
    path.write_text("".join(json.dumps(s) + "\n" for s in stories), encoding="utf-8")
    return "jsonl:" + str(path)


def test_a_second_run_writes_only_what_is_new(tmp_path):
    out = str(tmp_path / "out")
    first = [
        {
            "url": "https://a.example/bridge",
            "title": "Bridge",
            "text": STORY,
            "published": "2026-11-20T08:00:00Z",
        },
        {
            "url": "https://a.example/tram",
            "title": "Tram",
            "text": OTHER,
            "published": "2026-11-20T09:00:00Z",
        },
    ]
    one = run(["--output", out, "--run_id", "r1", "--input", _dump(tmp_path / "one.jsonl", first)])
    assert (one.runs_row["articles"], one.runs_row["duplicates"]) == (2, 0)

    edited = "\n\n".join(STORY.split("\n\n")[:3]) + "\n\nThe mayor will cut the ribbon."
    second = [
        {**first[1], "url": "https://a.example/tram?utm_source=newsletter"},  # read again
        {"url": "https://b.example/wire/bridge", "title": "Bridge", "text": edited},  # an edited copy
        {"url": "https://a.example/tolls", "title": "Tolls", "text": SAME_TOPIC},  # new, same topic
    ]
    two = run(["--output", out, "--run_id", "r2", "--input", _dump(tmp_path / "two.jsonl", second)])
    row = two.runs_row
    assert (row["inputs"], row["articles"], row["duplicates"], row["errors"]) == (3, 1, 2, 0)

    con = connect(out)
    dups = con.execute(
        "SELECT d.url, d.reason, a.run_id, a.url FROM duplicates d JOIN articles a ON a.article_id = d.duplicate_of "
        "WHERE d.run_id = 'r2' ORDER BY d.url"
    ).fetchall()
    assert [(url, reason, run_id, kept) for url, reason, run_id, kept in dups] == [
        ("https://a.example/tram?utm_source=newsletter", "url", "r1", "https://a.example/tram"),
        ("https://b.example/wire/bridge", "near", "r1", "https://a.example/bridge"),
    ]
    assert con.execute("SELECT url FROM articles WHERE run_id = 'r2'").fetchall() == [
        ("https://a.example/tolls",)
    ]
    # Each story is written once across both runs, and fingerprints hold one row per article.
    assert con.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (3, 3)
    assert con.execute("SELECT count(*) FROM fingerprints").fetchone()[0] == 3

    # A third run of the same second input adds nothing new: all three are now known.
    three = run(["--output", out, "--run_id", "r3", "--input", _dump(tmp_path / "two.jsonl", second)])
    assert (three.runs_row["articles"], three.runs_row["duplicates"]) == (0, 3)


def test_a_scheduled_window_run_twice_writes_nothing_twice(tmp_path):
    """--run_date picks the day's dump through {date} and keeps that day's stories; running the
    same day again writes a second runs row and no article, duplicate-free."""
    out = str(tmp_path / "out")
    stories = [
        {
            "url": "https://a.example/bridge",
            "title": "Bridge",
            "text": STORY,
            "published": "2026-11-20T08:00:00Z",
        },
        {
            "url": "https://a.example/tram",
            "title": "Tram",
            "text": OTHER,
            "published": "2026-11-19T23:30:00Z",
        },
    ]
    _dump(tmp_path / "feed-2026-11-20.jsonl", stories)
    _dump(tmp_path / "feed-2026-11-21.jsonl", [{**stories[0], "url": "https://a.example/other-day"}])
    spec = "jsonl:" + str(tmp_path / "feed-{date}.jsonl")
    rows = [
        run(["--output", out, "--run_id", f"day-{n}", "--run-date", "2026-11-20", "--input", spec]).runs_row
        for n in (1, 2)
    ]
    # The story of the day before is a filter error; the other day's file was never read.
    assert [(r["inputs"], r["articles"], r["duplicates"], r["errors"]) for r in rows] == [
        (2, 1, 0, 1),
        (2, 0, 1, 1),
    ]
    assert {(r["window_since"], r["window_until"]) for r in rows} == {(dt.date(2026, 11, 20),) * 2}
    con = connect(out)
    assert con.execute("SELECT url FROM articles").fetchall() == [("https://a.example/bridge",)]
    assert con.execute(
        "SELECT run_id, window_since, window_until, json_extract_string(options, '$.input[0]') FROM runs ORDER BY run_id"
    ).fetchall() == [
        (
            f"day-{n}",
            dt.date(2026, 11, 20),
            dt.date(2026, 11, 20),
            "jsonl:" + str(tmp_path / "feed-2026-11-20.jsonl"),
        )
        for n in (1, 2)
    ]
    kinds = con.execute("SELECT run_id, kind FROM errors ORDER BY run_id").fetchall()
    assert kinds == [("day-1", "before_since"), ("day-2", "before_since")]
