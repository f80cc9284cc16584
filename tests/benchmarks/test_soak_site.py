"""The soak's news site (``benchmarks/soak_site.py``): what it lists when, its validators and 304s,
and how ``benchmarks/soak.py`` splits a run's page requests. ``make soak``'s targets are only as
good as these."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request

import pytest

from benchmarks.soak import split_pages
from benchmarks.soak_site import (
    LISTED_FOR,
    SECTIONS,
    Catalogue,
    Hit,
    NewsSite,
    not_modified,
    serve,
    validators,
)

START = dt.datetime(2025, 1, 6, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)


def test_the_site_starts_with_48_hours_of_stories_and_publishes_per_hour():
    catalogue = Catalogue(START, per_hour=4, seed=1)
    listed = catalogue.listed(START)
    originals = [s for s in listed if s.copy_of is None]
    assert len(originals) == 48 * 4
    assert min(s.published for s in listed) > START - LISTED_FOR
    assert all(s.published <= START for s in listed)
    hour_later = catalogue.listed_between(START, START + HOUR)
    assert len([s for s in hour_later if s.copy_of is None]) == 4
    assert all(START < s.published <= START + HOUR for s in hour_later)


def test_a_story_is_listed_for_48_hours_then_its_page_stays_online():
    site = NewsSite(START, per_hour=2, seed=1)
    story = next(s for s in site.catalogue.listed(START) if s.fate == "ok" and s.copy_of is None)
    assert story.listed(story.published) and story.listed(
        story.published + LISTED_FOR - dt.timedelta(seconds=1)
    )
    assert not story.listed(story.published + LISTED_FOR)
    site.now = story.published + LISTED_FOR + HOUR
    status, _, body = site.answer(story.path, {})
    assert status == 200 and story.title.encode() in body


def test_a_syndicated_copy_has_the_original_body_under_another_url_and_section():
    catalogue = Catalogue(START, per_hour=4, seed=1)
    copies = [s for s in catalogue.listed(START + 6 * HOUR) if s.copy_of is not None]
    assert copies
    for copy in copies:
        original = catalogue.stories(copy.copy_of)[0]
        assert copy.paragraphs == original.paragraphs and copy.path != original.path
        assert copy.section != original.section and copy.published > original.published


def test_distinct_stories_share_few_word_shingles():
    """Stories drawn from the same templates must stay apart under near-duplicate detection
    (newsbeam's default threshold is far above this)."""
    stories = [s for s in Catalogue(START, per_hour=4, seed=1).listed(START) if s.copy_of is None][:40]

    def shingles(story):
        words = " ".join(story.paragraphs).lower().split()
        return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}

    sets = [shingles(s) for s in stories]
    worst = max(len(a & b) / len(a | b) for i, a in enumerate(sets) for b in sets[i + 1 :])
    assert worst < 0.2


def test_a_feed_changes_validators_when_and_only_when_a_story_enters_or_leaves():
    catalogue = Catalogue(START, per_hour=3, seed=2)
    seen = []
    for minute in range(0, 6 * 60, 7):
        now = START + dt.timedelta(minutes=minute)
        recent = [s for s in catalogue.recent(now) if s.section == SECTIONS[0]]
        listed = tuple(s.path for s in recent if s.listed(now))
        seen.append((listed, *validators(recent, now)))
    for (before, etag_before, modified_before), (after, etag_after, modified_after) in zip(
        seen[:-1], seen[1:], strict=True
    ):
        assert (etag_before == etag_after) == (before == after)
        assert (modified_before == modified_after) == (before == after)
    assert len({listed for listed, _, _ in seen}) > 3  # the window did move


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, False),
        ({"If-None-Match": '"abc"'}, True),
        ({"If-None-Match": '"old", "abc"'}, True),
        ({"If-None-Match": '"old"'}, False),
        ({"If-Modified-Since": "Mon, 06 Jan 2025 10:00:00 GMT"}, True),
        ({"If-Modified-Since": "Mon, 06 Jan 2025 11:00:00 GMT"}, True),
        ({"If-Modified-Since": "Mon, 06 Jan 2025 09:59:59 GMT"}, False),
        ({"If-Modified-Since": "not a date"}, False),
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
        ({"If-None-Match": '"old"', "If-Modified-Since": "Mon, 06 Jan 2025 11:00:00 GMT"}, False),
    ],
)
def test_not_modified(headers, expected):
    assert not_modified(headers, '"abc"', "Mon, 06 Jan 2025 10:00:00 GMT") is expected


def test_the_server_answers_304_to_a_matching_conditional_get_and_503_once_to_a_flaky_page():
    site = NewsSite(START, per_hour=4, seed=1)
    flaky = next(s for s in site.catalogue.listed(START) if s.fate == "flaky")
    gone = next(s for s in site.catalogue.listed(START) if s.fate == "gone")

    def get(path, headers=None):
        request = urllib.request.Request(site.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers, answer.read()

    with serve(site):
        status, headers, body = get("/feeds/world.xml")
        assert status == 200 and b"<rss" in body
        assert get("/feeds/world.xml", {"If-None-Match": headers["ETag"]})[0] == 304
        assert get("/feeds/world.xml", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert get("/sitemap-news.xml")[2].count(b"<url>") == len(site.catalogue.listed(START))
        assert [get(flaky.path)[0], get(flaky.path)[0], get(flaky.path)[0]] == [503, 200, 200]
        assert [get(gone.path)[0], get(gone.path)[0]] == [404, 404]
        assert get("/robots.txt")[2].startswith(b"User-agent: *\nAllow: /")
    assert [(h.path, h.status, h.conditional) for h in site.take_hits()[:3]] == [
        ("/feeds/world.xml", 200, False),
        ("/feeds/world.xml", 304, True),
        ("/feeds/world.xml", 304, True),
    ]
    assert site.take_hits() == []


def test_split_pages_tells_first_fetches_retries_and_fetches_again_apart():
    def hit(path, status):
        return Hit(START, path, status, False)

    last = {"/old.html": 200, "/busy.html": 503}
    hits = [
        hit("/feeds/world.xml", 200),
        hit("/robots.txt", 200),
        hit("/new.html", 503),
        hit("/new.html", 200),
    ]
    hits += [hit("/busy.html", 200), hit("/old.html", 200)]
    first, retried, again, missed = split_pages(hits, {"/new.html", "/other.html"}, last)
    assert first == {"/new.html"}
    assert retried == 2  # /new.html after its 503 in this run, /busy.html after its 503 in an earlier one
    assert again == ["/old.html"] and missed == ["/other.html"]
    assert last == {"/old.html": 200, "/busy.html": 200, "/new.html": 200}
