"""The ``runs`` table: one row per completed run; its file is written last, as the commit mark."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE_COUNT = pa.struct(
    [
        pa.field("table", pa.string(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("files", pa.int64(), nullable=False),
    ]
)

PACKAGE_VERSION = pa.struct(
    [pa.field("package", pa.string(), nullable=False), pa.field("version", pa.string())]
)

TABLE = TableSpec(
    name="runs",
    version=3,
    description="One row per completed run.",
    fields=(
        field(
            "run_id", pa.string(), "Run id: UTC start time and a random suffix, or --run_id.", nullable=False
        ),
        field(
            "started_at", pa.timestamp("us", tz="UTC"), "When the pipeline was built, UTC.", nullable=False
        ),
        field(
            "finished_at", pa.timestamp("us", tz="UTC"), "When the output was committed, UTC.", nullable=False
        ),
        field(
            "inputs",
            pa.int64(),
            "Input records read: feed items, HTML files, JSONL lines, text files, unreadable inputs.",
            nullable=False,
        ),
        field("articles", pa.int64(), "Rows written to articles.", nullable=False),
        field("duplicates", pa.int64(), "Rows written to duplicates.", nullable=False),
        field(
            "errors",
            pa.int64(),
            "Rows written to errors for input records (stages read, fetch, parse).",
            nullable=False,
        ),
        field(
            "extract_errors",
            pa.int64(),
            "Rows written to errors by extraction (the article itself was kept).",
            nullable=False,
        ),
        field(
            "tables", pa.list_(TABLE_COUNT), "Rows and files written per table by this run.", nullable=False
        ),
        field(
            "window_since",
            pa.date32(),
            "First UTC day the run kept (--run_date, --since); null when open. New in v2.",
        ),
        field(
            "window_until",
            pa.date32(),
            "Last UTC day the run kept (--run_date, --until); null when open. New in v2.",
        ),
        field(
            "state_bytes_read",
            pa.int64(),
            "Bytes of earlier runs' state read back: the fingerprints, links and feeds files of the "
            "last --dedup_lookback_days. New in v3.",
        ),
        field(
            "feeds_not_modified",
            pa.int64(),
            "Feeds and sitemaps fetched over HTTP that answered 304 Not Modified. New in v3.",
        ),
        field("options", pa.string(), "The run's options as JSON.", nullable=False),
        field(
            "versions",
            pa.list_(PACKAGE_VERSION),
            "Versions of newsbeam and its main packages.",
            nullable=False,
        ),
    ),
    partition_key="run_date",
    partition_description="The run's day: the UTC day it started, or --run_date's day for a backfill.",
)
