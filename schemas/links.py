"""The ``links`` table: the links earlier runs fetched, so a scheduled run does not fetch them again."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="links",
    version=1,
    description=(
        "One row per link a run fetched and settled: kept as an article, dropped as a duplicate, "
        "or refused for good (a permanent error). Later runs read the last --dedup_lookback_days "
        "of it and do not fetch these links again (duplicates reason seen_link)."
    ),
    fields=(
        field(
            "link",
            pa.string(),
            "The link as an input gave it, or the article's canonical URL, normalised as dedup "
            "normalises URLs (no tracking parameters, no fragment, query sorted).",
            nullable=False,
        ),
        field(
            "article_id",
            pa.string(),
            "The article the link led to: the kept article, the one a duplicate copied, or for a "
            "refused link the id its URL gives.",
            nullable=False,
        ),
        field("outcome", pa.string(), "article, duplicate or error.", nullable=False),
        field("error_kind", pa.string(), "For outcome error: the errors row's kind, e.g. http_404."),
        field(
            "fetched_at",
            pa.timestamp("us", tz="UTC"),
            "When the run that fetched it started, UTC (--refetch_after counts from it).",
            nullable=False,
        ),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="run_date",
    partition_description="The run's day (UTC start day, or --run_date): the lookback window prunes by it.",
)
