"""The ``errors`` table: every input record, feed or article that could not be turned into data."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="errors",
    version=1,
    description="One row per failure: an input that could not be read, fetched, parsed or extracted.",
    fields=(
        field(
            "input_ref",
            pa.string(),
            "The input the failure is about: file, feed item, JSONL line or URL.",
            nullable=False,
        ),
        field("url", pa.string(), "URL involved, when there is one."),
        field(
            "stage",
            pa.string(),
            "Stage that failed: read, filter, fetch, parse or extract (filter: a --domain, --since/--until or --language filter dropped it).",
            nullable=False,
        ),
        field(
            "kind",
            pa.string(),
            "Short machine-readable error kind, e.g. http_404, timeout, invalid_json, no_text.",
            nullable=False,
        ),
        field("message", pa.string(), "One sentence for a human.", nullable=False),
        field(
            "article_id",
            pa.string(),
            "For extract-stage errors, the article that was kept without that extraction.",
        ),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="run_date",
    partition_description="The run's day: the UTC day it started, or --run_date's day for a backfill.",
)
