"""What ``newsbeam report`` shows, computed: DuckDB queries over an output folder's tables turned
into plain, typed data (:class:`Report`), which :mod:`.page` draws. No plotly and no HTML here.

Every figure is an aggregate (a count per day, the top 20 of a ranking, the 500 most mentioned
places), never raw rows, so the page reads the same with 10 articles or 100,000.
``since``/``until`` restrict what is about articles (articles, dedup clusters, entities, places,
quotes, counts) to those published in those days; runs, duplicates by reason and errors are about
runs and are shown whole.

For the page's date filter, each article ranking also carries its values per date step (per day,
or per week or month over long spans, see :func:`grain`) for its ``CANDIDATES`` biggest labels:
its :class:`Ranked` cells, which the page sums over the chosen days to redraw the top 20.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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


# ---------------------------------------------------------------- what the page shows


@dataclass(frozen=True)
class StepPlan:
    """The date filter's steps over the page's dated articles: their grain (:func:`grain`), each
    step's first day (:func:`steps`), and the first and last publication dates."""

    grain: str
    steps: list[dt.date]
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Ranked:
    """Groups of a table over the page's range and, for the date filter, their values per step."""

    rows: list[tuple]  # (*keys, *values), first ones first
    cells: list  # step, row index, *values, ...; empty when no article has a date


@dataclass(frozen=True)
class Run:
    """A row of the runs table."""

    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime
    inputs: int
    articles: int
    duplicates: int
    errors: int
    extract_errors: int


@dataclass(frozen=True)
class RunTotals:
    """Sums over every run: every input record ends as an article, a duplicate or an error."""

    runs: int
    inputs: int
    articles: int
    duplicates: int
    errors: int


@dataclass(frozen=True)
class Runs:
    """The runs, whole: their totals and the last 30, newest first."""

    totals: RunTotals
    last: list[Run]


@dataclass(frozen=True)
class Articles:
    """Articles in range: dated ones per publication day (in date order), the undated count, and
    ``(label, articles)`` rankings of their sources and languages."""

    per_day: list[tuple[dt.date, int]]
    undated: int
    sources: Ranked
    languages: Ranked


@dataclass(frozen=True)
class SyndicatedStory:
    """A kept article seen more than once, and where its copies ran."""

    title: str
    copies: int
    kept_from: str  # the kept copy's site, '(local file)' for a file
    copies_ran_at: str  # the duplicates' sites (their URLs where no site reads), comma-separated


@dataclass(frozen=True)
class Dedup:
    """Stories in range by copies seen (``(copies, stories)``, 10 standing for 10 or more), all
    duplicates by reason (``(reason, duplicates)``), and the 10 most syndicated stories in range."""

    sizes: Ranked
    reasons: list[tuple[str, int]]
    syndicated: list[SyndicatedStory]


@dataclass(frozen=True)
class ErrorKind:
    """Errors of one stage and kind."""

    stage: str
    kind: str
    errors: int


@dataclass(frozen=True)
class ErrorExample:
    """One error's input and message."""

    stage: str
    kind: str
    input_ref: str
    message: str


@dataclass(frozen=True)
class Errors:
    """All errors, whole: the TOP kinds with the most errors, and EXAMPLES of each of those."""

    kinds: list[ErrorKind]
    examples: list[ErrorExample]  # by stage, kind and input


@dataclass(frozen=True)
class Entities:
    """``(name, articles naming it)`` rankings of the entities spaCy named, by label."""

    people: Ranked
    organisations: Ranked
    places: Ranked  # GPE and LOC


@dataclass(frozen=True)
class Places:
    """Places in range: the MAP_PLACES most mentioned with coordinates, rows ``(name, country
    code or '', latitude, longitude, mentions, articles)``, and ``(country code, articles)``."""

    points: Ranked
    countries: Ranked


@dataclass(frozen=True)
class Speaker:
    """A quoted speaker: quotes and articles quoting them, and their shortest quote as a sample."""

    name: str
    quotes: int
    articles: int
    sample: str


@dataclass(frozen=True)
class Quotes:
    """Speakers in range: the TOP most quoted, and ``(speaker, quotes)`` for the date filter."""

    speakers: list[Speaker]
    ranked: Ranked


@dataclass(frozen=True)
class BigCount:
    """A counted thing as found in an article's sentence."""

    number: float
    counted: str  # what was counted, '' when unknown
    kind: str
    text: str  # the count as written
    title: Optional[str]  # the article's


@dataclass(frozen=True)
class Counts:
    """Counts in range: the 10 biggest, and ``(kind, counts)`` of what was counted."""

    biggest: list[BigCount]
    kinds: Ranked


@dataclass(frozen=True)
class Sections:
    """What each section of the page shows, in page order."""

    runs: Runs
    articles: Articles
    dedup: Dedup
    errors: Errors
    entities: Entities
    places: Places
    quotes: Quotes
    counts: Counts


@dataclass(frozen=True)
class Report:
    """What the page shows of one output folder, within --since/--until."""

    output: str
    since: Optional[dt.date]
    until: Optional[dt.date]
    plan: Optional[StepPlan]  # None when no article has a date (or no run has committed)
    sections: Optional[Sections]  # None while no run has committed into the folder


# ---------------------------------------------------------------- queries


class Tables:
    """An output folder's tables through DuckDB, with the range every article query keeps to."""

    def __init__(self, output: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None):
        from newsbeam.pipeline.query import connect

        self.since, self.until = since, until
        self.con = connect(output)

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

    def plan(self) -> Optional[StepPlan]:
        """The date filter's steps over the page's dated articles (none when no article has a date)."""
        first, last = self.rows(
            "SELECT min(published_date), max(published_date) FROM articles "
            f"WHERE published_date IS NOT NULL AND {self.window('published_date')}"
        )[0]
        if first is None:
            return None
        chosen = grain(first, last)
        return StepPlan(chosen, steps(first, last, chosen), first, last)

    def by_step(
        self,
        plan: Optional[StepPlan],
        source: str,
        keys: list[str],
        values: list[str],
        condition: str,
        order: str,
        limit: int,
    ) -> Ranked:
        """The ``limit`` first groups of ``source`` by ``keys`` over the page's range, ``(*keys,
        *values)`` in ``order``, and the same groups' values per date step of ``plan``: a flat
        list of ``step, group, *values`` (step -1 for articles with no publication date), which
        the date filter sums. ``order`` names keys ``k0``, ``k1``... and values ``v0``, ``v1``...;
        values must add up over steps (counts, or distinct articles, each article being on one date)."""
        named = ", ".join(f"{expression} AS k{i}" for i, expression in enumerate(keys))
        key_names = ", ".join(f"k{i}" for i in range(len(keys)))
        aggregates = ", ".join(f"{expression} AS v{i}" for i, expression in enumerate(values))
        base = (
            f"SELECT *, {named}, {step_sql('published_date', plan.grain if plan else None)} AS step FROM {source} "
            f"WHERE {condition} AND {self.window('published_date')}"
        )
        groups = self.rows(
            f"WITH base AS ({base}) SELECT {key_names}, {aggregates} FROM base "
            f"GROUP BY {key_names} ORDER BY {order} LIMIT {limit}"
        )
        if plan is None or not groups:
            return Ranked(groups, [])
        index = {group[: len(keys)]: i for i, group in enumerate(groups)}
        step_index = {step: i for i, step in enumerate(plan.steps)}
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


def load(output: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None) -> Report:
    """What the page shows of ``output``: every section's data, or none while no run has committed."""
    tables = Tables(output, since, until)
    if tables.rows("SELECT count(*) FROM runs")[0][0] == 0:
        return Report(output, since, until, None, None)
    plan = tables.plan()
    sections = Sections(
        runs=runs(tables),
        articles=articles(tables, plan),
        dedup=dedup(tables, plan),
        errors=errors(tables),
        entities=entities(tables, plan),
        places=places(tables, plan),
        quotes=quotes(tables, plan),
        counts=counts(tables, plan),
    )
    return Report(output, since, until, plan, sections)


def runs(tables: Tables) -> Runs:
    """The runs section's data: every run, whatever the range."""
    last = tables.rows(
        "SELECT run_id, started_at, finished_at, inputs, articles, duplicates, errors, extract_errors "
        "FROM runs ORDER BY started_at DESC LIMIT 30"
    )
    totals = tables.rows(
        "SELECT count(*), sum(inputs), sum(articles), sum(duplicates), sum(errors) FROM runs"
    )[0]
    return Runs(RunTotals(*totals), [Run(*row) for row in last])


def articles(tables: Tables, plan: Optional[StepPlan]) -> Articles:
    """The articles section's data, within the range."""
    where = tables.window("published_date")
    per_day = tables.rows(
        f"SELECT published_date, count(*) FROM articles WHERE published_date IS NOT NULL AND {where} "
        "GROUP BY 1 ORDER BY 1"
    )
    undated = tables.rows(f"SELECT count(*) FROM articles WHERE published_date IS NULL AND {where}")[0][0]
    sources = tables.by_step(
        plan,
        "articles",
        ["coalesce(source_domain, '(local files)')"],
        ["count(*)"],
        "TRUE",
        "v0 DESC, k0",
        CANDIDATES,
    )
    languages = tables.by_step(
        plan, "articles", ["coalesce(language, '(unknown)')"], ["count(*)"], "TRUE", "v0 DESC, k0", CANDIDATES
    )
    return Articles(per_day, undated, sources, languages)


def dedup(tables: Tables, plan: Optional[StepPlan]) -> Dedup:
    """The deduplication section's data: stories within the range, duplicates by reason whole."""
    sizes = tables.by_step(
        plan, "articles", ["least(coalesce(copies, 1), 10)"], ["count(*)"], "TRUE", "k0", 10
    )
    reasons = tables.rows("SELECT reason, count(*) FROM duplicates GROUP BY 1 ORDER BY 2 DESC")
    top = tables.rows(
        "SELECT a.title, a.copies, coalesce(a.source_domain, '(local file)'), "
        "string_agg(DISTINCT coalesce(regexp_extract(d.url, '^[a-z]+://(?:www\\.)?([^/:]+)', 1), d.url), ', ') "
        "FROM articles a LEFT JOIN duplicates d ON d.duplicate_of = a.article_id "
        f"WHERE a.copies > 1 AND {tables.window('a.published_date')} "
        "GROUP BY a.article_id, a.title, a.copies, a.source_domain ORDER BY a.copies DESC, a.title LIMIT 10"
    )
    return Dedup(sizes, reasons, [SyndicatedStory(*row) for row in top])


def errors(tables: Tables) -> Errors:
    """The errors section's data: every error, whatever the range."""
    kinds = tables.rows(
        f"SELECT stage, kind, count(*) FROM errors GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT {TOP}"
    )
    examples = tables.rows(
        "SELECT stage, kind, input_ref, message FROM ("
        "SELECT *, row_number() OVER (PARTITION BY stage, kind ORDER BY input_ref) AS k "
        f"FROM errors) WHERE k <= {EXAMPLES} ORDER BY stage, kind, input_ref"
    )
    shown = {(s, k) for s, k, _ in kinds}
    return Errors(
        [ErrorKind(*row) for row in kinds],
        [ErrorExample(*row) for row in examples if (row[0], row[1]) in shown],
    )


def entities(tables: Tables, plan: Optional[StepPlan]) -> Entities:
    """The entities section's data, within the range: names ranked by the articles naming them."""

    def ranked(labels: str) -> Ranked:
        return tables.by_step(
            plan,
            "entities",
            ["coalesce(entity, text)"],
            ["count(DISTINCT article_id)"],
            f"label IN ({labels})",
            "v0 DESC, k0",
            CANDIDATES,
        )

    return Entities(people=ranked("'PERSON'"), organisations=ranked("'ORG'"), places=ranked("'GPE', 'LOC'"))


def places(tables: Tables, plan: Optional[StepPlan]) -> Places:
    """The places section's data, within the range."""
    points = tables.by_step(
        plan,
        "places",
        ["name", "coalesce(country_code, '')", "latitude", "longitude"],
        ["count(*)", "count(DISTINCT article_id)"],
        "latitude IS NOT NULL AND longitude IS NOT NULL AND name IS NOT NULL",
        "v0 DESC, k0, k1, k2, k3",
        MAP_PLACES,
    )
    countries = tables.by_step(
        plan,
        "places",
        ["country_code"],
        ["count(DISTINCT article_id)"],
        "country_code IS NOT NULL",
        "v0 DESC, k0",
        CANDIDATES,
    )
    return Places(points, countries)


def quotes(tables: Tables, plan: Optional[StepPlan]) -> Quotes:
    """The quotes section's data, within the range."""
    speakers = tables.rows(
        "SELECT speaker, count(*), count(DISTINCT article_id), arg_min(quote, length(quote)) FROM quotes "
        f"WHERE speaker IS NOT NULL AND {tables.window('published_date')} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
    )
    ranked = tables.by_step(
        plan, "quotes", ["speaker"], ["count(*)"], "speaker IS NOT NULL", "v0 DESC, k0", CANDIDATES
    )
    return Quotes([Speaker(*row) for row in speakers], ranked)


def counts(tables: Tables, plan: Optional[StepPlan]) -> Counts:
    """The counts section's data, within the range."""
    biggest = tables.rows(
        "SELECT c.number, coalesce(c.object, ''), c.kind, c.text, a.title FROM counts c "
        f"LEFT JOIN articles a USING (article_id) WHERE {tables.window('c.published_date')} "
        "ORDER BY c.number DESC, c.text LIMIT 10"
    )
    kinds = tables.by_step(
        plan, "counts", ["kind"], ["count(*)"], "kind <> 'count'", "v0 DESC, k0", CANDIDATES
    )
    return Counts([BigCount(*row) for row in biggest], kinds)


# ---------------------------------------------------------------- date steps


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
