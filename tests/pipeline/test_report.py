"""``newsbeam report``: the page from the sample run and from an empty folder, in headless Chromium.

The browser test drives the system's Chromium (Debian's ``chromium`` package, which ``.ci/run``
installs) through Playwright; where either is missing it skips and says which. With
``NEWSBEAM_UPDATE_SCREENSHOT=1`` it also writes the README's screenshot, ``docs/report.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.query import connect
from tests.conftest import ROOT

SECTIONS = ("runs", "articles", "dedup", "errors", "entities", "places", "quotes", "counts")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def sample_report(sample_output, tmp_path_factory) -> Path:
    """The report of the samples' run (tests/conftest.py), written beside it."""
    page = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", "--output", str(sample_output), "--html", str(page)]) == 0
    return page


def test_the_report_of_the_sample_run_has_every_section_and_the_run_s_figures(sample_output, sample_report):
    page = sample_report.read_text()
    for section in SECTIONS:
        assert f"<section id='{section}'>" in page
    inputs, articles, duplicates, errors = (
        connect(str(sample_output))
        .execute("SELECT inputs, articles, duplicates, errors FROM runs")
        .fetchone()
    )
    for value, label in (
        (inputs, "inputs"),
        (articles, "articles"),
        (duplicates, "duplicates"),
        (errors, "errors"),
    ):
        assert f"<div><b>{value:,}</b>{label}</div>" in page
    assert articles + duplicates + errors == inputs
    assert "Bristol" in page  # the samples' most named place and organisations reach the charts


def test_the_page_needs_no_network(sample_report):
    page = sample_report.read_text()
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=['\"]?https?:", page)
    assert "Plotly" in page and len(page) > 1_000_000  # plotly.js inlined whole


def test_the_date_range_keeps_articles_published_in_it(sample_output, tmp_path):
    days = [d for (d,) in connect(str(sample_output)).execute(
        "SELECT DISTINCT published_date FROM articles WHERE published_date IS NOT NULL ORDER BY 1").fetchall()]  # fmt: skip
    assert len(days) >= 2
    page = tmp_path / "first-day.html"
    assert main(["report", "--output", str(sample_output), "--html", str(page), "--since", str(days[0]), "--until", str(days[0])]) == 0  # fmt: skip
    text = page.read_text()
    assert f"published {days[0]} to {days[0]}" in text
    assert str(days[1]) not in text.split("Articles per day published")[1].split("</section>")[0]


def test_an_empty_output_says_there_is_nothing_yet(tmp_path, capsys):
    assert main(["report", "--output", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {tmp_path / 'report.html'}"
    page = (tmp_path / "report.html").read_text()
    assert "Nothing here yet" in page and "Traceback" not in page


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--output", "/nonexistent/out"], "does not exist"),
        (["--output", "gs://bucket/out"], "local output folder"),
        (["--since", "yesterday"], "is not a date"),
    ],
)
def test_report_usage_errors_exit_2(argv, message, tmp_path, capsys):
    if "--since" in argv:
        argv = argv + ["--output", str(tmp_path)]
    assert main(["report", *argv]) == 2
    assert message in capsys.readouterr().err


def _open_in_chromium(page_path: Path, screenshot: Path) -> dict:
    """Load the page in headless Chromium; what it logged, fetched and drew."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium package (.ci/run does)")
    found = {"console": [], "requests": []}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: found["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)  # fmt: skip
            page.on("pageerror", lambda e: found["console"].append(f"pageerror: {e}"))
            page.on("request", lambda r: found["requests"].append(r.url) if not r.url.startswith(("file:", "data:")) else None)  # fmt: skip
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            found["charts"] = page.eval_on_selector_all(
                "[data-chart]",
                "els => els.map(e => [e.dataset.chart, e.querySelectorAll('svg.main-svg .point').length])",
            )
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return found


def test_chromium_draws_every_chart_without_a_console_error(sample_report, tmp_path):
    found = _open_in_chromium(sample_report, tmp_path / "report.png")
    assert found["console"] == []
    assert found["requests"] == []  # nothing from the network
    assert len(found["charts"]) >= 12
    assert [name for name, marks in found["charts"] if marks == 0] == []  # each drew a bar or marker per row
    assert (tmp_path / "report.png").stat().st_size > 50_000
    if os.environ.get("NEWSBEAM_UPDATE_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copy(tmp_path / "report.png", ROOT / "docs" / "report.png")


def test_chromium_opens_the_empty_report_without_a_console_error(tmp_path):
    assert main(["report", "--output", str(tmp_path)]) == 0
    found = _open_in_chromium(tmp_path / "report.html", tmp_path / "empty.png")
    assert found["console"] == [] and found["requests"] == [] and found["charts"] == []


def _write(folder: Path, table: str, key: str, rows: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / table / key
    path.mkdir(parents=True)
    pq.write_table(pa.table(rows), path / "part-0.parquet")


def test_the_page_stays_readable_at_100000_articles(tmp_path):
    """Charts are drawn from aggregates: 100,000 articles from 5,000 sites over a year give the
    same few bars a small run gives, and a page barely bigger than the charting library."""
    import datetime as dt
    import random

    from pipeline.report import build_report

    rng = random.Random(7)
    start = dt.date(2026, 1, 1)
    per_day: dict = {}
    for i in range(100_000):
        day = start + dt.timedelta(days=rng.randrange(365))
        rows = per_day.setdefault(day, {"article_id": [], "title": [], "source_domain": [], "language": [], "copies": [], "run_id": []})  # fmt: skip
        rows["article_id"].append(f"{i:032x}")
        rows["title"].append(f"Story number {i} about something")
        rows["source_domain"].append(f"site-{int(rng.paretovariate(1.2)) % 5000}.example")
        rows["language"].append(rng.choice(["en", "de", "fr", "es"]))
        rows["copies"].append(1 + int(rng.expovariate(1.0)))
        rows["run_id"].append("big-1")
    for day, rows in per_day.items():
        _write(tmp_path, "articles", f"published_date={day}", rows)
    now = dt.datetime(2026, 12, 31, 3, tzinfo=dt.timezone.utc)
    _write(
        tmp_path,
        "runs",
        "run_date=2026-12-31",
        {
            "run_id": ["big-1"],
            "started_at": [now],
            "finished_at": [now + dt.timedelta(hours=2)],
            "inputs": [100_000],
            "articles": [100_000],
            "duplicates": [0],
            "errors": [0],
            "extract_errors": [0],
        },
    )
    page = build_report(str(tmp_path))
    from plotly.offline import get_plotlyjs

    assert len(page) - len(get_plotlyjs()) < 400_000  # aggregates, not 100,000 rows
    assert "<b>100,000</b>articles" in page
    named = {s for s in re.findall(r"site-\d+\.example", page)}
    assert len(named) == 20  # the top 20 sources, not 5,000 labels
    assert "Story number 99999" not in page
