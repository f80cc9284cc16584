"""``newsbeam report``: one self-contained HTML page about an output folder, built with DuckDB
over its tables and charted with Plotly, whose JavaScript is inlined (and, under the map of places,
a world base map, ``pipeline/assets/world_110m.json``), so the page opens with no network access.

Every chart is drawn from an aggregate (a count per day, the top 20 of a ranking, the 500 most
mentioned places), never from raw rows, so it reads the same with 10 articles or 100,000.
``since``/``until`` restrict what is about articles (articles, dedup clusters, entities, places,
quotes, counts) to those published in those days; runs, duplicates by reason and errors are about
runs and are shown whole.

Inside the page, a date filter narrows the article charts again, without a rebuild: each such
chart carries its counts per day (per week or month over long spans, see :func:`grain`) for its
``CANDIDATES`` biggest labels, and a small script sums the chosen days and redraws the top 20.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from importlib import resources
from typing import Optional

#: Bars in a ranking; enough to read, few enough for labels to fit.
TOP = 20
#: Places drawn on the map, most mentioned first.
MAP_PLACES = 500
#: Example inputs shown per error kind.
EXAMPLES = 2
#: Labels per ranking whose counts per date the page carries for its date filter. A ranking for a
#: narrower range is exact unless a label outside these (over the page's whole range) would enter
#: its top 20; build the page with --since/--until for an exact ranking of any range.
CANDIDATES = 100
#: The date filter's steps: days while there are at most this many, else weeks, else months.
MAX_STEPS = 120
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


# ---------------------------------------------------------------- queries


@dataclass
class Ranked:
    """Groups of a table over the page's range and, for the date filter, their values per step."""

    rows: list[tuple]  # (*keys, *values), first ones first
    cells: list  # step, row index, *values, ...; empty when no article has a date


class Report:
    """The page for one output folder, section by section."""

    def __init__(self, output: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None):
        from newsbeam.pipeline.query import connect

        self.output = output
        self.since, self.until = since, until
        self.con = connect(output)
        self._charts = 0
        self._filters: dict[str, dict] = {}  # chart id → what the date filter redraws it from
        self.steps: list[dt.date] = []  # the date filter's steps, their first days
        self.grain: Optional[str] = None
        self.days: Optional[tuple[dt.date, dt.date]] = None  # the first and last publication dates
        self._has_map = False  # the page then carries the base map

    def rows(self, sql: str, params: Optional[list] = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def window(self, column: str) -> str:
        """A SQL condition keeping ``column`` (a date) within --since/--until."""
        conditions = ["TRUE"]
        if self.since:
            conditions.append(f"{column} >= DATE '{self.since.isoformat()}'")
        if self.until:
            conditions.append(f"{column} <= DATE '{self.until.isoformat()}'")
        return " AND ".join(conditions)

    # ------------------------------------------------------------ the page

    def html(self) -> str:
        from plotly.offline import get_plotlyjs

        runs = self.rows("SELECT count(*) FROM runs")[0][0]
        if runs == 0:
            body = self._nothing_yet()
        else:
            self._plan_steps()
            body = "\n".join(
                section()
                for section in (
                    self.section_runs,
                    self.section_articles,
                    self.section_dedup,
                    self.section_errors,
                    self.section_entities,
                    self.section_places,
                    self.section_quotes,
                    self.section_counts,
                )
            )
        window = ""
        if self.since or self.until:
            window = f" · published {self.since or '…'} to {self.until or '…'}"
        generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>newsbeam report: {html.escape(self.output)}</title>"
            f"<style>{STYLE}</style>"
            f"<script>{get_plotlyjs()}</script>{self._base_map()}</head><body>"
            f"<header><h1>newsbeam report</h1><p>{html.escape(self.output)}{html.escape(window)} · "
            f"built {generated}</p></header>{self._filter_bar()}<main>{body}</main>"
            f"{self._filter_script()}</body></html>\n"
        )

    # ------------------------------------------------------------ the date filter

    def _plan_steps(self) -> None:
        """The date filter's steps over the page's dated articles (none when no article has a date)."""
        first, last = self.rows(
            "SELECT min(published_date), max(published_date) FROM articles "
            f"WHERE published_date IS NOT NULL AND {self.window('published_date')}"
        )[0]
        if first is not None:
            self.days = (first, last)
            self.grain = grain(first, last)
            self.steps = steps(first, last, self.grain)

    def by_step(
        self, source: str, keys: list[str], values: list[str], condition: str, order: str, limit: int
    ) -> Ranked:
        """The ``limit`` first groups of ``source`` by ``keys`` over the page's range, ``(*keys,
        *values)`` in ``order``, and the same groups' values per date step: a flat list of
        ``step, group, *values`` (step -1 for articles with no publication date), which the date
        filter sums. ``order`` names keys ``k0``, ``k1``... and values ``v0``, ``v1``...; values
        must add up over steps (counts, or distinct articles, each article being on one date)."""
        named = ", ".join(f"{expression} AS k{i}" for i, expression in enumerate(keys))
        key_names = ", ".join(f"k{i}" for i in range(len(keys)))
        aggregates = ", ".join(f"{expression} AS v{i}" for i, expression in enumerate(values))
        base = (
            f"SELECT *, {named}, {step_sql('published_date', self.grain)} AS step FROM {source} "
            f"WHERE {condition} AND {self.window('published_date')}"
        )
        groups = self.rows(
            f"WITH base AS ({base}) SELECT {key_names}, {aggregates} FROM base "
            f"GROUP BY {key_names} ORDER BY {order} LIMIT {limit}"
        )
        if not self.steps or not groups:
            return Ranked(groups, [])
        index = {group[: len(keys)]: i for i, group in enumerate(groups)}
        step_index = {step: i for i, step in enumerate(self.steps)}
        import pyarrow as pa

        # The groups just found, as a relation to join on, rather than finding them again.
        kept = pa.table({f"k{i}": [group[i] for group in groups] for i in range(len(keys))})
        self.con.register("kept_groups", kept)
        try:
            per_step = self.rows(
                f"WITH base AS ({base}) SELECT step, {key_names}, {aggregates} FROM base "
                f"SEMI JOIN kept_groups USING ({key_names}) GROUP BY step, {key_names}"
            )
        finally:
            self.con.unregister("kept_groups")
        cells = []
        for row in per_step:
            group = index[tuple(row[1 : 1 + len(keys)])]
            cells.extend((-1 if row[0] is None else step_index[row[0]], group, *row[1 + len(keys) :]))
        return Ranked(groups, cells)

    def _filter_bar(self) -> str:
        if not self._filters:
            return ""
        first, last = self.days
        by = "" if self.grain == "day" else f" The charts go by whole {self.grain}s."
        return (
            "<div id='filter'><label>Published from<input type='date' id='since' "
            f"min='{first}' max='{last}'></label><label>to<input type='date' id='until' min='{first}' "
            f"max='{last}'></label><button type='button' id='all-dates'>All dates</button>"
            "<span>Redraws the article charts (articles per day, sources, languages, copies, people, "
            "organisations, places, countries, speakers, what was counted). Runs, errors, duplicates "
            f"by reason and the tables keep the page's whole range.{by}</span></div>"
        )

    def _filter_script(self) -> str:
        if not self._filters:
            return ""
        data = {"grain": self.grain, "steps": [d.isoformat() for d in self.steps], "charts": self._filters}
        return (
            f"<script type='application/json' id='filter-data'>{_json(data)}</script>"
            f"<script>{_asset('report.js')}</script>"
        )

    def _base_map(self) -> str:
        """The world outlines plotly.js would fetch from its CDN for a map, given to it inline."""
        if not self._has_map:
            return ""
        topojson = _in_script(_asset("world_110m.json"))
        return (
            "<script>window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
            f"window.PlotlyGeoAssets.topojson['world_110m'] = {topojson};</script>"
        )

    def _nothing_yet(self) -> str:
        return (
            "<section id='nothing'><h2>Nothing here yet</h2>"
            f"<p class='empty'>No newsbeam run has committed into {html.escape(self.output)}. "
            "Run <code>newsbeam run --output …</code> first; the report shows what it wrote.</p></section>"
        )

    # ------------------------------------------------------------ sections

    def section_runs(self) -> str:
        runs = self.rows(
            "SELECT run_id, started_at, finished_at, inputs, articles, duplicates, errors, extract_errors "
            "FROM runs ORDER BY started_at DESC LIMIT 30"
        )
        totals = self.rows(
            "SELECT count(*), sum(inputs), sum(articles), sum(duplicates), sum(errors) FROM runs"
        )[0]
        boxes = "".join(
            f"<div><b>{value:,}</b>{label}</div>"
            for label, value in zip(
                ("runs", "inputs", "articles", "duplicates", "errors"), totals, strict=True
            )
        )
        ordered = list(reversed(runs))
        figure = self.bars_stacked(
            [r[0] for r in ordered],
            {
                "articles": [r[4] for r in ordered],
                "duplicates": [r[5] for r in ordered],
                "errors": [r[6] for r in ordered],
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
                (r[0], r[1].strftime("%Y-%m-%d %H:%M"), f"{(r[2] - r[1]).total_seconds():,.0f}", *r[3:])
                for r in runs[:10]
            ],
        )
        return _section(
            "runs",
            "Runs",
            "Every input record ends as an article, a duplicate or an error; the bars add up to the run's inputs.",
            f"<div class='totals'>{boxes}</div>" + figure + table,
        )

    def section_articles(self) -> str:
        where = self.window("published_date")
        per_day = self.rows(
            f"SELECT published_date, count(*) FROM articles WHERE published_date IS NOT NULL AND {where} "
            "GROUP BY 1 ORDER BY 1"
        )
        undated = self.rows(f"SELECT count(*) FROM articles WHERE published_date IS NULL AND {where}")[0][0]
        sources = self.by_step(
            "articles",
            ["coalesce(source_domain, '(local files)')"],
            ["count(*)"],
            "TRUE",
            "v0 DESC, k0",
            CANDIDATES,
        )
        languages = self.by_step(
            "articles", ["coalesce(language, '(unknown)')"], ["count(*)"], "TRUE", "v0 DESC, k0", CANDIDATES
        )
        note = (
            f"{undated:,} articles have no publication date and are left out of the first chart. "
            if undated
            else ""
        )
        return _section(
            "articles",
            "Articles",
            note
            + "Drag the slider under the first chart to narrow the days: the date filter above follows it.",
            self.per_day([r[0] for r in per_day], [r[1] for r in per_day], "Articles per day published")
            + "<div class='figures'>"
            + self.ranking(sources, f"Top {TOP} sources")
            + self.ranking(languages, "Languages")
            + "</div>",
        )

    def section_dedup(self) -> str:
        where = self.window("published_date")
        sizes = self.by_step("articles", ["least(coalesce(copies, 1), 10)"], ["count(*)"], "TRUE", "k0", 10)
        reasons = self.rows("SELECT reason, count(*) FROM duplicates GROUP BY 1 ORDER BY 2 DESC")
        top = self.rows(
            "SELECT a.title, a.copies, coalesce(a.source_domain, '(local file)'), "
            "string_agg(DISTINCT coalesce(regexp_extract(d.url, '^[a-z]+://(?:www\\.)?([^/:]+)', 1), d.url), ', ') "
            "FROM articles a LEFT JOIN duplicates d ON d.duplicate_of = a.article_id "
            f"WHERE a.copies > 1 AND {where.replace('published_date', 'a.published_date')} "
            "GROUP BY a.article_id, a.title, a.copies, a.source_domain ORDER BY a.copies DESC, a.title LIMIT 10"
        )
        return _section(
            "dedup",
            "Deduplication",
            "A story's copies: the same canonical URL, the same text (wire copies) or nearly the same text (MinHash).",
            "<div class='figures'>"
            + self.copies(sizes, "Stories by copies seen")
            + self.ranking(reasons, "Duplicates by reason")
            + "</div><h3>Most syndicated stories</h3>"
            + _table(("title", "copies", "kept from", "copies ran at"), [tuple(r) for r in top]),
        )

    def section_errors(self) -> str:
        kinds = self.rows(
            f"SELECT stage, kind, count(*) FROM errors GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT {TOP}"
        )
        examples = self.rows(
            "SELECT stage, kind, input_ref, message FROM ("
            "SELECT *, row_number() OVER (PARTITION BY stage, kind ORDER BY input_ref) AS k "
            f"FROM errors) WHERE k <= {EXAMPLES} ORDER BY stage, kind, input_ref"
        )
        shown = {(s, k) for s, k, _ in kinds}
        return _section(
            "errors",
            "Errors",
            "Inputs that became no article, by the stage that stopped them and why (README: Errors).",
            self.ranking([(f"{s} / {k}", n) for s, k, n in kinds], "Errors by stage and kind")
            + "<h3>Examples</h3>"
            + _table(
                ("stage", "kind", "input", "message"),
                [(s, k, _cut(ref, 90), _cut(m, 160)) for s, k, ref, m in examples if (s, k) in shown],
            ),
        )

    def section_entities(self) -> str:
        parts = []
        for title, labels in (
            ("People", "'PERSON'"),
            ("Organisations", "'ORG'"),
            ("Places named", "'GPE', 'LOC'"),
        ):
            ranked = self.by_step(
                "entities",
                ["coalesce(entity, text)"],
                ["count(DISTINCT article_id)"],
                f"label IN ({labels})",
                "v0 DESC, k0",
                CANDIDATES,
            )
            parts.append(self.ranking(ranked, f"{title}: articles naming them"))
        return _section(
            "entities",
            "Who and what the news was about",
            "Named by spaCy, one name per entity within an article; ranked by the articles that name them.",
            "<div class='figures'>" + "".join(parts) + "</div>",
        )

    def section_places(self) -> str:
        places = self.by_step(
            "places",
            ["name", "coalesce(country_code, '')", "latitude", "longitude"],
            ["count(*)", "count(DISTINCT article_id)"],
            "latitude IS NOT NULL AND longitude IS NOT NULL AND name IS NOT NULL",
            "v0 DESC, k0, k1, k2, k3",
            MAP_PLACES,
        )
        countries = self.by_step(
            "places",
            ["country_code"],
            ["count(DISTINCT article_id)"],
            "country_code IS NOT NULL",
            "v0 DESC, k0",
            CANDIDATES,
        )
        return _section(
            "places",
            "Places",
            f"The {MAP_PLACES} most mentioned places resolved to coordinates, sized by mentions, on Natural Earth's "
            "1:110m world map (inlined: the page needs no network).",
            "<div class='figures'>"
            + self.place_map(places)
            + self.ranking(countries, "Countries: articles placing news there")
            + "</div>",
        )

    def section_quotes(self) -> str:
        where = self.window("published_date")
        speakers = self.rows(
            "SELECT speaker, count(*), count(DISTINCT article_id), arg_min(quote, length(quote)) FROM quotes "
            f"WHERE speaker IS NOT NULL AND {where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
        )
        ranked = self.by_step(
            "quotes", ["speaker"], ["count(*)"], "speaker IS NOT NULL", "v0 DESC, k0", CANDIDATES
        )
        return _section(
            "quotes",
            "Most quoted",
            "Speakers of direct quotes, by quotes attributed to them, with their shortest quote as a sample.",
            self.ranking(ranked, "Quotes per speaker")
            + _table(
                ("speaker", "quotes", "articles", "a quote"),
                [(s, q, a, _cut(t, 200)) for s, q, a, t in speakers[:10]],
            ),
        )

    def section_counts(self) -> str:
        where = self.window("c.published_date")
        biggest = self.rows(
            "SELECT c.number, coalesce(c.object, ''), c.kind, c.text, a.title FROM counts c "
            f"LEFT JOIN articles a USING (article_id) WHERE {where} ORDER BY c.number DESC, c.text LIMIT 10"
        )
        kinds = self.by_step("counts", ["kind"], ["count(*)"], "kind <> 'count'", "v0 DESC, k0", CANDIDATES)
        return _section(
            "counts",
            "Numbers in the news",
            "Counted things (people killed, arrests, ...) found in the articles' sentences.",
            self.ranking(kinds, "What was counted")
            + "<h3>Biggest counts</h3>"
            + _table(
                ("number", "of", "kind", "as written", "article"),
                [(f"{n:,.0f}", o, k, t, _cut(a or "", 90)) for n, o, k, t, a in biggest],
            ),
        )

    # ------------------------------------------------------------ charts

    def _figure(self, figure, name: str, height: int, redraw: Optional[dict] = None) -> str:
        """A chart's div; ``redraw`` is what the date filter redraws it from (none: it stays)."""
        figure.update_layout(
            height=height,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            template="plotly_white",
            font={"size": 12},
        )
        self._charts += 1
        chart_id = f"chart-{self._charts}"
        div = figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=chart_id,
            config={"displaylogo": False, "responsive": True},
        )
        if redraw is not None and self.steps:
            self._filters[chart_id] = redraw
        return f"<div class='chart' data-chart='{html.escape(name)}'>{div}</div>"

    def _empty(self, title: str) -> str:
        return f"<div class='chart-empty'><h3>{html.escape(title)}</h3><p class='empty'>Nothing to show yet.</p></div>"

    def ranking(self, data, title: str) -> str:
        """Horizontal bars of the first TOP ``(label, value)`` rows, biggest on top; long labels
        cut so the bars keep their room. ``data`` is a list of rows (the chart stays as built) or
        a :class:`Ranked` (the date filter redraws it)."""
        import plotly.graph_objects as go

        rows = data.rows if isinstance(data, Ranked) else data
        if not rows:
            return self._empty(title)
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
        return self._figure(figure, title, 120 + 22 * len(labels), redraw)

    def copies(self, sizes: Ranked, title: str) -> str:
        """Stories by how many copies were seen of them, 10 or more in one column."""
        import plotly.graph_objects as go

        if not sizes.rows:
            return self._empty(title)
        labels = [("10 or more" if size >= 10 else str(size)) for size, _ in sizes.rows]
        figure = go.Figure(go.Bar(x=labels, y=[n for _, n in sizes.rows], marker_color="#3b6fd4"))
        figure.update_layout(
            title=title, xaxis={"title": "copies", "type": "category"}, yaxis={"title": "stories"}
        )
        redraw = {"kind": "columns", "keys": labels, "cells": sizes.cells, "width": 1}
        return self._figure(figure, title, 340, redraw)

    def bars_stacked(self, labels: list, series: dict, title: str) -> str:
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
        return self._figure(figure, title, 340)

    def per_day(self, days: list, values: list, title: str) -> str:
        """Articles per day with a range slider; the date filter sets its range and follows it."""
        import plotly.graph_objects as go

        if not days:
            return self._empty(title)
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
        return self._figure(figure, title, 380, {"kind": "days"})

    def place_map(self, places: Ranked) -> str:
        """The places as points on a world map, sized by mentions."""
        import plotly.graph_objects as go

        title = "Places mentioned"
        if not places.rows:
            return self._empty(title)
        self._has_map = True
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
        return self._figure(figure, title, 400, redraw)


def place_sizes(mentions: list[int]) -> list[float]:
    """Marker sizes: area grows with mentions, the most mentioned place 36 px across (assets/report.js too)."""
    biggest = max(mentions)
    return [6 + 30 * (m / biggest) ** 0.5 for m in mentions]


def place_text(name: str, mentions: int, articles: int) -> str:
    return f"{name}: {mentions:,} mentions in {articles:,} articles"


def grain(first: dt.date, last: dt.date) -> str:
    """The date filter's step over ``first``..``last``: the finest of day, week and month that
    takes at most MAX_STEPS steps, so the page carries a bounded count per label."""
    days = (last - first).days + 1
    if days <= MAX_STEPS:
        return "day"
    if days <= 7 * MAX_STEPS:
        return "week"
    return "month"


def step_sql(column: str, grain: Optional[str]) -> str:
    """SQL for the first day of the step ``column`` falls in (NULL for no date)."""
    if grain in (None, "day"):
        return column
    return f"CAST(date_trunc('{grain}', {column}) AS DATE)"


def steps(first: dt.date, last: dt.date, grain: str) -> list[dt.date]:
    """Every step's first day from ``first``'s step to ``last``'s, weeks starting on Monday (as
    DuckDB's ``date_trunc('week', ...)``)."""
    if grain == "day":
        start, step = first, dt.timedelta(days=1)
    elif grain == "week":
        start, step = first - dt.timedelta(days=first.weekday()), dt.timedelta(days=7)
    else:
        out, day = [], first.replace(day=1)
        while day <= last:
            out.append(day)
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return out
    out = []
    while start <= last:
        out.append(start)
        start += step
    return out


def _by_label(keys: list[str], cells: list, width: int) -> tuple[list[str], list]:
    """``keys`` sorted, and ``cells`` (step, key index, *values) renumbered to match."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    new_index = {old: new for new, old in enumerate(order)}
    renumbered = list(cells)
    for i in range(1, len(renumbered), 2 + width):
        renumbered[i] = new_index[renumbered[i]]
    return [keys[i] for i in order], renumbered


# ---------------------------------------------------------------- html pieces


def _section(anchor: str, title: str, note: str, content: str) -> str:
    return f"<section id='{anchor}'><h2>{html.escape(title)}</h2><p class='note'>{html.escape(note)}</p>{content}</section>"


def _table(header: tuple, rows: list) -> str:
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
    return _in_script(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_report(output: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None) -> str:
    """The report page for ``output`` as one HTML string."""
    return Report(output, since, until).html()
