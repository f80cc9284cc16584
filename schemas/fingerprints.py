"""The ``fingerprints`` table: what deduplication remembers of each kept article across runs."""

import pyarrow as pa

from newsbeam.schemas.spec import TableSpec, field

TABLE = TableSpec(
    name="fingerprints",
    version=2,
    description=(
        "One row per article kept, for deduplication against later runs: its canonical URL, body "
        "hash and MinHash signature. Read back (with Beam) by every run into the same output."
    ),
    fields=(
        field("article_id", pa.string(), "The kept article (articles.article_id).", nullable=False),
        field("canonical_url", pa.string(), "Its canonical URL.", nullable=False),
        field(
            "text_hash",
            pa.string(),
            "SHA-256 (32 hex chars) of the normalised body without the site's boilerplate lines.",
            nullable=False,
        ),
        field(
            "signature",
            pa.list_(pa.int64()),
            "MinHash signature over word shingles (datasketch, seed 1); its length is num_perm. "
            "Values are 32-bit unsigned hashes (v1 stored them as uint32, a type Delta Lake lacks).",
            nullable=False,
        ),
        field("shingle_size", pa.int16(), "Words per shingle the signature was made with.", nullable=False),
        field("published_at", pa.timestamp("us", tz="UTC"), "The article's publication time, if known."),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="run_date",
    partition_description="The run's day: the UTC day it started, or --run_date's day for a backfill.",
)
