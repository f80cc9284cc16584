"""newsbeam from Python: what the command line does, as functions.

Importing this module is cheap: Beam, the parsers and pyarrow load when a function first needs
them, so ``import newsbeam`` costs no more than the names below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

if TYPE_CHECKING:
    import pyarrow as pa

TABLES = (
    "articles",
    "entities",
    "places",
    "quotes",
    "counts",
    "keywords",
    "duplicates",
    "errors",
    "fingerprints",
    "links",
    "feeds",
    "runs",
)
"""The tables every run writes, each a folder under the output, in the order a reader meets them."""


@dataclass(frozen=True)
class Article:
    """One story as an ``articles`` row: the same fields, in the same order, as the table
    (``newsbeam.schema("articles")`` describes each one).

    [parse][newsbeam.parse] fills them as a run would for a story seen once: ``cluster_id`` is the
    article's own id, ``copies`` 1, and ``nlp_model`` the spaCy model that would read it.
    ``run_id`` is None: only a run has one.
    """

    article_id: str
    url: str
    canonical_url: str
    source_domain: Optional[str]
    cluster_id: Optional[str]
    copies: Optional[int]
    title: Optional[str]
    authors: list[str]
    published_at: Optional[dt.datetime]
    published_offset: Optional[str]
    language: Optional[str]
    language_source: Optional[str]
    text: str
    tone_positive: Optional[float]
    tone_negative: Optional[float]
    tone_polarity: Optional[float]
    nlp_model: Optional[str]
    nlp_note: Optional[str]
    word_count: int
    top_image: Optional[str]
    title_source: Optional[str]
    declared_titles: Optional[list[dict[str, str]]]
    authors_source: Optional[str]
    published_source: Optional[str]
    text_source: Optional[str]
    input_kind: str
    input_ref: str
    feed: Optional[str]
    captured_at: Optional[dt.datetime]
    run_id: Optional[str]
    ingested_at: dt.datetime
    published_date: Optional[dt.date]

    def as_row(self) -> dict[str, Any]:
        """The article as a dict, column by column, as ``newsbeam parse`` prints it."""
        return dataclasses.asdict(self)


class ParseError(ValueError):
    """A page that holds no article, with the ``kind`` a run's ``errors`` row would carry
    (``no_text``, ``not_html``, ``too_complex``, ...)."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind


@dataclass(frozen=True)
class RunSummary:
    """What a run did: the figures ``newsbeam run`` prints, from the ``runs`` row it committed.

    Every input record is in exactly one of articles, duplicates and errors, so
    ``inputs == articles + duplicates + errors`` (a run where that fails does not commit).
    """

    run_id: str
    """The run's id: its UTC start time and a random suffix, or the ``run_id`` given."""
    output: str
    """The output folder, as an absolute path or a ``gs://``/``s3://`` URL."""
    inputs: int
    """Input records read: feed items, pages, JSONL lines, WARC responses, unreadable inputs."""
    articles: int
    """Rows written to ``articles``."""
    duplicates: int
    """Rows written to ``duplicates``."""
    errors: int
    """Input records that became ``errors`` rows (stage read, filter, fetch or parse)."""
    extract_errors: int
    """Extractions that failed on an article that was kept (``errors`` rows of stage extract)."""
    rows: dict[str, int]
    """Rows this run wrote, per table."""
    files: dict[str, int]
    """Files this run wrote, per table."""
    seconds: float
    """Wall time of the run."""
    stage_seconds: dict[str, float]
    """Seconds each stage worked, summed over workers (empty when the runner reports no metrics)."""
    already_committed: bool
    """True when a run with this ``run_id`` had committed before, so this one wrote nothing."""
    recovered: tuple[str, ...]
    """Runs that had died after their commit point, whose publishing this run finished first."""
    state_bytes_read: int = 0
    """Bytes of earlier runs' state read back (fingerprints, links, feeds of the lookback window)."""
    feeds_not_modified: int = 0
    """Feeds and sitemaps that answered 304 Not Modified: nothing new in them, nothing parsed."""
    alert: Optional[str] = None
    """The alert the run tripped, as one sentence (``min_articles``, ``max_input_error_ratio``,
    or every input record ended as an error), or None. ``newsbeam run`` exits 3 on one."""


def parse(html: Union[str, bytes], url: Optional[str] = None) -> Article:
    """Parse one page as a run parses it, and return its ``articles`` row.

    The same code path as ``newsbeam parse``: the same decoding (bytes are decoded as a fetched
    page is), evidence, extractors, body cleaning and ids. Plain text is read as a text story.

    Args:
        html: The page's HTML (or a plain-text story), as text or as the bytes saved from the web.
        url: Where the page came from; it makes ``url``, ``canonical_url`` and ``article_id``
            (the page's own ``rel=canonical`` wins when it is on the same site). Without it the
            page's canonical URL is used when it declares one, and ``url`` is ``about:blank``.

    Raises:
        ParseError: The page holds no article (``kind`` says why, as in the errors table), or
            it is no page but many stories: a WARC, a dump, a feed (``kind`` ``several_stories``).

    Example:
        >>> import newsbeam
        >>> page = "<html><head><title>Dock strike talks collapse</title></head><body><article>"
        >>> page += "<h1>Dock strike talks collapse</h1><p>" + "Talks broke down late on Monday. " * 8
        >>> page += "</p></article></body></html>"
        >>> article = newsbeam.parse(page, url="https://news.example.org/dock-strike")
        >>> article.title
        'Dock strike talks collapse'
        >>> article.canonical_url, article.word_count
        ('https://news.example.org/dock-strike', 48)
    """
    from newsbeam.pipeline.page import parse_page, several_stories
    from newsbeam.transforms.common.errors import InputError

    data = html.encode("utf-8") if isinstance(html, str) else html
    found = several_stories(data)
    if found:  # parsed as one page, it would give one record's title and another's body
        raise ParseError("several_stories", f"this is {found[1]}, not one page; newsbeam.run reads it")
    try:
        row = parse_page(data, url or "about:blank", url or "<string>")
    except InputError as exc:
        raise ParseError(exc.kind, exc.message) from exc
    return Article(**row)


def run(inputs: Union[str, Iterable[str]], output: str, **options: Any) -> RunSummary:
    """Run the pipeline, exactly as ``newsbeam run`` does, and return its summary.

    Args:
        inputs: One SPEC or several (``rss:https://...``, a folder of saved pages, a glob of
            WARC files, ``samples`` for the bundled samples, ...), as ``--input`` takes them.
        output: The output folder (local, ``gs://`` or ``s3://``).
        **options: Any other ``newsbeam run`` option or Beam option, by its name:
            ``max_articles=100``, ``domain=["example.org"]``, ``ignore_robots_txt=True``,
            ``direct_num_workers=2``, ``quiet=True`` (no progress line on stderr). ``True``
            gives a flag, ``False`` or ``None`` leaves the option out, a list repeats it.

    Raises:
        ValueError: What the command line refuses with exit code 2 (no input, an unknown option,
            an input that matches no files, a bad date); nothing has run then.

    Any other exception means the run failed and published nothing (the command line's exit
    code 1); the output holds whole runs only.

    Example:
        >>> summary = newsbeam.run(["pages/"], "out", quiet=True)  # doctest: +SKIP
        >>> summary.inputs == summary.articles + summary.duplicates + summary.errors  # doctest: +SKIP
        True
    """
    from newsbeam.pipeline.cli import run_argv

    argv: list[str] = []
    for spec in [inputs] if isinstance(inputs, str) else list(inputs):
        argv += ["--input", spec]
    argv += ["--output", output]
    for name, value in options.items():
        flag = "--" + name
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            for item in value:
                argv.append(f"{flag}={item}")
        else:
            argv.append(f"{flag}={value}")
    result = run_argv(argv)
    row = result.outcome.runs_row
    return RunSummary(
        run_id=row["run_id"],
        output=result.output,
        inputs=row["inputs"],
        articles=row["articles"],
        duplicates=row["duplicates"],
        errors=row["errors"],
        extract_errors=row["extract_errors"],
        rows={t["table"]: t["rows"] for t in row["tables"]},
        files={t["table"]: t["files"] for t in row["tables"]},
        seconds=result.seconds,
        stage_seconds=dict(result.outcome.stage_seconds),
        already_committed=result.outcome.already_committed,
        recovered=tuple(result.outcome.recovered),
        state_bytes_read=row.get("state_bytes_read") or 0,
        feeds_not_modified=row.get("feeds_not_modified") or 0,
        alert=result.alert,
    )


def read_table(output: str, name: str, as_of: Union[int, dt.datetime, None] = None) -> pa.Table:
    """The rows of one table that committed runs wrote into ``output``, as a ``pyarrow.Table``.

    Every column of the table's current schema, its partition key (``published_date`` or
    ``run_date``) as a date column, and nothing of a run that has not committed. Rows older
    schema versions wrote have nulls in the columns added since. ``output`` may be a local
    folder, ``gs://`` or ``s3://``. ``as_of`` reads the table as it was: a version of the
    ``runs`` table (``newsbeam history`` lists them) or a time. For large outputs, query with
    DuckDB or Polars instead, which read only the partitions and columns a query needs.

    Example:
        >>> errors = newsbeam.read_table("out", "errors")  # doctest: +SKIP
        >>> errors.group_by(["stage", "kind"]).aggregate([("input_ref", "count")])  # doctest: +SKIP
    """
    from newsbeam.pipeline.query import read_table as read

    if isinstance(as_of, dt.datetime) and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.timezone.utc)
    return read(output, name, as_of=as_of)


def schema(name: str) -> pa.Schema:
    """The ``pyarrow.Schema`` of a table's rows as [read_table][newsbeam.read_table] returns them: its columns,
    each with a ``description`` in its metadata, then its partition key as a date. The schema's
    metadata names the table and its schema version (``newsbeam.table``,
    ``newsbeam.schema_version``)."""
    from newsbeam.pipeline.query import table_schema
    from newsbeam.schemas import all_tables

    tables = all_tables()
    if name not in tables:
        raise ValueError(f"no table {name!r}; the tables are {', '.join(tables)}")
    return table_schema(tables[name])
