"""``newsbeam report``: the page from the sample run and from an empty folder, in headless Chromium.

The browser test drives the system's Chromium (Debian's ``chromium`` package, which ``.ci/run``
installs) through Playwright; where either is missing it skips and says which. With
``NEWSBEAM_UPDATE_SCREENSHOT=1`` it also writes the docs' screenshot, ``docs/report.png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from newsbeam.pipeline.cli import main
from newsbeam.pipeline.query import connect
from tests.conftest import ROOT

SECTIONS = ("runs", "articles", "dedup", "errors", "entities", "places", "quotes", "counts")
#: The date filter's data in the page: what it redraws each chart from.
FILTER_DATA = re.compile(r"<script type='application/json' id='filter-data'>(.*?)</script>", re.S)
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


@contextlib.contextmanager
def _chromium():
    """Headless Chromium: yields ``open(path)``, a page loaded from ``path`` whose console
    errors, page errors and network requests are collected in ``page.found``; skips where
    Playwright or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium package (.ci/run does)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

        def open_page(path: Path):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.found = {"console": [], "requests": []}
            page.on("console", lambda m: page.found["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)  # fmt: skip
            page.on("pageerror", lambda e: page.found["console"].append(f"pageerror: {e}"))
            page.on("request", lambda r: page.found["requests"].append(r.url) if not r.url.startswith(("file:", "data:")) else None)  # fmt: skip
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            return page

        try:
            yield open_page
        finally:
            browser.close()


def _open_in_chromium(page_path: Path, screenshot: Path) -> dict:
    """Load the page in headless Chromium; what it logged, fetched and drew."""
    with _chromium() as open_page:
        page = open_page(page_path)
        found = page.found
        found["charts"] = page.eval_on_selector_all(
            "[data-chart]",
            "els => els.map(e => [e.dataset.chart, e.querySelectorAll('svg.main-svg .point').length])",
        )
        # Each chart drawn within its box (a chart drawn before its neighbour existed once took
        # the whole row and ran under it), and the map over its world outlines.
        found["too_wide"] = page.eval_on_selector_all(
            ".plotly-graph-div",
            "els => els.filter(d => d._fullLayout.width > d.parentElement.getBoundingClientRect().width + 1).map(d => d.id)",
        )
        found["land"] = page.eval_on_selector_all(".geo .layer.land path", "els => els.length")
        found["day_ticks"] = page.eval_on_selector_all(
            "[data-chart='Articles per day published'] .xtick text", "els => els.map(e => e.textContent)"
        )
        page.screenshot(path=str(screenshot), full_page=True)
    return found


def test_chromium_draws_every_chart_without_a_console_error(sample_report, tmp_path):
    found = _open_in_chromium(sample_report, tmp_path / "report.png")
    assert found["console"] == []
    assert found["requests"] == []  # nothing from the network
    assert len(found["charts"]) >= 12
    assert [name for name, marks in found["charts"] if marks == 0] == []  # each drew a bar or marker per row
    assert found["too_wide"] == []
    assert found["land"] == 1  # the base map, inlined
    assert found["day_ticks"] and len(set(found["day_ticks"])) == len(found["day_ticks"])  # no day twice
    assert (tmp_path / "report.png").stat().st_size > 50_000
    if os.environ.get("NEWSBEAM_UPDATE_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copy(tmp_path / "report.png", ROOT / "docs" / "report.png")


def test_chromium_opens_the_empty_report_without_a_console_error(tmp_path):
    assert main(["report", "--output", str(tmp_path)]) == 0
    found = _open_in_chromium(tmp_path / "report.html", tmp_path / "empty.png")
    assert found["console"] == [] and found["requests"] == [] and found["charts"] == []


@pytest.mark.parametrize(
    "days, grain",
    [(1, "day"), (120, "day"), (121, "week"), (840, "week"), (841, "month"), (3000, "month")],
)
def test_the_filter_steps_by_day_then_week_then_month(days, grain):
    import datetime as dt

    from newsbeam.pipeline.report.data import MAX_STEPS, steps
    from newsbeam.pipeline.report.data import grain as grain_of

    first = dt.date(2025, 12, 30)
    last = first + dt.timedelta(days=days - 1)
    assert grain_of(first, last) == grain
    chosen = steps(first, last, grain)
    assert len(chosen) <= MAX_STEPS + 1 and chosen == sorted(set(chosen))
    assert chosen[0] <= first <= last and chosen[-1] <= last


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_every_date_falls_on_a_step_as_duckdb_truncates_it(grain):
    """The page numbers steps in Python (steps) and DuckDB puts rows on them (step_sql): every
    day of 1,000, across year ends and a leap day, must land on a step the page has."""
    import datetime as dt

    import duckdb

    from newsbeam.pipeline.report.data import step_sql, steps

    first, last = dt.date(2023, 12, 20), dt.date(2026, 9, 14)
    known = set(steps(first, last, grain))
    got = duckdb.sql(
        f"SELECT DISTINCT {step_sql('d', grain)} FROM (SELECT CAST(range AS DATE) AS d "
        f"FROM range(DATE '{first}', DATE '{last}' + INTERVAL 1 DAY, INTERVAL 1 DAY))"
    ).fetchall()
    assert {d for (d,) in got} == known


def test_the_counts_per_step_add_up_to_the_whole_range(sample_output):
    """What the filter sums (cells) over every step is what the page drew for the whole range."""
    from newsbeam.pipeline.report.data import Tables

    tables = Tables(str(sample_output))
    plan = tables.plan()
    for ranked, width in (
        (tables.by_step(plan, "entities", ["coalesce(entity, text)"], ["count(DISTINCT article_id)"], "TRUE", "v0 DESC, k0", 100), 1),
        (tables.by_step(plan, "places", ["name", "latitude"], ["count(*)", "count(DISTINCT article_id)"], "latitude IS NOT NULL", "v0 DESC, k0, k1", 100), 2),
        (tables.by_step(plan, "articles", ["language"], ["count(*)"], "TRUE", "v0 DESC, k0", 1), 1),
    ):  # fmt: skip
        assert ranked.rows and ranked.cells
        sums: dict = {}
        for i in range(0, len(ranked.cells), 2 + width):
            step, group, *values = ranked.cells[i : i + 2 + width]
            assert step == -1 or 0 <= step < len(plan.steps)
            sums[group] = [a + b for a, b in zip(sums.get(group, [0] * width), values, strict=True)]
        assert [sums[i] for i in range(len(ranked.rows))] == [list(row[-width:]) for row in ranked.rows]
    assert len(ranked.rows) == 1  # the limit holds, and the cells are the kept groups' only


READ_CHARTS = """() => {
    const plain = v => v == null ? null : Array.from(v, x => typeof x === 'number' ? Math.round(x * 1e6) / 1e6 : x);
    const charts = {};
    for (const box of document.querySelectorAll('[data-chart]')) {
        const div = box.querySelector('.plotly-graph-div');
        const t = div.data[0];
        charts[box.dataset.chart] = {x: plain(t.x), y: plain(t.y), lat: plain(t.lat), lon: plain(t.lon),
            text: plain(t.text), size: plain(t.marker && t.marker.size), range: div.layout.xaxis && div.layout.xaxis.range};
    }
    return charts;
}"""


def _drawn(page, names) -> dict:
    """What the named charts show: bars as (label, value) pairs, map points as a sorted list."""
    charts = page.evaluate(READ_CHARTS)
    out = {}
    for name in names:
        chart = charts.get(name)
        if chart is None:  # built empty for those dates: "Nothing to show yet"
            out[name] = []
        elif chart["lat"] is not None:
            out[name] = sorted(zip(chart["lat"], chart["lon"], chart["text"], chart["size"], strict=True))
        elif name.startswith("Top") or chart["x"] and isinstance(chart["x"][0], (int, float)):
            out[name] = list(zip(chart["y"] or [], chart["x"] or [], strict=True))
        else:
            out[name] = list(zip(chart["x"] or [], chart["y"] or [], strict=True))
    return out


def test_the_date_filter_redraws_the_article_charts_as_a_page_built_for_those_dates(sample_output, sample_report, tmp_path):  # fmt: skip
    """The page's date filter (pipeline/assets/report.js) against --since/--until (SQL): each
    redrawn chart shows what a page built for the same days shows, bar for bar, point for point;
    "All dates" brings the page back; the per-day chart's slider moves the filter."""
    days = [str(d) for (d,) in connect(str(sample_output)).execute(
        "SELECT DISTINCT published_date FROM articles WHERE published_date IS NOT NULL ORDER BY 1").fetchall()]  # fmt: skip
    assert len(days) >= 3
    ranges = [(days[0], days[0]), (days[1], days[-1]), (days[-1], None)]
    built = {}
    for since, until in ranges:
        path = tmp_path / f"{since}-{until}.html"
        argv = ["report", "--output", str(sample_output), "--html", str(path), "--since", since]
        assert main(argv + (["--until", until] if until else [])) == 0
        built[since, until] = path
    with _chromium() as open_page:
        page = open_page(sample_report)
        data = page.evaluate("() => JSON.parse(document.getElementById('filter-data').textContent)")
        ids = [i for i, chart in data["charts"].items() if chart["kind"] != "days"]
        names = page.evaluate("ids => ids.map(i => document.getElementById(i).closest('[data-chart]').dataset.chart)", ids)  # fmt: skip
        assert {"Top 20 sources", "Languages", "Places mentioned", "Quotes per speaker"} <= set(names)
        whole = _drawn(page, names)
        for since, until in ranges:
            page.fill("#since", since)
            page.dispatch_event("#since", "change")
            page.fill("#until", until or "")
            page.dispatch_event("#until", "change")
            filtered = _drawn(page, names)
            per_day = page.evaluate(READ_CHARTS)["Articles per day published"]["range"]
            expected = _drawn(open_page(built[since, until]), names)
            for name in names:
                assert filtered[name] == expected[name], (since, until, name)
            assert filtered != whole
            assert per_day[0].startswith(since) and per_day[1].startswith(until or days[-1])
        page.click("#all-dates")
        assert _drawn(page, names) == whole
        # The slider: a range over the second to last days, as dragging it gives.
        page.evaluate(
            "r => Plotly.relayout(document.querySelector(\"[data-chart='Articles per day published'] .plotly-graph-div\"), {'xaxis.range': r})",
            [f"{days[1]} 00:00:00", f"{days[-1]} 23:59:00"],
        )
        page.wait_for_timeout(200)
        assert (page.input_value("#since"), page.input_value("#until")) == (days[1], days[-1])
        assert _drawn(page, names) == _drawn(open_page(built[days[1], days[-1]]), names)
        assert page.found["console"] == [] and page.found["requests"] == []


def _write(folder: Path, table: str, key: str, days: dict) -> None:
    """A Delta table of only the given columns, one partition per day: {day: {column: values}}."""
    import pyarrow as pa
    from deltalake import write_deltalake

    parts = [pa.table({**rows, key: [day] * len(rows["run_id"])}) for day, rows in days.items()]
    write_deltalake(str(folder / table), pa.concat_tables(parts), partition_by=[key])


def test_the_page_stays_readable_at_100000_articles(tmp_path):
    """Charts are drawn from aggregates: 100,000 articles from 5,000 sites over a year, naming
    20,000 people, give the same few bars a small run gives, and a page whose own part (all but
    plotly.js) stays small, the date filter's counts per week included."""
    import datetime as dt
    import random

    from newsbeam.pipeline.report.data import CANDIDATES, TOP, load
    from newsbeam.pipeline.report.page import render

    rng = random.Random(7)
    start = dt.date(2026, 1, 1)
    per_day: dict = {}
    entities: dict = {}
    for i in range(100_000):
        day = start + dt.timedelta(days=rng.randrange(365))
        rows = per_day.setdefault(day, {"article_id": [], "title": [], "source_domain": [], "language": [], "copies": [], "run_id": []})  # fmt: skip
        rows["article_id"].append(f"{i:032x}")
        rows["title"].append(f"Story number {i} about something")
        rows["source_domain"].append(f"site-{int(rng.paretovariate(1.2)) % 5000}.example")
        rows["language"].append(rng.choice(["en", "de", "fr", "es"]))
        rows["copies"].append(1 + int(rng.expovariate(1.0)))
        rows["run_id"].append("big-1")
        named = entities.setdefault(
            day, {"article_id": [], "text": [], "label": [], "entity": [], "run_id": []}
        )
        for _ in range(3):
            person = f"Person {int(rng.paretovariate(1.1)) % 20_000}"
            named["article_id"].append(f"{i:032x}")
            named["text"].append(person)
            named["label"].append("PERSON")
            named["entity"].append(person)
            named["run_id"].append("big-1")
    _write(tmp_path, "articles", "published_date", per_day)
    _write(tmp_path, "entities", "published_date", entities)
    now = dt.datetime(2026, 12, 31, 3, tzinfo=dt.timezone.utc)
    _write(
        tmp_path,
        "runs",
        "run_date",
        {
            dt.date(2026, 12, 31): {
                "run_id": ["big-1"],
                "started_at": [now],
                "finished_at": [now + dt.timedelta(hours=2)],
                "inputs": [100_000],
                "articles": [100_000],
                "duplicates": [0],
                "errors": [0],
                "extract_errors": [0],
            }
        },
    )
    report = load(str(tmp_path))
    page = render(report)
    from plotly.offline import get_plotlyjs

    own = len(page.encode()) - len(get_plotlyjs().encode())
    assert own < 300_000, own  # aggregates, not 100,000 rows (126 KB when written)
    assert "<b>100,000</b>articles" in page
    assert report.plan.grain == "week" and len(report.plan.steps) == 53  # a year in weeks, not 365 days
    filters = json.loads(FILTER_DATA.search(page).group(1))["charts"]
    rankings = [c for c in filters.values() if c["kind"] == "ranking"]
    assert rankings and all(len(c["keys"]) <= CANDIDATES for c in rankings)
    drawn = FILTER_DATA.sub("", page)
    assert len(set(re.findall(r"site-\d+\.example", drawn))) == TOP  # 20 sources drawn, not 5,000
    assert len(set(re.findall(r"Person \d+\b", drawn))) == TOP
    assert "Story number 99999" not in page


def _imports(module) -> set[str]:
    """Every module ``module``'s source imports, at its top or inside a function."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def test_the_data_half_draws_nothing_and_the_page_half_queries_nothing():
    """report/data.py turns the tables into plain data and report/page.py draws it: neither
    reaches for the other's tools."""
    from newsbeam.pipeline.report import data, page

    data_imports, page_imports = _imports(data), _imports(page)
    assert "newsbeam.pipeline.query" in data_imports and "plotly.graph_objects" in page_imports
    assert {name for name in data_imports if name.split(".")[0] in ("plotly", "html")} == set()
    assert {name for name in page_imports if name.split(".")[0] in ("duckdb", "pyarrow")} == set()
    assert "newsbeam.pipeline.query" not in page_imports


def test_the_page_draws_from_plain_data_alone():
    """The page needs no output folder: a report's data made by hand draws into it, and with no
    dated article and no place there is no date filter and no base map."""
    import datetime as dt

    from newsbeam.pipeline.report import data
    from newsbeam.pipeline.report.page import render

    nothing = data.Ranked([], [])
    started = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)
    sections = data.Sections(
        runs=data.Runs(
            data.RunTotals(1, 5, 3, 1, 1),
            [data.Run("hand-1", started, started + dt.timedelta(seconds=1500), 5, 3, 1, 1, 0)],
        ),
        articles=data.Articles([], 3, data.Ranked([("news.example.org", 3)], []), nothing),
        dedup=data.Dedup(nothing, [("same_text", 1)], []),
        errors=data.Errors(
            [data.ErrorKind("parse", "no_text", 1)],
            [data.ErrorExample("parse", "no_text", "page.html", "no body text")],
        ),
        entities=data.Entities(data.Ranked([("Grace Hopper", 2)], []), nothing, nothing),
        places=data.Places(nothing, nothing),
        quotes=data.Quotes([data.Speaker("Ada Lovelace", 2, 1, "Hello.")], nothing),
        counts=data.Counts([], nothing),
    )
    page = render(data.Report("hand-made", None, None, None, sections))
    for section in SECTIONS:
        assert f"<section id='{section}'>" in page
    assert (
        "<div><b>5</b>inputs</div>" in page
        and "<td>hand-1</td><td>2026-01-02 03:04</td><td>1,500</td>" in page
    )
    assert "3 articles have no publication date" in page
    for chart in ("Top 20 sources", "Errors by stage and kind", "People: articles naming them"):
        assert f"data-chart='{chart}'" in page
    assert "news.example.org" in page and "Grace Hopper" in page  # in those charts only
    assert "<td>parse</td><td>no_text</td><td>page.html</td><td>no body text</td>" in page
    assert "<td>Ada Lovelace</td><td class='n'>2</td><td class='n'>1</td><td>Hello.</td>" in page
    assert "data-chart='Languages'" not in page  # an empty ranking says so instead
    assert "<div id='filter'>" not in page and not FILTER_DATA.search(page)
    assert "PlotlyGeoAssets.topojson['world_110m'] =" not in page
