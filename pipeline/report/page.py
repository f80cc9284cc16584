"""The report page drawn from :mod:`.data`: Plotly figures and HTML, no SQL and no DuckDB.

plotly.js is inlined whole (and, under the map of places, a world base map,
``pipeline/assets/world_110m.json``), so the page opens with no network access.

Inside the page, a date filter narrows the article charts again, without a rebuild: each such
chart carries its counts per date step for its ``CANDIDATES`` biggest labels (a
:class:`~.data.Ranked`'s cells), and a small script, ``pipeline/assets/report.js``, sums the
chosen days and redraws the top 20.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from importlib import resources
from typing import Optional

from newsbeam.pipeline.report.data import (
    MAP_PLACES,
    TOP,
    Articles,
    Counts,
    Dedup,
    Entities,
    Errors,
    Places,
    Quotes,
    Ranked,
    Report,
    Runs,
    StepPlan,
)

#: A day in milliseconds, Plotly's unit for date axis ticks.
DAY_MS = 86_400_000

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
header { background: #1d2433; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9cfdb; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 48px; }
section { background: #fff; border: 1px solid #e3e6ec; border-radius: 8px; margin: 18px 0; padding: 14px 20px; }
h2 { font-size: 18px; margin: 4px 0 2px; }
p.note { color: #5b6475; margin: 2px 0 8px; }
.figures { display: grid; gap: 24px; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); }
.figures > div { min-width: 0; }
.totals { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
.totals div { background: #f0f3f8; border-radius: 6px; padding: 8px 14px; }
.totals b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
th { color: #5b6475; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #5b6475; font-style: italic; }
#filter { position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid #e3e6ec; padding: 8px 32px; font-size: 14px; }
#filter input { font: inherit; margin: 0 4px; }
#filter button { font: inherit; margin-left: 8px; }
#filter span { color: #5b6475; margin-left: 12px; }
"""


def render(report: Report) -> str:
    """The page for ``report`` as one HTML string."""
    from plotly.offline import get_plotlyjs

    charts = Charts(report.plan)
    if report.sections is None:
        body = _nothing_yet(report.output)
    else:
        found = report.sections
        # In page order: charts are numbered as they are drawn.
        body = "\n".join(
            (
                section_runs(found.runs, charts),
                section_articles(found.articles, charts),
                section_dedup(found.dedup, charts),
                section_errors(found.errors, charts),
                section_entities(found.entities, charts),
                section_places(found.places, charts),
                section_quotes(found.quotes, charts),
                section_counts(found.counts, charts),
            )
        )
    window = ""
    if report.since or report.until:
        window = f" · published {report.since or '…'} to {report.until or '…'}"
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>newsbeam report: {html.escape(report.output)}</title>"
        f"<style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script>{_base_map(charts.has_map)}</head><body>"
        f"<header><h1>newsbeam report</h1><p>{html.escape(report.output)}{html.escape(window)} · "
        f"built {generated}</p></header>{_filter_bar(report.plan, charts.filters)}<main>{body}</main>"
        f"{_filter_script(report.plan, charts.filters)}</body></html>\n"
    )


# ---------------------------------------------------------------- the date filter


def _filter_bar(plan: Optional[StepPlan], filters: dict) -> str:
    """The date fields over the page's dated articles; none when no chart can be redrawn."""
    if not filters:
        return ""
    first, last = plan.first, plan.last
    by = "" if plan.grain == "day" else f" The charts go by whole {plan.grain}s."
    return (
        "<div id='filter'><label>Published from<input type='date' id='since' "
        f"min='{first}' max='{last}'></label><label>to<input type='date' id='until' min='{first}' "
        f"max='{last}'></label><button type='button' id='all-dates'>All dates</button>"
        "<span>Redraws the article charts (articles per day, sources, languages, copies, people, "
        "organisations, places, countries, speakers, what was counted). Runs, errors, duplicates "
        f"by reason and the tables keep the page's whole range.{by}</span></div>"
    )


def _filter_script(plan: Optional[StepPlan], filters: dict) -> str:
    """What the date filter redraws the charts from, and its script (pipeline/assets/report.js)."""
    if not filters:
        return ""
    data = {"grain": plan.grain, "steps": [d.isoformat() for d in plan.steps], "charts": filters}
    return (
        f"<script type='application/json' id='filter-data'>{_json(data)}</script>"
        f"<script>{_asset('report.js')}</script>"
    )


def _base_map(has_map: bool) -> str:
    """The world outlines plotly.js would fetch from its CDN for a map, given to it inline."""
    if not has_map:
        return ""
    topojson = _in_script(_asset("world_110m.json"))
    return (
        "<script>window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
        f"window.PlotlyGeoAssets.topojson['world_110m'] = {topojson};</script>"
    )


def _nothing_yet(output: str) -> str:
    """The page's one section while no run has committed into ``output``."""
    return (
        "<section id='nothing'><h2>Nothing here yet</h2>"
        f"<p class='empty'>No newsbeam run has committed into {html.escape(output)}. "
        "Run <code>newsbeam run --output …</code> first; the report shows what it wrote.</p></section>"
    )


# ---------------------------------------------------------------- sections


def section_runs(runs: Runs, charts: Charts) -> str:
    totals = runs.totals
    boxes = "".join(
        f"<div><b>{value:,}</b>{label}</div>"
        for label, value in zip(
            ("runs", "inputs", "articles", "duplicates", "errors"),
            (totals.runs, totals.inputs, totals.articles, totals.duplicates, totals.errors),
            strict=True,
        )
    )
    ordered = list(reversed(runs.last))
    figure = charts.bars_stacked(
        [r.run_id for r in ordered],
        {
            "articles": [r.articles for r in ordered],
            "duplicates": [r.duplicates for r in ordered],
            "errors": [r.errors for r in ordered],
        },
        "What each run's inputs became (last 30 runs)",
    )
    table = _table(
        (
            "run",
            "started (UTC)",
            "seconds",
            "inputs",
            "articles",
            "duplicates",
            "errors",
            "extraction errors",
        ),
        [
            (
                r.run_id,
                r.started_at.strftime("%Y-%m-%d %H:%M"),
                f"{(r.finished_at - r.started_at).total_seconds():,.0f}",
                r.inputs,
                r.articles,
                r.duplicates,
                r.errors,
                r.extract_errors,
            )
            for r in runs.last[:10]
        ],
    )
    return _section(
        "runs",
        "Runs",
        "Every input record ends as an article, a duplicate or an error; the bars add up to the run's inputs.",
        f"<div class='totals'>{boxes}</div>" + figure + table,
    )


def section_articles(articles: Articles, charts: Charts) -> str:
    note = (
        f"{articles.undated:,} articles have no publication date and are left out of the first chart. "
        if articles.undated
        else ""
    )
    return _section(
        "articles",
        "Articles",
        note + "Drag the slider under the first chart to narrow the days: the date filter above follows it.",
        charts.per_day(
            [day for day, _ in articles.per_day],
            [n for _, n in articles.per_day],
            "Articles per day published",
        )
        + "<div class='figures'>"
        + charts.ranking(articles.sources, f"Top {TOP} sources")
        + charts.ranking(articles.languages, "Languages")
        + "</div>",
    )


def section_dedup(dedup: Dedup, charts: Charts) -> str:
    return _section(
        "dedup",
        "Deduplication",
        "A story's copies: the same canonical URL, the same text (wire copies) or nearly the same text (MinHash).",
        "<div class='figures'>"
        + charts.copies(dedup.sizes, "Stories by copies seen")
        + charts.ranking(dedup.reasons, "Duplicates by reason")
        + "</div><h3>Most syndicated stories</h3>"
        + _table(
            ("title", "copies", "kept from", "copies ran at"),
            [(s.title, s.copies, s.kept_from, s.copies_ran_at) for s in dedup.syndicated],
        ),
    )


def section_errors(errors: Errors, charts: Charts) -> str:
    return _section(
        "errors",
        "Errors",
        "Inputs that became no article, by the stage that stopped them and why (docs/tables.md: error kinds).",
        charts.ranking(
            [(f"{e.stage} / {e.kind}", e.errors) for e in errors.kinds], "Errors by stage and kind"
        )
        + "<h3>Examples</h3>"
        + _table(
            ("stage", "kind", "input", "message"),
            [(e.stage, e.kind, _cut(e.input_ref, 90), _cut(e.message, 160)) for e in errors.examples],
        ),
    )


def section_entities(entities: Entities, charts: Charts) -> str:
    parts = [
        charts.ranking(ranked, f"{title}: articles naming them")
        for title, ranked in (
            ("People", entities.people),
            ("Organisations", entities.organisations),
            ("Places named", entities.places),
        )
    ]
    return _section(
        "entities",
        "Who and what the news was about",
        "Named by spaCy, one name per entity within an article; ranked by the articles that name them.",
        "<div class='figures'>" + "".join(parts) + "</div>",
    )


def section_places(places: Places, charts: Charts) -> str:
    return _section(
        "places",
        "Places",
        f"The {MAP_PLACES} most mentioned places resolved to coordinates, sized by mentions, on Natural Earth's "
        "1:110m world map (inlined: the page needs no network).",
        "<div class='figures'>"
        + charts.place_map(places.points)
        + charts.ranking(places.countries, "Countries: articles placing news there")
        + "</div>",
    )


def section_quotes(quotes: Quotes, charts: Charts) -> str:
    return _section(
        "quotes",
        "Most quoted",
        "Speakers of direct quotes, by quotes attributed to them, with their shortest quote as a sample.",
        charts.ranking(quotes.ranked, "Quotes per speaker")
        + _table(
            ("speaker", "quotes", "articles", "a quote"),
            [(s.name, s.quotes, s.articles, _cut(s.sample, 200)) for s in quotes.speakers[:10]],
        ),
    )


def section_counts(counts: Counts, charts: Charts) -> str:
    return _section(
        "counts",
        "Numbers in the news",
        "Counted things (people killed, arrests, ...) found in the articles' sentences.",
        charts.ranking(counts.kinds, "What was counted")
        + "<h3>Biggest counts</h3>"
        + _table(
            ("number", "of", "kind", "as written", "article"),
            [
                (f"{c.number:,.0f}", c.counted, c.kind, c.text, _cut(c.title or "", 90))
                for c in counts.biggest
            ],
        ),
    )


# ---------------------------------------------------------------- charts


class Charts:
    """A page's charts as they are drawn: numbered in page order, with what the date filter
    redraws each from and whether one of them needs the base map."""

    def __init__(self, plan: Optional[StepPlan]):
        self.plan = plan
        self.count = 0
        self.filters: dict[str, dict] = {}  # chart id → what the date filter redraws it from
        self.has_map = False  # the page then carries the base map

    def figure(self, figure, name: str, height: int, redraw: Optional[dict] = None) -> str:
        """A chart's div; ``redraw`` is what the date filter redraws it from (none: it stays)."""
        figure.update_layout(
            height=height,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            template="plotly_white",
            font={"size": 12},
        )
        self.count += 1
        chart_id = f"chart-{self.count}"
        div = figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=chart_id,
            config={"displaylogo": False, "responsive": True},
        )
        if redraw is not None and self.plan is not None:
            self.filters[chart_id] = redraw
        return f"<div class='chart' data-chart='{html.escape(name)}'>{div}</div>"

    def ranking(self, data, title: str) -> str:
        """Horizontal bars of the first TOP ``(label, value)`` rows, biggest on top; long labels
        cut so the bars keep their room. ``data`` is a list of rows (the chart stays as built) or
        a :class:`Ranked` (the date filter redraws it)."""
        import plotly.graph_objects as go

        rows = data.rows if isinstance(data, Ranked) else data
        if not rows:
            return _empty(title)
        labels, values = [str(row[0]) for row in rows[:TOP]], [row[1] for row in rows[:TOP]]
        figure = go.Figure(
            go.Bar(
                x=values,
                y=[_cut(label, 40) for label in labels],
                orientation="h",
                hovertext=labels,
                marker_color="#3b6fd4",
            )
        )
        figure.update_layout(title=title, yaxis={"autorange": "reversed", "automargin": True}, bargap=0.25)
        redraw = None
        if isinstance(data, Ranked):
            # Labels in code point order (as DuckDB's ORDER BY sorts them), so the page breaks ties
            # between equal values by position, as the query did.
            keys, cells = _by_label([str(row[0]) for row in rows], data.cells, 1)
            cut = {i: _cut(key, 40) for i, key in enumerate(keys) if _cut(key, 40) != key}
            redraw = {"kind": "ranking", "keys": keys, "cut": cut, "cells": cells, "width": 1, "top": TOP}
        return self.figure(figure, title, 120 + 22 * len(labels), redraw)

    def copies(self, sizes: Ranked, title: str) -> str:
        """Stories by how many copies were seen of them, 10 or more in one column."""
        import plotly.graph_objects as go

        if not sizes.rows:
            return _empty(title)
        labels = [("10 or more" if size >= 10 else str(size)) for size, _ in sizes.rows]
        figure = go.Figure(go.Bar(x=labels, y=[n for _, n in sizes.rows], marker_color="#3b6fd4"))
        figure.update_layout(
            title=title, xaxis={"title": "copies", "type": "category"}, yaxis={"title": "stories"}
        )
        redraw = {"kind": "columns", "keys": labels, "cells": sizes.cells, "width": 1}
        return self.figure(figure, title, 340, redraw)

    def bars_stacked(self, labels: list, series: dict, title: str) -> str:
        """Stacked columns of ``series`` (articles, duplicates, errors) per label; the filter leaves it."""
        import plotly.graph_objects as go

        colours = {"articles": "#3b6fd4", "duplicates": "#9aa5b8", "errors": "#d9534f"}
        figure = go.Figure(
            [
                go.Bar(name=name, x=labels, y=values, marker_color=colours[name])
                for name, values in series.items()
            ]
        )
        figure.update_layout(
            title=title, barmode="stack", xaxis={"type": "category", "showticklabels": len(labels) <= 12}
        )
        return self.figure(figure, title, 340)

    def per_day(self, days: list, values: list, title: str) -> str:
        """Articles per day with a range slider; the date filter sets its range and follows it."""
        import plotly.graph_objects as go

        if not days:
            return _empty(title)
        figure = go.Figure(go.Bar(x=days, y=values, marker_color="#3b6fd4"))
        # A tick a day over a month or less (Plotly would put some at noon, labelled as the same
        # day twice); over longer spans Plotly's own ticks, with the hour when it zooms below a day.
        ticks = {"tick0": days[0].isoformat(), "dtick": DAY_MS} if (days[-1] - days[0]).days <= 31 else {}
        figure.update_layout(
            title=title,
            xaxis={
                "type": "date",
                "tickformatstops": [
                    {"dtickrange": [None, DAY_MS // 2], "value": "%Y-%m-%d %H:%M"},
                    {"dtickrange": [DAY_MS, None], "value": "%Y-%m-%d"},
                ],
                "rangeslider": {"visible": True},
                **ticks,
            },
        )
        return self.figure(figure, title, 380, {"kind": "days"})

    def place_map(self, places: Ranked) -> str:
        """The places as points on a world map, sized by mentions."""
        import plotly.graph_objects as go

        title = "Places mentioned"
        if not places.rows:
            return _empty(title)
        self.has_map = True
        names = [f"{name} ({code or '?'})" for name, code, *_ in places.rows]
        mentions = [row[4] for row in places.rows]
        figure = go.Figure(
            go.Scattergeo(
                lon=[row[3] for row in places.rows],
                lat=[row[2] for row in places.rows],
                mode="markers",
                marker={
                    "size": place_sizes(mentions),
                    "color": "#d9534f",
                    "opacity": 0.6,
                    "line": {"width": 0.5, "color": "#7a2a27"},
                },
                text=[
                    place_text(name, m, a)
                    for name, m, a in zip(names, mentions, (r[5] for r in places.rows), strict=True)
                ],
                hoverinfo="text",
            )
        )
        figure.update_layout(title=title)
        figure.update_geos(
            projection_type="natural earth",
            showland=True,
            landcolor="#eef0f3",
            showocean=True,
            oceancolor="#f7f9fc",
            showcountries=True,
            countrycolor="#c3c8d1",
            coastlinecolor="#9aa3b2",
            showframe=False,
            resolution=110,
            lonaxis_range=[-180, 180],
            lataxis_range=[-58, 84],
            center={"lon": 0, "lat": 13},
        )
        redraw = {
            "kind": "map",
            "keys": names,
            "lat": [row[2] for row in places.rows],
            "lon": [row[3] for row in places.rows],
            "cells": places.cells,
            "width": 2,
        }
        return self.figure(figure, title, 400, redraw)


def place_sizes(mentions: list[int]) -> list[float]:
    """Marker sizes: area grows with mentions, the most mentioned place 36 px across (assets/report.js too)."""
    biggest = max(mentions)
    return [6 + 30 * (m / biggest) ** 0.5 for m in mentions]


def place_text(name: str, mentions: int, articles: int) -> str:
    """A place's hover text on the map (assets/report.js writes the same when it redraws)."""
    return f"{name}: {mentions:,} mentions in {articles:,} articles"


def _by_label(keys: list[str], cells: list, width: int) -> tuple[list[str], list]:
    """``keys`` sorted, and ``cells`` (step, key index, *values) renumbered to match."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    new_index = {old: new for new, old in enumerate(order)}
    renumbered = list(cells)
    for i in range(1, len(renumbered), 2 + width):
        renumbered[i] = new_index[renumbered[i]]
    return [keys[i] for i in order], renumbered


# ---------------------------------------------------------------- html pieces


def _empty(title: str) -> str:
    """A chart's place when it has nothing to show."""
    return f"<div class='chart-empty'><h3>{html.escape(title)}</h3><p class='empty'>Nothing to show yet.</p></div>"


def _section(anchor: str, title: str, note: str, content: str) -> str:
    """A section of the page: its anchor, title, a note under the title, then its content."""
    return f"<section id='{anchor}'><h2>{html.escape(title)}</h2><p class='note'>{html.escape(note)}</p>{content}</section>"


def _table(header: tuple, rows: list) -> str:
    """An HTML table, numbers right-aligned with thousands separators, None as an empty cell."""
    if not rows:
        return "<p class='empty'>Nothing to show yet.</p>"

    def cell(value) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"<td class='n'>{value:,}</td>"
        return f"<td>{html.escape('' if value is None else str(value))}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _asset(name: str) -> str:
    """A file of pipeline/assets (see its README), as text."""
    return resources.files("newsbeam.pipeline").joinpath("assets", name).read_text("utf-8")


def _in_script(text: str) -> str:
    """JSON text made safe inside a <script> element (no "</" to end it early)."""
    return text.replace("</", "<\\/")


def _json(value) -> str:
    """``value`` as compact JSON text, safe inside a <script> element."""
    return _in_script(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _cut(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
