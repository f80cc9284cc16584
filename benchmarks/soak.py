"""``make soak``: a scheduled job's life, fourteen simulated days of hourly runs in about half an hour.

A loopback news site (``benchmarks/soak_site.py``) publishes ``--stories-per-hour`` stories an
hour in four section feeds and a Google News sitemap, on a simulated clock; each story stays
listed for 48 hours, and at the start the site already holds the last 48 hours. Some stories are
updated after publication, some are syndicated copies under a second URL, a few pages answer 404
for good and a few 503 once. ``newsbeam run`` then runs once per simulated hour (``--hours``,
default 336: fourteen days) into one output, with the four feeds and the sitemap as inputs,
``--dedup_lookback_days 1``, ``--quiet`` and the default workers. The run's clock is
``newsbeam.pipeline.run.utc_now``, patched to the simulated hour: it gives the run's start, its
partition day and its state window. (``--run_date`` would also filter stories by publication
day, so it is not used.)

Why ``--dedup_lookback_days 1``: newsbeam reads the run's own day and the N days before it
(``pipeline/state.py``: ``window_start``), so with N=1 the window is full from the second day
on, and target 3 compares a full window with a full window. It is enough though a story stays
listed for 48 hours, which touch three calendar days: a run that meets a remembered link whose
newest ``links`` row is in the window's first day writes that row again into its own day
(``transforms/dedup/links.py``: ``settle``), so a link stays in the window as long as a feed
lists it. Syndicated copies follow their original within 6 hours, inside the window's 24 to 48
hours of fingerprints. A window that is too short shows here as pages fetched again (target 1);
``--dedup-lookback-days`` tries another (before links were carried, 3 was the least that covered
a listing, and the state read doubled from day 2 to day 5 while that window filled).

**In-process, not a process per run.** The run's fixed cost decides whether 336 runs fit in half
an hour. Measured on the 2-core machine while others' tests ran on it (load average about 4),
``--hours 4 --stories-per-hour 2`` both ways, the three runs after the first: a run in a fresh
process (``--subprocess``) took 22, 18 and 15 s, the same runs in this process 8.7, 6.5 and
5.5 s. A fresh process pays each time for the Python, Beam and spaCy imports and for Beam's
start-up; here they are paid once. What remains is mostly Beam building and running a graph of
about 600 transforms (a profile of one run: ``Pipeline.apply`` and the DirectRunner), not
newsbeam's stages, which work well under a second on a few new stories. 336 runs in fresh
processes would take well over an hour.

Per run it prints one line: the simulated time; the page requests the site answered (feeds,
sitemap and robots.txt counted apart), of them the retries of a transient failure (503), and
the stories the site published since the last run; feeds and sitemap requests and those
answered 304; the runs row's new articles, the run's ``duplicates`` rows by reason and its
errors; the state bytes the run read back (runs row ``state_bytes_read``); wall seconds of
``newsbeam.pipeline.cli.main``; the files the run wrote per table (runs row ``tables``); and
this process's resident memory. At the end: each figure's median on the first, second and last
simulated day and the ratio last/second; a few medians for every day (where the state window
fills up, and whether it then stays flat); what became of every story the site listed; whether
the listings that had not changed since the run before answered 304; then the targets, each
PASS or FAIL:

1. pages fetched per run == the stories published since the last run + the transient failures
   retried (no page fetched twice, none left out);
2. no row written twice: no ``article_id`` twice in ``articles``, and no input record (run and
   ``input_ref``) in two of ``articles``, ``duplicates`` and ``errors``;
3. the last day's median wall time and state bytes read are within 1.2x of the second day's
   (needs at least three simulated days);
4. the accounting holds on every run (runs row: articles + duplicates + errors == inputs), and
   every run exited 0.

Exits 1 when a target fails. Figures are measured, never loosened to pass.

    .venv/bin/python benchmarks/soak.py [--hours 336] [--stories-per-hour N] [--seed 1]
        [--output DIR] [--keep] [--subprocess] [--dedup-lookback-days 1]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.soak_site import SECTIONS, Hit, NewsSite, serve  # noqa: E402

#: Simulated time of the first run: a Monday at midnight, so every 24 runs are one day.
START = dt.datetime(2025, 1, 6, tzinfo=dt.timezone.utc)
LOOKBACK_DAYS = 1
#: The last day's medians may be at most this many times the second day's.
GROWTH_LIMIT = 1.2
#: Statuses newsbeam retries, in the same run or the next.
TRANSIENT = {429, 500, 502, 503, 504}
REASONS = ("seen_link", "url", "text", "near")

#: A fresh process for one run: the clock patched to the simulated hour, then the CLI.
SUBPROCESS_RUN = (
    "import datetime, sys\n"
    "import newsbeam.pipeline.run as run\n"
    "now = datetime.datetime.fromisoformat(sys.argv[1])\n"
    "run.utc_now = lambda: now\n"
    "from newsbeam.pipeline.cli import run_and_exit\n"
    "run_and_exit(sys.argv[2:])\n"
)


@dataclass
class RunFigures:
    """What one hourly run did, from the site's log and from the run's own rows."""

    hour: int
    at: dt.datetime
    exit_code: int
    wall: float
    new: int
    pages: int
    retried: int
    #: Pages fetched again though their last answer was final (200, 404): should be none.
    refetched: list = field(default_factory=list)
    #: Stories published since the last run that this run did not fetch: should be none.
    missed: list = field(default_factory=list)
    feeds: int = 0
    not_modified: int = 0
    #: Feeds and sitemap whose listing had not changed since the last run (the site's ETags),
    #: and of them those fetched whole all the same (no conditional GET, or one that missed).
    unchanged: int = 0
    unchanged_fetched: int = 0
    robots: int = 0
    row: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    errors_by_kind: dict = field(default_factory=dict)
    rss_mib: float = 0.0
    failure: str = ""

    @property
    def day(self) -> int:
        return self.hour // 24

    @property
    def files(self) -> dict:
        return {t["table"]: t["files"] for t in self.row.get("tables") or []}

    def figure(self, name: str) -> Optional[float]:
        """A figure by its name in the trend table (None when the run has none)."""
        if name in REASONS:
            return self.reasons.get(name, 0)
        if name in ("articles", "inputs", "errors", "duplicates"):
            return self.row.get(name)
        if name == "state_bytes_read":
            return self.row.get("state_bytes_read")
        if name == "files":
            return sum(self.files.values()) if self.row else None
        return getattr(self, name)


# ---------------------------------------------------------------- the site's side


def split_pages(
    hits: list[Hit], new_paths: set[str], last_status: dict[str, int]
) -> tuple[set, int, list, list]:
    """A run's page requests, as the site saw them: (paths fetched for the first time, retries
    of a transient failure, paths fetched again after a final answer, new paths not fetched).
    ``last_status`` (path → last status answered, over the whole soak) is brought up to date."""
    first, retried, refetched = set(), 0, []
    for hit in hits:
        if hit.kind != "page":
            continue
        before = last_status.get(hit.path)
        if before is None:
            first.add(hit.path)
        elif before in TRANSIENT:
            retried += 1
        else:
            refetched.append(hit.path)
        last_status[hit.path] = hit.status
    return first, retried, refetched, sorted(new_paths - first)


# ---------------------------------------------------------------- one run


def newsbeam_argv(site: NewsSite, output: str, run_id: str, lookback_days: int = LOOKBACK_DAYS) -> list[str]:
    argv = ["run", "--output", output, "--run_id", run_id, "--quiet", "--allow_private_network"]
    argv += ["--dedup_lookback_days", str(lookback_days)]
    for section in SECTIONS:
        argv += ["--input", f"rss:{site.base}/feeds/{section}.xml"]
    return argv + ["--input", f"sitemap:{site.base}/sitemap-news.xml"]


def run_in_process(argv: list[str], now: dt.datetime) -> tuple[int, str, str]:
    """``newsbeam run`` in this process, what it prints kept; the clock is patched by the caller."""
    from newsbeam.pipeline import cli

    printed, said = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(said):
        code = cli.main(argv)
    return code, printed.getvalue(), said.getvalue()


def run_in_subprocess(argv: list[str], now: dt.datetime) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_RUN, now.isoformat(), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.returncode, done.stdout, done.stderr


def run_rows(output: str, run_id: str, day: dt.date) -> tuple[dict, dict, dict]:
    """The run's runs row, its duplicates by reason and its errors by stage/kind, as a reader
    of ``newsbeam query`` sees them."""
    from newsbeam.pipeline.query import connect

    with connect(output) as con:
        cursor = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
        columns = [d[0] for d in cursor.description]
        found = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
        reasons = dict(
            con.execute(
                "SELECT reason, count(*) FROM duplicates WHERE run_date = ? AND run_id = ? GROUP BY 1",
                [day, run_id],
            ).fetchall()
        )
        kinds = dict(
            con.execute(
                "SELECT stage || '/' || kind, count(*) FROM errors WHERE run_date = ? AND run_id = ? GROUP BY 1",
                [day, run_id],
            ).fetchall()
        )
    return (found[0] if found else {}), reasons, kinds


def resident_mib() -> float:
    with open("/proc/self/status") as handle:
        kib = next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
    return kib / 1024


# ---------------------------------------------------------------- printing


TABLE_ABBREVIATIONS = {
    "articles": "art", "entities": "ent", "places": "pla", "quotes": "quo", "counts": "cnt",
    "keywords": "key", "duplicates": "dup", "errors": "err", "fingerprints": "fpr", "links": "lnk",
    "feeds": "fds", "runs": "run",
}  # fmt: skip


def header(tables: list[str]) -> str:
    files = " ".join(f"{TABLE_ABBREVIATIONS.get(t, t[:3]):>3}" for t in tables)
    return (
        f"{'hour':>4} {'simulated':<16} {'new':>4} {'pages':>5} {'retry':>5} {'feeds':>5} {'304':>3} {'rbt':>3}"
        f" | {'artcl':>5} {'seen':>4} {'url':>3} {'text':>4} {'near':>4} {'errs':>4}"
        f" | {'state_kB':>8} {'wall_s':>6} | files {files} | {'rss_MiB':>7}"
    )


def line(run: RunFigures, tables: list[str]) -> str:
    state = run.row.get("state_bytes_read")
    files = " ".join(f"{run.files.get(t, 0):>3}" for t in tables)
    reasons = " ".join(f"{run.reasons.get(r, 0):>{w}}" for r, w in zip(REASONS, (4, 3, 4, 4), strict=True))
    text = (
        f"{run.hour:>4} {run.at:%Y-%m-%d %H:%M} {run.new:>4} {run.pages:>5} {run.retried:>5}"
        f" {run.feeds:>5} {run.not_modified:>3} {run.robots:>3}"
        f" | {run.row.get('articles', '-'):>5} {reasons} {run.row.get('errors', '-'):>4}"
        f" | {'-' if state is None else f'{state / 1000:.1f}':>8} {run.wall:>6.1f} | files {files}"
        f" | {run.rss_mib:>7.0f}"
    )
    notes = []
    if run.exit_code:
        notes.append(f"exit {run.exit_code}")
    if run.refetched:
        notes.append(f"fetched again: {', '.join(run.refetched[:3])}")
    if run.missed:
        notes.append(f"not fetched: {', '.join(run.missed[:3])}")
    if run.unchanged_fetched:
        notes.append(f"{run.unchanged_fetched} feeds unchanged since the last run fetched whole")
    said = run.row.get("feeds_not_modified")
    if said is not None and said != run.not_modified:
        notes.append(f"runs row says {said} feeds answered 304")
    if run.errors_by_kind:
        notes.append("errors " + ", ".join(f"{k} {n}" for k, n in sorted(run.errors_by_kind.items())))
    if run.failure:
        notes.append(run.failure)
    return text + ("  [" + "; ".join(notes) + "]" if notes else "")


TREND_FIGURES = (
    ("new", "stories published since the last run"),
    ("pages", "pages fetched"),
    ("retried", "of them retries after a 503"),
    ("feeds", "feed and sitemap requests"),
    ("not_modified", "of them answered 304"),
    ("robots", "robots.txt requests"),
    ("articles", "new articles"),
    ("seen_link", "duplicates: seen_link"),
    ("url", "duplicates: url"),
    ("text", "duplicates: text"),
    ("near", "duplicates: near"),
    ("errors", "errors"),
    ("state_bytes_read", "state bytes read"),
    ("wall", "wall seconds"),
    ("files", "files written (all tables)"),
    ("rss_mib", "resident MiB of this process"),
)


def day_median(runs: list[RunFigures], name: str) -> Optional[float]:
    values = [v for v in (r.figure(name) for r in runs) if v is not None]
    return statistics.median(values) if values else None


def compared_days(runs: list[RunFigures]) -> tuple[list, list, list, int]:
    """The runs of the first day, the second day and the last whole day (the last day when none
    after the second is whole), and that last day's number (0-based)."""
    days: dict[int, list] = {}
    for run in runs:
        days.setdefault(run.day, []).append(run)
    whole = [d for d, found in days.items() if len(found) == 24 and d >= 2]
    last = max(whole) if whole else max(days)
    return days.get(0, []), days.get(1, []), days.get(last, []) if last >= 2 else [], last


def every_day(runs: list[RunFigures]) -> list[str]:
    """A few figures' medians on every simulated day: where a window fills up, and whether it
    then stays flat."""
    days: dict[int, list] = {}
    for run in runs:
        days.setdefault(run.day, []).append(run)
    lines = [
        f"{'day':>3} {'runs':>4} {'new':>5} {'pages':>5} {'304':>4} {'seen':>5} {'state_kB':>9} {'wall_s':>7} {'rss_MiB':>8}"
    ]
    for day, found in sorted(days.items()):
        state = day_median(found, "state_bytes_read")
        lines.append(
            f"{day + 1:>3} {len(found):>4} {day_median(found, 'new'):>5.1f} {day_median(found, 'pages'):>5.1f}"
            f" {day_median(found, 'not_modified'):>4.1f} {day_median(found, 'seen_link'):>5.1f}"
            f" {'-' if state is None else f'{state / 1000:.1f}':>9} {day_median(found, 'wall'):>7.1f}"
            f" {day_median(found, 'rss_mib'):>8.0f}"
        )
    return lines


def trend(runs: list[RunFigures]) -> list[str]:
    first, second, last, last_day = compared_days(runs)

    def show(value: Optional[float]) -> str:
        if value is None:
            return "-"
        return f"{value:,.1f}" if value != int(value) or abs(value) < 100 else f"{value:,.0f}"

    lines = [
        f"{'median per run':<40}{'day 1':>12}{'day 2':>12}{f'day {last_day + 1}' if last else 'last day':>12}{'last/2nd':>10}"
    ]
    for name, label in TREND_FIGURES:
        values = [day_median(found, name) if found else None for found in (first, second, last)]
        ratio = "-"
        if values[1] and values[2] is not None:
            ratio = f"{values[2] / values[1]:.2f}"
        lines.append(f"{label:<40}" + "".join(f"{show(v):>12}" for v in values) + f"{ratio:>10}")
    return lines


# ---------------------------------------------------------------- the targets


def check_pages(runs: list[RunFigures]) -> tuple[bool, str]:
    wrong = [r for r in runs if r.pages != r.new + r.retried or r.refetched or r.missed]
    text = (
        f"{sum(r.pages for r in runs):,} page requests over {len(runs)} runs = "
        f"{sum(r.new for r in runs):,} new stories + {sum(r.retried for r in runs)} retries after a 503"
        f"; feeds and sitemap {sum(r.feeds for r in runs):,} requests ({sum(r.not_modified for r in runs):,} answered 304)"
        f", robots.txt {sum(r.robots for r in runs)}"
    )
    if wrong:
        text += f"; {len(wrong)} runs differ, e.g. " + "; ".join(
            f"hour {r.hour}: pages {r.pages} != new {r.new} + retried {r.retried}"
            f" (fetched again {len(r.refetched)}, not fetched {len(r.missed)})"
            for r in wrong[:5]
        )
    return not wrong, text


def check_rows_once(output: str) -> tuple[bool, str]:
    from newsbeam.pipeline.query import connect

    with connect(output) as con:
        articles = con.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone()
        twice = con.execute(
            """
            SELECT run_id, input_ref, string_agg(source, '+') FROM (
                SELECT run_id, input_ref, 'articles' AS source FROM articles
                UNION ALL SELECT run_id, input_ref, 'duplicates' FROM duplicates
                UNION ALL SELECT run_id, input_ref, 'errors' FROM errors WHERE stage <> 'extract'
            ) GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2
            """
        ).fetchall()
        records = con.execute(
            """SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM duplicates)
                    + (SELECT count(*) FROM errors WHERE stage <> 'extract')"""
        ).fetchone()[0]
    ok = articles[0] == articles[1] and not twice
    text = (
        f"articles {articles[0]:,} rows, {articles[1]:,} distinct article_id; "
        f"{records:,} input records, {len(twice)} in more than one row"
    )
    if twice:
        text += ": " + "; ".join(f"{run} {ref} in {where}" for run, ref, where in twice[:5])
    return ok, text


def check_growth(runs: list[RunFigures]) -> list[tuple[str, Optional[bool], str]]:
    _, second, last, last_day = compared_days(runs)
    found = []
    for name, label in (("wall", "median wall time"), ("state_bytes_read", "median state bytes read")):
        if not second or not last:
            found.append(
                (
                    f"last day's {label} within {GROWTH_LIMIT}x of the second day's",
                    None,
                    "needs three simulated days",
                )
            )
            continue
        before, after = day_median(second, name), day_median(last, name)
        if before is None or after is None:
            found.append(
                (
                    f"last day's {label} within {GROWTH_LIMIT}x of the second day's",
                    False,
                    "the runs row has no figure",
                )
            )
            continue
        ratio = after / before if before else float("inf") if after else 1.0
        found.append(
            (
                f"last day's {label} within {GROWTH_LIMIT}x of the second day's",
                ratio <= GROWTH_LIMIT,
                f"day 2 {before:,.1f}, day {last_day + 1} {after:,.1f}: {ratio:.2f}x",
            )
        )
    return found


def check_accounting(runs: list[RunFigures]) -> tuple[bool, str]:
    wrong = [
        r for r in runs
        if r.exit_code != 0 or not r.row
        or r.row["articles"] + r.row["duplicates"] + r.row["errors"] != r.row["inputs"]
    ]  # fmt: skip
    text = (
        f"{len(runs) - len(wrong)} of {len(runs)} runs exited 0 with articles + duplicates + errors == inputs"
    )
    if wrong:
        text += "; " + "; ".join(
            f"hour {r.hour}: exit {r.exit_code}, "
            + (
                f"{r.row['articles']} + {r.row['duplicates']} + {r.row['errors']} vs {r.row['inputs']}"
                if r.row
                else f"no runs row {r.failure}"
            )
            for r in wrong[:5]
        )
    return not wrong, text


def story_fates(output: str, site: NewsSite, listed: set[str]) -> list[str]:
    """What became of every story the site listed during the soak (not a target: how the
    harness's copies and failures came out)."""
    from newsbeam.pipeline.query import connect

    with connect(output) as con:
        kept = {u for (u,) in con.execute("SELECT url FROM articles").fetchall()}
        dropped = dict(
            con.execute(
                "SELECT url, min(reason) FROM duplicates WHERE reason <> 'seen_link' GROUP BY 1"
            ).fetchall()
        )
        failed = dict(
            con.execute("SELECT url, min(kind) FROM errors WHERE stage <> 'extract' GROUP BY 1").fetchall()
        )
    counts: dict[tuple[str, str], int] = {}
    by_path = {
        s.path: s for n in range(site.catalogue.number_before(site.now)) for s in site.catalogue.stories(n)
    }
    for path in listed:
        story, url = by_path[path], site.base + path
        what = (
            "kept" if url in kept
            else f"error {failed[url]}" if url in failed
            else f"duplicate {dropped[url]}" if url in dropped
            else "nowhere"
        )  # fmt: skip
        role = (
            "copy"
            if story.copy_of is not None
            else {"gone": "404 page", "flaky": "503-once page"}.get(story.fate, "story")
        )
        counts[(role, what)] = counts.get((role, what), 0) + 1
    return [f"{role:<14} {what:<22} {n:>6,}" for (role, what), n in sorted(counts.items())]


# ---------------------------------------------------------------- the soak


def soak(args) -> int:
    from newsbeam.schemas import all_tables

    tables = list(all_tables())
    output = args.output or tempfile.mkdtemp(prefix="newsbeam-soak-")
    if args.output and os.path.exists(output) and os.listdir(output):
        sys.exit(f"--output {output} is not empty: the soak needs a fresh output")
    site = NewsSite(START, args.stories_per_hour, args.seed)
    runner = run_in_subprocess if args.subprocess else run_in_process
    runs: list[RunFigures] = []
    last_status: dict[str, int] = {}
    last_etags: dict[str, str] = {}
    listed: set[str] = set()
    started = time.monotonic()
    print(
        f"newsbeam soak: {args.hours} hourly runs from {START:%Y-%m-%d %H:%M} (simulated), "
        f"{args.stories_per_hour} stories an hour in {len(SECTIONS)} feeds and a news sitemap, "
        f"48 hours listed; --dedup_lookback_days {args.dedup_lookback_days}; "
        f"{'a process per run' if args.subprocess else 'in-process'}; output {output}",
        flush=True,
    )
    with serve(site), mock.patch("newsbeam.pipeline.run.utc_now", side_effect=lambda: site.now):
        previous: Optional[dt.datetime] = None
        for hour in range(args.hours):
            site.now = START + dt.timedelta(hours=hour)
            if hour % 24 == 0:
                print(f"\nday {hour // 24 + 1}\n" + header(tables), flush=True)
            new = {s.path for s in site.catalogue.listed_between(previous, site.now)}
            etags = site.listing_etags()
            unchanged = {path for path, etag in etags.items() if etag == last_etags.get(path)}
            last_etags = etags
            listed |= new
            run_id = f"soak-{hour:04d}"
            clock = time.perf_counter()
            failure = ""
            try:
                code, _, stderr = runner(
                    newsbeam_argv(site, output, run_id, args.dedup_lookback_days), site.now
                )
            except Exception as exc:  # noqa: BLE001 - a run that raised is a figure of the soak, not its end
                code, stderr, failure = 1, "", f"raised {type(exc).__name__}: {exc}"
            wall = time.perf_counter() - clock
            if code and stderr:
                failure = failure or stderr.strip().splitlines()[-1]
            hits = site.take_hits()
            first, retried, refetched, missed = split_pages(hits, new, last_status)
            row, reasons, kinds = run_rows(output, run_id, site.now.date())
            run = RunFigures(
                hour=hour,
                at=site.now,
                exit_code=code,
                wall=wall,
                new=len(new),
                pages=sum(h.kind == "page" for h in hits),
                retried=retried,
                refetched=refetched,
                missed=missed,
                feeds=sum(h.kind == "feed" for h in hits),
                not_modified=sum(h.kind == "feed" and h.status == 304 for h in hits),
                unchanged=len(unchanged),
                unchanged_fetched=len({h.path for h in hits if h.status == 200} & unchanged),
                robots=sum(h.kind == "robots" for h in hits),
                row=row,
                reasons=reasons,
                errors_by_kind=kinds,
                rss_mib=resident_mib(),
                failure=failure,
            )
            runs.append(run)
            print(line(run, tables), flush=True)
            previous = site.now

    print(f"\n{args.hours} runs in {(time.monotonic() - started) / 60:.1f} minutes")
    print("\nTrend (median per run, by simulated day):")
    for text in trend(runs):
        print("  " + text)
    print("\nEvery day (median per run):")
    for text in every_day(runs):
        print("  " + text)
    print("\nWhat became of the stories listed during the soak (role, where it ended, stories):")
    for text in story_fates(output, site, listed):
        print("  " + text)

    checks: list[tuple[str, Optional[bool], str]] = []
    ok, text = check_pages(runs)
    checks.append(("pages fetched per run == new stories + transient failures retried", ok, text))
    ok, text = check_rows_once(output)
    checks.append(("no row written twice", ok, text))
    checks += check_growth(runs)
    ok, text = check_accounting(runs)
    checks.append(("the accounting holds on every run", ok, text))
    print("\nTargets:")
    for name, ok, text in checks:
        print(f"  {'SKIP' if ok is None else 'PASS' if ok else 'FAIL'}  {name}: {text}")
    said = [r.row.get("feeds_not_modified") for r in runs]
    print(
        "\nAlso seen (not targets): of the feed and sitemap listings unchanged since the run before, "
        f"{sum(r.unchanged - r.unchanged_fetched for r in runs)} of {sum(r.unchanged for r in runs)} answered 304;"
        f" the runs rows' feeds_not_modified {'match' if said == [r.not_modified for r in runs] else 'differ from'}"
        " the site's log"
    )
    failed = [name for name, ok, _ in checks if ok is False]
    print(f"\n{'FAILED: ' + '; '.join(failed) if failed else 'every target met'}")
    if args.keep:
        print(f"output kept in {output}")
    else:
        shutil.rmtree(output, ignore_errors=True)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=int, default=336, help="hourly runs (default 336: fourteen days)")
    parser.add_argument(
        "--stories-per-hour", type=int, default=4, help="stories the site publishes an hour (default 4)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the site's stories follow from it (default 1)")
    parser.add_argument("--output", default=None, help="an empty or new folder (default: a temporary one)")
    parser.add_argument(
        "--dedup-lookback-days",
        type=int,
        default=LOOKBACK_DAYS,
        help=f"the runs' --dedup_lookback_days (default {LOOKBACK_DAYS}: see the docstring)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the output folder when done")
    parser.add_argument(
        "--subprocess",
        action="store_true",
        help="run each hour in a fresh process (slower; see the docstring)",
    )
    args = parser.parse_args()
    if args.hours < 1 or args.stories_per_hour < 1:
        parser.error("--hours and --stories-per-hour must be 1 or more")
    logging.getLogger().setLevel(logging.ERROR)  # Beam's import-time warnings, as newsbeam run keeps them off
    code = soak(args)
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without interpreter teardown: Beam's in-process runner threads can abort it after
    # the figures are printed (pipeline/cli.py: run_and_exit), and the exit code must be the soak's.
    os._exit(code)


if __name__ == "__main__":
    main()
