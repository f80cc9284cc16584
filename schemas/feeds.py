"""The ``feeds`` table: what each feed or sitemap fetched over HTTP answered, for polite polling."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="feeds",
    version=1,
    description=(
        "One row per feed, sitemap or other list a run fetched over HTTP: its answer and the "
        "validators (ETag, Last-Modified) the next run sends back as If-None-Match and "
        "If-Modified-Since, so an unchanged feed answers 304 and costs no parse."
    ),
    fields=(
        field(
            "feed_url",
            pa.string(),
            "The feed's URL as fetched (credentials and tokens removed).",
            nullable=False,
        ),
        field("status", pa.int16(), "HTTP status of the answer: 200, or 304 (not modified).", nullable=False),
        field(
            "etag",
            pa.string(),
            "The ETag to send next time; null when the server gave none, or when some of the "
            "feed's items must be read again (a transient fetch error, --max_articles).",
        ),
        field(
            "last_modified",
            pa.string(),
            "The Last-Modified to send next time (as the server wrote it); null as for etag.",
        ),
        field(
            "items", pa.int64(), "Records the feed gave this run (0 when it answered 304).", nullable=False
        ),
        field("fetched_at", pa.timestamp("us", tz="UTC"), "When the run started, UTC.", nullable=False),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="run_date",
    partition_description="The run's day (UTC start day, or --run_date): the lookback window prunes by it.",
)
