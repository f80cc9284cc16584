"""The ``duplicates`` table: input records dropped as copies of a kept article."""

import pyarrow as pa

from schemas import TableSpec, field

TABLE = TableSpec(
    name="duplicates",
    version=1,
    description="One row per input record dropped because another record is the same story.",
    fields=(
        field("article_id", pa.string(), "Id the dropped record would have had.", nullable=False),
        field("url", pa.string(), "The URL as it arrived, before normalisation.", nullable=False),
        field("input_ref", pa.string(), "Where the dropped record came from.", nullable=False),
        field("duplicate_of", pa.string(), "article_id of the kept article.", nullable=False),
        field("reason", pa.string(), "Why it is a duplicate: url (same normalised URL).", nullable=False),
        field("similarity", pa.float32(), "Similarity to the kept article, 1.0 for url.", nullable=False),
        field("run_id", pa.string(), "Run that wrote the row.", nullable=False),
    ),
    partition_key="run_date",
    partition_description="UTC day the run started: duplicates are a record of what a run dropped.",
)
