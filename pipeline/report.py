"""``newsbeam report``: one self-contained HTML page about an output folder, built with DuckDB
over its tables and charted with Plotly, whose JavaScript is inlined, so the page opens with no
network access.

Every chart is drawn from an aggregate (a count per day, the top 20 of a ranking, the 500 most
mentioned places), never from raw rows, so it reads the same with 10 articles or 100,000.
``since``/``until`` restrict what is about articles (articles, dedup clusters, entities, places,
quotes, counts) to those published in those days; runs, duplicates by reason and errors are about
runs and are shown whole. The per-day chart has its own range slider on top.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Optional

#: Bars in a ranking; enough to read, few enough for labels to fit.
TOP = 20
#: Places drawn on the map, most mentioned first.
MAP_PLACES = 500
#: Example inputs shown per error kind.
EXAMPLES = 2

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
header { background: #1d2433; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9cfdb; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 48px; }
section { background: #fff; border: 1px solid #e3e6ec; border-radius: 8px; margin: 18px 0; padding: 14px 20px; }
h2 { font-size: 18px; margin: 4px 0 2px; }
p.note { color: #5b6475; margin: 2px 0 8px; }
.figures { display: flex; gap: 24px; flex-wrap: wrap; }
.figures > div { flex: 1 1 420px; min-width: 0; }
.totals { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
.totals div { background: #f0f3f8; border-radius: 6px; padding: 8px 14px; }
.totals b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
th { color: #5b6475; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #5b6475; font-style: italic; }
"""


# ---------------------------------------------------------------- queries


class Report:
    """The page for one output folder, section by section."""

    def __init__(self, output: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None):
        from pipeline.query import connect

        self.output = output
        self.since, self.until = since, until
        self.con = connect(output)
        self._charts = 0

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
            f"<script>{get_plotlyjs()}</script></head><body>"
            f"<header><h1>newsbeam report</h1><p>{html.escape(self.output)}{html.escape(window)} · "
            f"built {generated}</p></header><main>{body}</main></body></html>\n"
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
        sources = self.rows(
            f"SELECT coalesce(source_domain, '(local files)'), count(*) FROM articles WHERE {where} "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
        )
        languages = self.rows(
            f"SELECT coalesce(language, '(unknown)'), count(*) FROM articles WHERE {where} "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
        )
        note = (
            f"{undated:,} articles have no publication date and are left out of the first chart. "
            if undated
            else ""
        )
        return _section(
            "articles",
            "Articles",
            note + "Drag the slider under the first chart to narrow the days.",
            self.per_day([r[0] for r in per_day], [r[1] for r in per_day], "Articles per day published")
            + "<div class='figures'>"
            + self.ranking(sources, f"Top {TOP} sources")
            + self.ranking(languages, "Languages")
            + "</div>",
        )

    def section_dedup(self) -> str:
        where = self.window("published_date")
        sizes = self.rows(
            f"SELECT least(coalesce(copies, 1), 10) AS c, count(*) FROM articles WHERE {where} GROUP BY 1 ORDER BY 1"
        )
        reasons = self.rows("SELECT reason, count(*) FROM duplicates GROUP BY 1 ORDER BY 2 DESC")
        top = self.rows(
            "SELECT a.title, a.copies, coalesce(a.source_domain, '(local file)'), "
            "string_agg(DISTINCT coalesce(regexp_extract(d.url, '^[a-z]+://(?:www\\.)?([^/:]+)', 1), d.url), ', ') "
            "FROM articles a LEFT JOIN duplicates d ON d.duplicate_of = a.article_id "
            f"WHERE a.copies > 1 AND {where.replace('published_date', 'a.published_date')} "
            "GROUP BY a.article_id, a.title, a.copies, a.source_domain ORDER BY a.copies DESC, a.title LIMIT 10"
        )
        labels = [("10 or more" if size >= 10 else str(size)) for size, _ in sizes]
        return _section(
            "dedup",
            "Deduplication",
            "A story's copies: the same canonical URL, the same text (wire copies) or nearly the same text (MinHash).",
            "<div class='figures'>"
            + self.columns(labels, [n for _, n in sizes], "Stories by copies seen", "copies", "stories")
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
        where = self.window("published_date")
        parts = []
        for title, labels in (
            ("People", "'PERSON'"),
            ("Organisations", "'ORG'"),
            ("Places named", "'GPE', 'LOC'"),
        ):
            ranked = self.rows(
                "SELECT coalesce(entity, text), count(DISTINCT article_id) FROM entities "
                f"WHERE label IN ({labels}) AND {where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
            )
            parts.append(self.ranking(ranked, f"{title}: articles naming them"))
        return _section(
            "entities",
            "Who and what the news was about",
            "Named by spaCy, one name per entity within an article; ranked by the articles that name them.",
            "<div class='figures'>" + "".join(parts) + "</div>",
        )

    def section_places(self) -> str:
        where = self.window("published_date")
        places = self.rows(
            "SELECT name, country_code, latitude, longitude, count(*) AS mentions, count(DISTINCT article_id) "
            f"FROM places WHERE latitude IS NOT NULL AND {where} "
            f"GROUP BY 1, 2, 3, 4 ORDER BY mentions DESC, name LIMIT {MAP_PLACES}"
        )
        countries = self.rows(
            f"SELECT country_code, count(DISTINCT article_id) FROM places WHERE country_code IS NOT NULL AND {where} "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
        )
        return _section(
            "places",
            "Places",
            f"The {MAP_PLACES} most mentioned places resolved to coordinates, sized by mentions, drawn by longitude "
            "and latitude (no base map: the page needs no network, and no maintained package ships world outlines "
            "to inline).",
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
        return _section(
            "quotes",
            "Most quoted",
            "Speakers of direct quotes, by quotes attributed to them, with their shortest quote as a sample.",
            self.ranking(speakers, "Quotes per speaker")
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
        kinds = self.rows(
            f"SELECT kind, count(*) FROM counts c WHERE kind <> 'count' AND {where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
        )
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

    def _figure(self, figure, name: str, height: int) -> str:
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
        return f"<div class='chart' data-chart='{html.escape(name)}'>{div}</div>"

    def _empty(self, title: str) -> str:
        return f"<div class='chart-empty'><h3>{html.escape(title)}</h3><p class='empty'>Nothing to show yet.</p></div>"

    def ranking(self, rows: list, title: str) -> str:
        """Horizontal bars of ``(label, value, ...)`` rows, biggest on top; long labels cut so the
        bars keep their room."""
        import plotly.graph_objects as go

        if not rows:
            return self._empty(title)
        labels, values = [row[0] for row in rows], [row[1] for row in rows]
        shown = [_cut(str(label), 40) for label in labels]
        figure = go.Figure(
            go.Bar(
                x=values,
                y=shown,
                orientation="h",
                hovertext=[str(label) for label in labels],
                marker_color="#3b6fd4",
            )
        )
        figure.update_layout(title=title, yaxis={"autorange": "reversed", "automargin": True}, bargap=0.25)
        return self._figure(figure, title, 120 + 22 * len(labels))

    def columns(self, labels: list, values: list, title: str, x_title: str, y_title: str) -> str:
        import plotly.graph_objects as go

        if not labels:
            return self._empty(title)
        figure = go.Figure(go.Bar(x=labels, y=values, marker_color="#3b6fd4"))
        figure.update_layout(
            title=title, xaxis={"title": x_title, "type": "category"}, yaxis={"title": y_title}
        )
        return self._figure(figure, title, 340)

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
        import plotly.graph_objects as go

        if not days:
            return self._empty(title)
        figure = go.Figure(go.Bar(x=days, y=values, marker_color="#3b6fd4"))
        figure.update_layout(
            title=title, xaxis={"type": "date", "tickformat": "%Y-%m-%d", "rangeslider": {"visible": True}}
        )
        return self._figure(figure, title, 380)

    def place_map(self, places: list) -> str:
        import plotly.graph_objects as go

        title = "Places mentioned"
        if not places:
            return self._empty(title)
        biggest = max(p[4] for p in places)
        figure = go.Figure(
            go.Scatter(
                x=[p[3] for p in places],
                y=[p[2] for p in places],
                mode="markers",
                marker={
                    "size": [6 + 30 * (p[4] / biggest) ** 0.5 for p in places],
                    "color": "#d9534f",
                    "opacity": 0.6,
                    "line": {"width": 0.5, "color": "#7a2a27"},
                },
                text=[f"{p[0]} ({p[1] or '?'}): {p[4]:,} mentions in {p[5]:,} articles" for p in places],
                hoverinfo="text",
            )
        )
        figure.update_layout(
            title=title,
            xaxis={"range": [-180, 180], "dtick": 30, "title": "longitude", "zeroline": False},
            yaxis={"range": [-90, 90], "dtick": 30, "title": "latitude", "zeroline": False},
        )
        return self._figure(figure, title, 420)


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


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_report(output: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None) -> str:
    """The report page for ``output`` as one HTML string."""
    return Report(output, since, until).html()
