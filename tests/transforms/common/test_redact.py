"""No credential or token from a URL or an option reaches a table."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newsbeam.transforms.common.redact import REDACTED, redact_options, redact_row, redact_text, redact_url
from newsbeam.transforms.dedup.urls import normalise_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://alice:s3cret@news.example/a", "https://news.example/a"),
        ("https://alice@news.example/a", "https://news.example/a"),
        ("https://news.example/a?id=7&token=abc&page=2", "https://news.example/a?id=7&page=2"),
        ("https://news.example/a?API_KEY=k1&access_token=t", "https://news.example/a"),
        (
            "https://bucket.s3.amazonaws.com/x.warc.gz?X-Amz-Credential=c&X-Amz-Signature=s&part=1",
            "https://bucket.s3.amazonaws.com/x.warc.gz?part=1",
        ),
        ("https://u:p@news.example/a?sig=1#comments", "https://news.example/a#comments"),
    ],
)
def test_credentials_and_tokens_are_stripped_from_urls(url, expected):
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "clean",
    [
        "https://news.example/a?id=7&keyword=tram",  # "keyword" is not "key"
        "https://news.example/a?b=2&a=1",  # order and form kept when nothing is stripped
        "dumps/day.jsonl#12",
        "/srv/pages/a.html",
        "s3://bucket/cc-news/x.warc.gz#4711",
        "https://news.example/%7Euser/a?q=a+b",
    ],
)
def test_a_string_without_secrets_comes_back_unchanged(clean):
    assert redact_url(clean) == clean
    assert redact_text(clean) == clean


def test_urls_inside_messages_are_redacted():
    message = "HTTP 403 for https://alice:pw@news.example/a?token=abc, giving up."
    assert redact_text(message) == "HTTP 403 for https://news.example/a, giving up."


def test_rows_are_redacted_in_every_string_and_list_of_strings():
    row = {"url": "https://a:b@x.example/p", "authors": ["https://x.example/?sid=1"], "words": 3}
    assert redact_row(row) == {"url": "https://x.example/p", "authors": ["https://x.example/"], "words": 3}
    clean = {"url": "https://x.example/p", "words": 3}
    assert redact_row(clean) is clean


def test_secret_options_are_replaced_and_urls_in_options_redacted():
    options = {
        "s3_secret_access_key": "hunter2",
        "s3_access_key_id": "AKIAEXAMPLE",
        "hdfs_password": "pw",
        "input": ["rss:https://bob:pw@feeds.example/world.xml", "jsonl:/data/day.jsonl"],
        "output": "s3://bucket/news",
        "direct_num_workers": 2,
        "s3_session_token": None,  # unset stays unset
    }
    assert redact_options(options) == {
        "s3_secret_access_key": REDACTED,
        "s3_access_key_id": REDACTED,
        "hdfs_password": REDACTED,
        "input": ["rss:https://feeds.example/world.xml", "jsonl:/data/day.jsonl"],
        "output": "s3://bucket/news",
        "direct_num_workers": 2,
        "s3_session_token": None,
    }


def test_a_token_does_not_make_a_story_a_different_article():
    assert normalise_url("https://news.example/a?id=7&token=one") == normalise_url(
        "https://news.example/a?id=7&token=two"
    )


def test_no_table_of_a_run_holds_a_secret_from_its_inputs_or_options(tmp_path):
    from newsbeam.pipeline.run import run
    from tests.transforms.dedup.test_dedup import STORY

    stories = [
        {"url": "https://alice:s3cret@news.example/a?token=abc123&id=7", "title": "Bridge", "text": STORY},
        {"url": "https://news.example/b?api_key=abc123", "title": "Empty", "text": ""},  # an errors row
    ]
    dump = tmp_path / "in.jsonl"
    dump.write_text("".join(json.dumps(s) + "\n" for s in stories), encoding="utf-8")
    out = tmp_path / "out"
    result = run(["--output", str(out), "--input", f"jsonl:{dump}", "--s3_secret_access_key", "hunter2"])
    assert (result.runs_row["articles"], result.runs_row["errors"]) == (1, 1)
    seen = []
    for path in Path(out).rglob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            seen += [json.dumps(value, default=str) for value in row.values()]
    assert seen and any("news.example/a" in value for value in seen)
    assert not [value for value in seen if any(s in value for s in ("s3cret", "abc123", "hunter2", "alice"))]
