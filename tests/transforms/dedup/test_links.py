"""Seen links, settled one link at a time (``transforms/dedup/links.py``): which record is
fetched, which are copies, which are ``seen_link``, and when a remembered row is carried."""

from __future__ import annotations

import datetime as dt

from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.dedup.links import add_copies, fetch_link, settle, still_seen

LINK = "https://news.example.org/a"
FETCHED = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)


def record(ref: str, url: str = LINK, **hints) -> InputRecord:
    return InputRecord(input_ref=ref, input_kind="rss", url=url, **hints)


def remembered(day: dt.date, article: str = "a1", at: dt.datetime = FETCHED) -> dict:
    return {
        "link": LINK,
        "article_id": article,
        "outcome": "article",
        "error_kind": None,
        "fetched_at": at,
        "run_id": "r",
        "run_date": day,
    }


def test_only_records_fetched_over_http_are_looked_up():
    assert fetch_link(record("f#1", "https://news.example.org/a?utm_source=rss")) == LINK
    assert fetch_link(record("f#1", html="<p>x</p>")) is None  # a WARC response, a dump's page
    assert fetch_link(record("f#1", "file:///data/a.html")) is None


def test_of_a_link_listed_twice_the_record_saying_more_is_fetched_and_the_other_is_a_copy():
    bare, titled = record("a.xml#1"), record("b.xml#7", title="Harbour bridge reopens")
    settled = list(settle(LINK, [bare, titled], []))
    assert [kind for kind, _ in settled] == ["fetch", "copy"]
    assert settled[0][1] is titled
    link, row = settled[1][1]
    assert (link, row["input_ref"], row["reason"]) == (LINK, "a.xml#1", "url")


def test_a_remembered_link_is_seen_for_every_record_and_never_fetched():
    day = dt.date(2026, 3, 2)
    settled = list(settle(LINK, [record("a#1"), record("b#2")], [remembered(day)]))
    assert [kind for kind, _ in settled] == ["seen", "seen"]
    assert {row["duplicate_of"] for _, row in settled} == {"a1"}
    assert {row["reason"] for _, row in settled} == {"seen_link"}


def test_a_row_in_the_windows_first_day_is_carried_once_keeping_its_fetch_time():
    first_day = dt.date(2026, 3, 1)
    old = remembered(first_day)
    carried = [
        row for kind, row in settle(LINK, [record("a#1"), record("b#2")], [old], first_day) if kind == "carry"
    ]
    assert carried == [
        {"link": LINK, "article_id": "a1", "outcome": "article", "error_kind": None, "fetched_at": FETCHED}
    ]
    # once a newer row exists (carried yesterday, or written today), nothing is carried
    newer = remembered(dt.date(2026, 3, 2))
    assert [k for k, _ in settle(LINK, [record("a#1")], [old, newer], first_day)] == ["seen"]
    # no carrying asked for (a 0-day window), or the link not listed this run
    assert [k for k, _ in settle(LINK, [record("a#1")], [old], None)] == ["seen"]
    assert list(settle(LINK, [], [old], first_day)) == []


def test_refetch_after_counts_from_the_fetch():
    row = remembered(dt.date(2026, 3, 1))
    assert still_seen(row, None)
    assert still_seen(row, FETCHED - dt.timedelta(hours=1))
    assert not still_seen(row, FETCHED + dt.timedelta(hours=1))


def test_copies_never_fetched_are_added_to_their_article():
    article = {"article_id": "a1", "copies": 2}
    assert add_copies(article, {"a1": 3, "b2": 1})["copies"] == 5
    assert add_copies(article, {"b2": 1}) is article
