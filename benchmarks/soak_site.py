"""The loopback news site ``make soak`` polls: a publisher on a simulated clock.

It publishes ``stories_per_hour`` stories an hour, spread over the hour, in four sections, each
with its RSS feed (``/feeds/<section>.xml``), and lists every story in a Google News sitemap
(``/sitemap-news.xml``). A story stays in its feed and in the sitemap for 48 hours, as news
sitemaps and most section feeds do; at the clock's start the site already holds the last 48
hours. Besides plain stories it has what a scheduled job meets on a real site:

- **updated stories**: the page's body gains an update paragraph some hours after publication,
  under the same URL (the feed and sitemap do not change);
- **syndicated copies**: the same story (title and body) under a second URL, on the ``/wire/``
  path in another section's feed, up to six hours after the original;
- **failing pages**: a few answer 404 for good, a few 503 once (with ``Retry-After: 1``) and then
  the page.

Feeds and the sitemap answer with an ``ETag`` and a ``Last-Modified`` that change only when a
story enters or leaves them, and ``304 Not Modified`` to a conditional GET that matches.
robots.txt allows everything. Every request is logged (:class:`Hit`): the benchmark counts what
a run fetched from the site's side, not from newsbeam's.

Everything a story is follows from the seed and its number, so a site is the same on every run
of the benchmark and needs no files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import html
import http.server
import random
import threading
from dataclasses import dataclass
from typing import Iterator, Optional
from xml.sax.saxutils import escape

SECTIONS = ("world", "business", "science", "culture")
#: How long a story stays in its feed and in the sitemap.
LISTED_FOR = dt.timedelta(hours=48)
SITE_NAME = "The Loopback Herald"

# What becomes of a story, as shares of the originals (drawn from the story's own random stream).
UPDATED_SHARE = 0.10
COPIED_SHARE = 0.08
GONE_SHARE = 0.02  # 404 for good
FLAKY_SHARE = 0.04  # 503 once, then the page


# ---------------------------------------------------------------- words


FIRST_NAMES = (
    "Amara", "Bilal", "Carmen", "Dmitri", "Elena", "Farid", "Greta", "Hiroshi", "Ines", "Jonas",
    "Kwame", "Leila", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tove",
    "Umar", "Valeria", "Wen", "Ximena", "Yusuf", "Zofia", "Anders", "Beatriz", "Callum", "Dalia",
    "Emeka", "Fiona", "Goran", "Hana", "Ivo", "Julia", "Kofi", "Lucia", "Malik", "Noor",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Bergstrom", "Castellanos", "Dubois", "Eriksen", "Fontaine", "Gallagher", "Haddad",
    "Ibarra", "Jovanovic", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quinlan", "Rahman", "Silva", "Takahashi", "Umarov", "Varga", "Whitfield", "Xu", "Yilmaz",
    "Zeller", "Achebe", "Brennan", "Costa", "Delgado", "Esposito", "Fischer", "Grant", "Holm",
    "Ivanova", "Jensen", "Keane", "Lopez", "Mensah", "Novak",
)  # fmt: skip
PLACES = (
    "Lisbon", "Nairobi", "Hamburg", "Toronto", "Glasgow", "Valparaiso", "Osaka", "Accra", "Tallinn",
    "Marseille", "Durban", "Gdansk", "Auckland", "Bergen", "Cork", "Porto", "Rotterdam", "Mombasa",
    "Halifax", "Antwerp", "Genoa", "Dakar", "Busan", "Tromso", "Seville", "Bilbao", "Lagos",
    "Montevideo", "Darwin", "Galway", "Aarhus", "Trieste", "Cebu", "Recife", "Hobart", "Split",
    "Tangier", "Kiel", "Leith", "Quebec",
)  # fmt: skip
ORGANISATIONS = (
    "the port authority", "the city council", "the transport ministry", "the regional assembly",
    "the harbour board", "the energy regulator", "the national rail operator", "the dockworkers' union",
    "the chamber of commerce", "the fisheries agency", "the water utility", "the housing trust",
    "the public broadcaster", "the weather service", "the university hospital", "the coast guard",
    "the statistics office", "the central bank", "the competition watchdog", "the arts council",
    "the museum board", "the schools inspectorate", "the environment agency", "the courts service",
)  # fmt: skip
ROLES = (
    "chair", "spokesperson", "chief executive", "deputy mayor", "finance director", "lead engineer",
    "head of research", "union organiser", "senior economist", "chief inspector", "programme director",
    "board member", "press officer", "project manager", "policy adviser", "harbour master",
)  # fmt: skip
SUBJECTS = (
    "ferry timetable", "wind farm", "rail freight link", "shore power scheme", "budget plan",
    "housing project", "flood barrier", "fishing quota", "bridge repair", "tram extension",
    "container terminal", "heat network", "school building programme", "museum extension",
    "water main", "cycle network", "port expansion", "hospital wing", "data centre", "sea wall",
    "bus depot", "library refit", "solar array", "desalination plant", "airport runway",
    "festival programme", "tax reform", "pension fund", "shipyard order", "canal dredging",
)  # fmt: skip
ADJECTIVES = (
    "delayed", "disputed", "long-awaited", "costly", "revised", "ambitious", "scaled-back",
    "controversial", "popular", "overdue", "expanded", "temporary", "permanent", "experimental",
)  # fmt: skip
VERBS_PAST = (
    "approved", "rejected", "postponed", "questioned", "defended", "announced", "reviewed",
    "funded", "criticised", "welcomed", "paused", "extended", "cancelled", "revived",
)  # fmt: skip
THINGS = (
    "residents", "commuters", "shipping firms", "farmers", "students", "shop owners", "nurses",
    "fishing crews", "tenants", "engineers", "pensioners", "tourists", "drivers", "teachers",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip

# Sentences with a slot every few words, so that two stories share few word shingles and
# near-duplicate detection keeps them apart.
SENTENCES = (
    "{person}, the {role} of {org}, said on {weekday} that the {adjective} {subject} in {place} would cost about {number} million.",
    "Critics in {place} argue that {things} were never asked about the {subject}, and {person} agreed that {org} moved too fast.",
    "The {subject} was first proposed in {month} {year}, when {org} {verb} a plan drawn up by {person}.",
    "According to figures from {org}, {number} {things} in {place} would be affected by the {adjective} {subject}.",
    "\"We have waited {number} years for this,\" said {person}, who leads a group of {things} near the {subject}.",
    "On {weekday}, {org} {verb} a second report on the {subject}, which {person} called {adjective} but necessary.",
    "{person} told reporters in {place} that the {subject} would open by {month} {year} if funding held.",
    "The cost of the {subject} has risen by {number} percent since {month}, {org} said in a statement.",
    "In {place}, {things} queued for {number} minutes on {weekday} to hear {person} explain the {subject}.",
    "A review by {org} found that the {adjective} {subject} in {place} had met {number} of its {number2} targets.",
    "{person}, a {role} who has followed the {subject} since {year}, said the decision surprised {things} in {place}.",
    "Work on the {subject} stopped for {number} days in {month} after {org} {verb} the contractor's safety plan.",
    "Officials in {place} and {place2} have compared notes on the {subject}, {person} confirmed on {weekday}.",
    "The {adjective} {subject} is expected to serve {number} thousand {things} a year, according to {person}.",
    "{org} said it had {verb} the request from {person} and would publish its reasons by {weekday}.",
    "Some {things} in {place} welcomed the {subject}; others said {org} had ignored the {adjective} costs.",
    "By the end of {month}, {number} {things} had signed a petition against the {subject} in {place}.",
    "{person} said the {subject} in {place2} showed what could go wrong, and urged {org} to wait.",
    "The vote on the {subject} in {place} ended {number} to {number2}, with {person} abstaining.",
    "Engineers told {org} the {adjective} {subject} would need {number} more weeks of tests before it opens.",
)  # fmt: skip
TITLES = (
    "{Org} {verb} {adjective} {subject} in {place}",
    "{place} {subject}: {person} says {things} were not asked",
    "{adjective_cap} {subject} for {place} {verb} after {number}-day review",
    "{person} to lead {place} {subject} as costs rise",
    "Why {things} in {place} are worried about the {subject}",
)  # fmt: skip
UPDATE_SENTENCE = (
    "Update: after this story was published, {org} said on {weekday} that the {subject} in "
    "{place} would be reviewed again, and {person} asked for {number} more days."
)


def fill(template: str, rng: random.Random) -> str:
    """A template with its slots drawn from the word lists."""
    org = rng.choice(ORGANISATIONS)
    adjective = rng.choice(ADJECTIVES)
    return template.format(
        person=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        role=rng.choice(ROLES),
        org=org,
        Org=org[0].upper() + org[1:],
        place=rng.choice(PLACES),
        place2=rng.choice(PLACES),
        subject=rng.choice(SUBJECTS),
        adjective=adjective,
        adjective_cap=adjective[0].upper() + adjective[1:],
        verb=rng.choice(VERBS_PAST),
        things=rng.choice(THINGS),
        weekday=rng.choice(WEEKDAYS),
        month=rng.choice(MONTHS),
        year=rng.randint(2009, 2024),
        number=rng.randint(2, 480),
        number2=rng.randint(2, 480),
    )


# ---------------------------------------------------------------- stories


@dataclass(frozen=True)
class Story:
    """One page the site lists. A syndicated copy is a story of its own (``copy_of`` says of
    which) with the original's title and body."""

    number: int
    section: str
    published: dt.datetime
    title: str
    paragraphs: tuple[str, ...]
    path: str
    #: When the body gains its update paragraph; None for a story never updated.
    updated: Optional[dt.datetime] = None
    update: str = ""
    #: "ok", "gone" (404 for good) or "flaky" (503 once, then the page).
    fate: str = "ok"
    copy_of: Optional[int] = None

    def listed(self, now: dt.datetime) -> bool:
        """In its feed and the sitemap at ``now``: published, and for at most 48 hours."""
        return self.published <= now < self.published + LISTED_FOR

    def body(self, now: dt.datetime) -> tuple[str, ...]:
        if self.updated is not None and now >= self.updated:
            return (*self.paragraphs, self.update)
        return self.paragraphs


def slugify(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words[:8])


class Catalogue:
    """Every story the site ever publishes, made on demand from the seed: stories are numbered
    in publication order from the clock's start minus 48 hours, ``per_hour`` an hour."""

    def __init__(self, start: dt.datetime, per_hour: int, seed: int):
        self.start, self.per_hour, self.seed = start, per_hour, seed
        self.first = start - LISTED_FOR
        self._made: dict[int, tuple[Story, ...]] = {}

    def published_at(self, number: int) -> dt.datetime:
        """Stories are spread over their hour, so each run meets the stories of the hour before it."""
        hour, index = divmod(number, self.per_hour)
        return self.first + dt.timedelta(hours=hour, minutes=(index + 0.5) * 60 / self.per_hour)

    def stories(self, number: int) -> tuple[Story, ...]:
        """The original numbered ``number`` and its syndicated copy, if it has one."""
        if number not in self._made:
            self._made[number] = self._make(number)
        return self._made[number]

    def _make(self, number: int) -> tuple[Story, ...]:
        rng = random.Random(f"{self.seed}:{number}")
        published = self.published_at(number)
        section = SECTIONS[rng.randrange(len(SECTIONS))]
        title = fill(rng.choice(TITLES), rng)
        paragraphs = tuple(
            " ".join(fill(rng.choice(SENTENCES), rng) for _ in range(rng.randint(2, 4)))
            for _ in range(rng.randint(6, 9))
        )
        slug = f"{slugify(title)}-{number}"
        path = f"/{section}/{published:%Y/%m/%d}/{slug}.html"
        draw = rng.random()
        fate = "gone" if draw < GONE_SHARE else "flaky" if draw < GONE_SHARE + FLAKY_SHARE else "ok"
        updated, update = None, ""
        if rng.random() < UPDATED_SHARE:
            updated = published + dt.timedelta(hours=rng.randint(1, 12), minutes=rng.randint(0, 59))
            update = fill(UPDATE_SENTENCE, rng)
        original = Story(number, section, published, title, paragraphs, path, updated, update, fate)
        if fate != "ok" or rng.random() >= COPIED_SHARE:
            return (original,)
        partner = SECTIONS[(SECTIONS.index(section) + 1 + rng.randrange(len(SECTIONS) - 1)) % len(SECTIONS)]
        copied = published + dt.timedelta(minutes=rng.randint(5, 6 * 60))
        copy = Story(
            number, partner, copied, title, paragraphs, f"/wire/{partner}/{slug}.html", copy_of=number
        )
        return original, copy

    def recent(self, now: dt.datetime) -> list[Story]:
        """Every story published in the 72 hours up to ``now`` (the listed ones and those that
        left the listings in the last day), oldest first."""
        last = self.number_before(now)
        first = self.number_before(now - LISTED_FOR - dt.timedelta(hours=24))
        found = [s for n in range(first, last) for s in self.stories(n) if s.published <= now]
        return sorted(found, key=lambda s: (s.published, s.path))

    def listed(self, now: dt.datetime) -> list[Story]:
        """Every story in a feed and the sitemap at ``now``, oldest first."""
        return [s for s in self.recent(now) if s.listed(now)]

    def number_before(self, moment: dt.datetime) -> int:
        """The number of the first original published after ``moment`` (so every original
        numbered below it was published at or before it)."""
        hours = (moment - self.first) / dt.timedelta(hours=1)
        number = max(0, int(hours * self.per_hour) - 1)
        while self.published_at(number) <= moment:
            number += 1
        return number

    def listed_between(self, since: Optional[dt.datetime], now: dt.datetime) -> list[Story]:
        """Stories that entered the listings after ``since`` and at or before ``now``: those a
        run at ``now`` meets for the first time (every listed one when ``since`` is None)."""
        return [s for s in self.listed(now) if since is None or s.published > since]


# ---------------------------------------------------------------- feeds, sitemap and pages


def http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.timezone.utc), usegmt=True)


def last_change(recent: list[Story], now: dt.datetime) -> dt.datetime:
    """When a listing last changed: the latest moment one of its stories entered or left it, at
    or before ``now`` (``recent`` are the listing's stories of the last 72 hours)."""
    moments = [s.published for s in recent] + [
        s.published + LISTED_FOR for s in recent if s.published + LISTED_FOR <= now
    ]
    return max(moments, default=now - LISTED_FOR - dt.timedelta(hours=24)).replace(microsecond=0)


def validators(recent: list[Story], now: dt.datetime) -> tuple[str, str]:
    """(ETag, Last-Modified) of a listing, from its stories of the last 72 hours: the ETag names
    exactly the stories it holds now, so it changes when, and only when, one enters or leaves."""
    listed = "\n".join(s.path for s in recent if s.listed(now))
    return f'"{hashlib.sha1(listed.encode()).hexdigest()[:16]}"', http_date(last_change(recent, now))


def not_modified(headers, etag: str, last_modified: str) -> bool:
    """A conditional GET that matches: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
    sent_etag = headers.get("If-None-Match")
    if sent_etag is not None:
        return etag in [tag.strip() for tag in sent_etag.split(",")] or sent_etag.strip() == "*"
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False


def rss(base: str, section: str, stories: list[Story]) -> str:
    items = "".join(
        f"""
    <item>
      <title>{escape(s.title)}</title>
      <link>{base}{s.path}</link>
      <guid isPermaLink="true">{base}{s.path}</guid>
      <pubDate>{http_date(s.published)}</pubDate>
      <category>{section}</category>
      <description>{escape(s.paragraphs[0][:180])}...</description>
    </item>"""
        for s in reversed(stories)  # newest first, as feeds list them
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>{SITE_NAME}: {section}</title>
    <link>{base}/{section}/</link>
    <description>The latest {section} stories from {SITE_NAME}.</description>
    <language>en-gb</language>{items}
  </channel>
</rss>
"""


def news_sitemap(base: str, stories: list[Story]) -> str:
    urls = "".join(
        f"""
  <url>
    <loc>{base}{s.path}</loc>
    <news:news>
      <news:publication><news:name>{SITE_NAME}</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>{s.published.isoformat().replace("+00:00", "Z")}</news:publication_date>
      <news:title>{escape(s.title)}</news:title>
    </news:news>
  </url>"""
        for s in reversed(stories)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}
</urlset>
"""


def page(base: str, story: Story, now: dt.datetime) -> str:
    rng = random.Random(f"chrome:{story.path}")
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    published = story.published.isoformat()
    modified = story.updated.isoformat() if story.updated is not None and now >= story.updated else published
    nav = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in SECTIONS)
    body = "\n".join(f"      <p>{html.escape(p)}</p>" for p in story.body(now))
    label = (
        f"{story.section.title()} · from our partners" if story.copy_of is not None else story.section.title()
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(story.title)} | {SITE_NAME}</title>
  <link rel="canonical" href="{base}{story.path}">
  <meta property="og:title" content="{html.escape(story.title)}">
  <meta property="og:type" content="article">
  <meta property="article:published_time" content="{published}">
  <meta property="article:modified_time" content="{modified}">
  <meta name="author" content="{author}">
</head>
<body>
  <header><a href="/">{SITE_NAME}</a><nav><ul>{nav}</ul></nav></header>
  <main>
    <article>
      <p class="kicker">{label}</p>
      <h1>{html.escape(story.title)}</h1>
      <p class="byline">By <span class="author">{author}</span>, <time datetime="{published}">{story.published:%d %B %Y, %H:%M}</time></p>
{body}
    </article>
  </main>
  <footer><p>© {SITE_NAME}. All rights reserved.</p><p><a href="/about">About us</a> · <a href="/contact">Contact</a></p></footer>
</body>
</html>
"""


# ---------------------------------------------------------------- the server


@dataclass(frozen=True)
class Hit:
    """One request the site answered, at the simulated time it arrived."""

    at: dt.datetime
    path: str
    status: int
    conditional: bool

    @property
    def kind(self) -> str:
        """robots, feed (feeds and the sitemap) or page."""
        if self.path == "/robots.txt":
            return "robots"
        if self.path.startswith("/feeds/") or self.path == "/sitemap-news.xml":
            return "feed"
        return "page"


class NewsSite:
    """The site's state: its catalogue, its clock (set by the benchmark), which flaky pages have
    failed once, and the request log."""

    def __init__(self, start: dt.datetime, per_hour: int, seed: int):
        self.catalogue = Catalogue(start, per_hour, seed)
        self.now = start
        self.base = ""
        self.hits: list[Hit] = []
        self._failed_once: set[str] = set()
        self._lock = threading.Lock()

    def listing_etags(self) -> dict[str, str]:
        """The ETag of each feed and of the sitemap now: a listing that answers the same ETag as
        at the last run has nothing new, and a conditional GET of it should get a 304."""
        recent = self.catalogue.recent(self.now)
        found = {"/sitemap-news.xml": validators(recent, self.now)[0]}
        for section in SECTIONS:
            found[f"/feeds/{section}.xml"] = validators(
                [s for s in recent if s.section == section], self.now
            )[0]
        return found

    def answer(self, path: str, headers) -> tuple[int, dict, bytes]:
        """The status, headers and body for a GET of ``path`` now."""
        now = self.now
        if path == "/robots.txt":
            text = f"User-agent: *\nAllow: /\n\nSitemap: {self.base}/sitemap-news.xml\n"
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()
        recent = self.catalogue.recent(now)
        if path == "/sitemap-news.xml" or path.startswith("/feeds/"):
            section = path.removeprefix("/feeds/").removesuffix(".xml")
            if path != "/sitemap-news.xml" and section not in SECTIONS:
                return 404, {"Content-Type": "text/plain"}, b"no such feed"
            if path != "/sitemap-news.xml":
                recent = [s for s in recent if s.section == section]
            etag, modified = validators(recent, now)
            found = {"ETag": etag, "Last-Modified": modified, "Cache-Control": "max-age=300"}
            if not_modified(headers, etag, modified):
                return 304, found, b""
            listed = [s for s in recent if s.listed(now)]
            text = (
                news_sitemap(self.base, listed)
                if path == "/sitemap-news.xml"
                else rss(self.base, section, listed)
            )
            return 200, {"Content-Type": "application/xml; charset=utf-8", **found}, text.encode()
        story = self._published(path, now)
        if story is None or story.fate == "gone":
            return (
                404,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<html><body><h1>Not found</h1></body></html>",
            )
        if story.fate == "flaky":
            with self._lock:
                first = path not in self._failed_once
                self._failed_once.add(path)
            if first:
                return 503, {"Content-Type": "text/plain", "Retry-After": "1"}, b"busy, try again"
        modified = story.updated if story.updated is not None and now >= story.updated else story.published
        found = {"Content-Type": "text/html; charset=utf-8", "Last-Modified": http_date(modified)}
        return 200, found, page(self.base, story, now).encode()

    def _published(self, path: str, now: dt.datetime) -> Optional[Story]:
        """The story at ``path`` if it is published by ``now``; its page stays online after it
        leaves the listings. Every story's path ends in its number."""
        number = path.rsplit("-", 1)[-1].removesuffix(".html")
        if not number.isdigit() or int(number) >= self.catalogue.number_before(now):
            return None
        found = (s for s in self.catalogue.stories(int(number)) if s.path == path and s.published <= now)
        return next(found, None)

    def log(self, path: str, status: int, conditional: bool) -> None:
        with self._lock:
            self.hits.append(Hit(self.now, path, status, conditional))

    def take_hits(self) -> list[Hit]:
        """The requests logged since the last call."""
        with self._lock:
            hits, self.hits = self.hits, []
        return hits


@contextlib.contextmanager
def serve(site: NewsSite) -> Iterator[NewsSite]:
    """The site on 127.0.0.1 (an ephemeral port, ``site.base``), in a thread, until the block ends."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real site

        def do_GET(self):  # noqa: N802 - http.server's naming
            path = self.path.split("?")[0]
            conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
            status, headers, body = site.answer(path, self.headers)
            site.log(path, status, conditional)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
